"""The project is EUPL-1.2, says so in every place a reader or a tool looks, and every file's licence is known."""

from __future__ import annotations

import hashlib
import re
import subprocess
import tomllib

import pytest

from deploy.licences import Policy, locked, problems, read_licences
from shared.settings import ROOT

# sha256 of the official English text of the EUPL v1.2 (the European Commission's, as the SPDX licence list
# carries it): an edited or shortened LICENSE fails here.
EUPL_SHA256 = "57fb42fbcd0b037ce528ed8f72f1ec095d67bc6825ecf1448ff39be1fe68a4b4"


def _reuse_annotations() -> list[dict[str, str]]:
    data = tomllib.loads((ROOT / "REUSE.toml").read_text(encoding="utf-8"))
    assert data["version"] == 1
    return list(data["annotations"])


def _glob(pattern: str) -> re.Pattern[str]:
    """REUSE.toml's globs: ``*`` within one folder, ``**`` across folders."""
    out = ""
    for part in re.split(r"(\*\*|\*)", pattern):
        out += ".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part)
    return re.compile(f"^{out}$")


def _licence_of(path: str, annotations: list[dict[str, str]]) -> str | None:
    """The licence REUSE.toml gives a file: the last override that matches, else the aggregate's."""
    found = None
    for annotation in annotations:
        paths = annotation["path"] if isinstance(annotation["path"], list) else [annotation["path"]]
        if any(_glob(p).match(path) for p in paths):
            if annotation.get("precedence") == "override" or found is None:
                found = annotation["SPDX-License-Identifier"]
    return found


def test_licence_file_is_the_official_eupl_text() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2\nEUPL © the European Union 2007, 2016\n")
    # The articles and the appendix of compatible licences are all there, in order.
    positions = [text.index(heading) for heading in (
        "1.Definitions", "2.Scope of the rights granted by the Licence", "5.Obligations of the Licensee",
        "7.Disclaimer of Warranty", "8.Disclaimer of Liability", "15.Applicable Law", "Appendix\n")]
    assert positions == sorted(positions)
    assert hashlib.sha256(text.encode()).hexdigest() == EUPL_SHA256
    # REUSE keeps the text under its SPDX name too; the two are one text.
    assert (ROOT / "LICENSES" / "EUPL-1.2.txt").read_text(encoding="utf-8") == text


def test_pyproject_names_the_licence_and_ships_its_text() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "EUPL-1.2"
    assert "LICENSE" in project["license-files"]


def test_every_tracked_file_has_a_licence_and_the_vendored_ones_keep_theirs() -> None:
    annotations = _reuse_annotations()
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True,
                           text=True).stdout.split()
    assert len(files) > 100
    licences = {path: _licence_of(path, annotations) for path in files}
    assert [path for path, licence in licences.items() if licence is None] == []
    assert licences["shared/app.py"] == licences["services/intake/templates/base.html"] == "EUPL-1.2"
    # Chart.js and Swagger UI are their authors' (make vendor copies them), not the project's.
    assert licences["services/reporting/static/vendor/chart.umd.min.js"] == "MIT"
    assert licences["shared/static/swagger-ui/swagger-ui-bundle.js"] == "Apache-2.0"
    for used in {licence for licence in licences.values() if licence}:
        assert (ROOT / "LICENSES" / f"{used}.txt").is_file(), used


def test_the_glob_reads_like_reuse() -> None:
    assert _glob("shared/static/swagger-ui/**").match("shared/static/swagger-ui/a/b.js")
    assert not _glob("shared/*.py").match("shared/migrations/x.py")
    assert _glob("**").match(".ci/run")


@pytest.mark.parametrize("expression,in_image,allowed", [
    ("MIT", True, True),
    ("MPL-2.0 AND (Apache-2.0 OR MIT)", True, True),
    ("Apache-2.0 OR BSD-3-Clause", True, True),
    ("Apache Software License; MIT License", True, True),
    ("GPL-3.0-or-later", False, True),   # a tool CI runs
    ("GPL-3.0-or-later", True, False),   # never in the image
    ("MIT AND GPL-2.0-or-later", True, False),
    ("Other/Proprietary License", False, False),
    ("MIT; Other/Proprietary License", False, False),
    ("UNKNOWN", False, False),
])
def test_licence_policy(expression: str, in_image: bool, allowed: bool) -> None:
    assert Policy.read().verdict(expression, in_image=in_image) is allowed


def test_the_check_names_each_package_it_refuses() -> None:
    policy = Policy.read()
    runtime = {"fastapi": "1", "copyleft-lib": "2"}
    everything = {**runtime, "reuse": "6", "mystery": "0.1", "missing": "3"}
    licences = {"fastapi": "MIT", "copyleft-lib": "GPL-3.0-or-later", "reuse": "Other/Proprietary License",
                "mystery": "UNKNOWN"}
    found = problems(policy, runtime, everything, licences)
    # reuse is read by hand (.ci/licences.toml) and only a tool; the others are named with the reason.
    assert [line.split()[0].rstrip(":") for line in found] == ["copyleft-lib", "missing", "mystery"]
    assert "not allowed in the image" in found[0]


def test_every_locked_dependency_has_an_allowed_licence() -> None:
    runtime, everything = locked(ROOT / "requirements.lock"), locked(ROOT / "requirements-dev.lock")
    assert problems(Policy.read(), runtime, everything, read_licences(sorted(everything))) == []
