"""What needs no running service to check: token comparisons in the code, the rules of the settings,
and the dependencies' lower bounds (issue 18, items 8, 10, 16 and 18)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from pydantic import ValidationError
from starlette.requests import Request

from shared.errors import Unauthorized
from shared.http import require_bearer, same_token
from shared.settings import ROOT, ServiceSettings

CODE = [path for folder in ("services", "shared") for path in (ROOT / folder).rglob("*.py")]
# The first release past each package's published security advisories (see the comment in pyproject.toml).
FIXED = {"starlette": "1.3.1", "python-multipart": "0.0.32", "authlib": "1.6.12", "fastapi": "0.165"}


def _names(node: ast.AST) -> str:
    return " ".join(n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else
                    str(n.value) if isinstance(n, ast.Constant) else "" for n in ast.walk(node))


def test_no_token_is_compared_with_equals() -> None:
    """Item 8: ``==`` / ``!=`` on a CSRF token or a secret leaks by its time how much of it matched."""
    found = []
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                # Settings checked against the public development values hold no one's input: not timed.
                public = re.search(r"\bDEVELOPMENT_", _names(node))
                if re.search(r"csrf|token|secret", _names(node), re.IGNORECASE) and not public:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == [], "compare tokens with shared.http.same_token (hmac.compare_digest)"


def test_same_token_compares_in_constant_time() -> None:
    assert same_token("abc", "abc") and not same_token("abd", "abc") and not same_token(None, "abc")


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/metrics", "headers": raw})


def test_metrics_are_closed_in_production_without_a_token() -> None:
    """Item 16: the token rule of notify's API: open outside production without a token, never in it."""
    require_bearer(_request({}), None, "development", "/metrics")
    with pytest.raises(Unauthorized):
        require_bearer(_request({"Authorization": "Bearer anything"}), None, "production", "/metrics")
    with pytest.raises(Unauthorized):
        require_bearer(_request({}), "t0ken", "development", "/metrics")
    require_bearer(_request({"Authorization": "Bearer t0ken"}), "t0ken", "production", "/metrics")


def test_forwarded_addresses_are_never_trusted_from_anywhere() -> None:
    """Item 10: no setting lets every client choose its own address."""
    assert ServiceSettings(trusted_proxies="10.0.0.0/24, 192.0.2.7").trusted_proxies == ["10.0.0.0/24", "192.0.2.7"]
    with pytest.raises(ValidationError):
        ServiceSettings(trusted_proxies="*")


def test_the_dependencies_start_past_their_advisories_and_what_is_installed_meets_them() -> None:
    """Item 18: the lower bounds, and the versions the tests run on."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    required = {Requirement(r).name.lower(): Requirement(r) for r in project["dependencies"]}
    for name, fixed in FIXED.items():
        bounds = [Version(s.version) for s in required[name].specifier if s.operator == ">="]
        assert bounds and max(bounds) >= Version(fixed), f"{name} may still be below {fixed}"
        installed = importlib.metadata.version(name)
        assert required[name].specifier.contains(installed, prereleases=True), (name, installed)


def test_ci_fails_on_a_known_vulnerable_package() -> None:
    """Item 18: CI runs pip-audit, strict (an unchecked package fails too), and skips only out loud."""
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ".ci/audit" in run and run.index(".ci/audit") < run.index("make test")
    audit = Path(ROOT / ".ci" / "audit").read_text(encoding="utf-8")
    assert "pip_audit --strict" in audit and "set -euo pipefail" in audit
    assert audit.count("exit 0") == 1 and "SKIPPED" in audit
