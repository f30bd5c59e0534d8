"""``python -m deploy.configdoc [--write]``: docs/configuration.md, from the settings classes themselves.

Every ``APUA_*`` variable a service reads is a field of a pydantic-settings class (shared/settings.py and
services/<svc>/settings.py); this module reads those classes (names, types, defaults), the comment written
above each field (its description), and which service's class has it. Whether production requires a
variable is found by trying: a production configuration with every variable set to a valid value is built,
then built again without the one variable, and it is required when that fails. The variables only the
local tools read (`make run`, `make install`, the admin commands' password) are listed by hand below, and
tests/unit/test_configuration_doc.py fails when any ``APUA_*`` named in the code is in neither list, or when
the file differs from what this writes (`make docs`).
"""

from __future__ import annotations

import argparse
import ast
import base64
import inspect
import os
import re
import sys
import textwrap
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from services.intake.settings import IntakeSettings
from services.network.settings import NetworkSettings
from services.notify.settings import NotifySettings
from services.reporting.settings import ReportingSettings
from services.routing.settings import RoutingSettings
from shared.settings import ROOT, DatabaseSettings, ServiceSettings

DOC = ROOT / "docs" / "configuration.md"
SERVICES: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings, "routing": RoutingSettings, "notify": NotifySettings, "reporting": ReportingSettings,
    "network": NetworkSettings}
# A valid production value for each variable whose development default production refuses. A class that
# refuses another default makes `production_required` fail until that variable has a value here.
PRODUCTION_VALUES = {
    "APUA_ENVIRONMENT": "production",
    "APUA_KEK": base64.b64encode(bytes(range(32))).decode(),
    "APUA_STAFF_PASS_SECRET": "a-production-secret-of-its-own",
    "APUA_STATISTICS_KEY": "a-production-key-of-its-own",
}
# Read by the local tools and CI's scripts, not by a service: (variable, default, who reads it, what it is).
LOCAL_TOOLS = (
    ("APUA_KAFKA_PORT", "19092", "make run, make infra-up", "the local Kafka's client port"),
    ("APUA_KAFKA_CONTROLLER_PORT", "19093", "make run, make infra-up", "the local Kafka's controller port"),
    ("APUA_PG_PORT", "55432", "make run, make infra-up", "the local PostgreSQL's port"),
    ("APUA_SMS_PORT", "8026", "make run", "the development SMS gateway's port (deploy/local/sinks.py)"),
    ("APUA_CACHE_DIR", "`.cache`", "make install, make run, the tests", "where Kafka's jars are kept"),
    ("APUA_STATE_DIR", "`.local`", "make run, make infra-up", "the local Kafka's and PostgreSQL's data"),
    ("APUA_SKIP_BROWSER", "(unset)", "make install", "`1`: install neither chromium nor npm's packages"),
    ("APUA_NEW_PASSWORD", "(unset)", "routing's `users add`",
     "the new account's password (the default of `--password-env`); unset: asked for"),
    ("APUA_AUDIT_REQUIRED", "(unset)", ".ci/audit",
     "`1`: fail when no advisory source answers (a release); unset: say so loudly and pass"),
)


@dataclass
class Variable:
    name: str
    type: str
    description: str
    services: list[str] = field(default_factory=list)
    required: bool = False
    # What each default is and which services have it (reporting's work_mem differs from the others').
    defaults: dict[str, list[str]] = field(default_factory=dict)

    def default_cell(self) -> str:
        if len(self.defaults) == 1:
            text = next(iter(self.defaults))
        else:
            text = "; ".join(f"{value} ({', '.join(services)})" for value, services in self.defaults.items())
        return f"{text} (development only)" if self.required else text


def env_name(name: str, info: FieldInfo) -> str:
    alias = info.validation_alias
    return alias if isinstance(alias, str) else f"APUA_{name.upper()}"


def type_name(annotation: Any) -> str:
    """The type as an operator writes it in the environment."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return type_name(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{value}`" for value in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(arg) for arg in typing.get_args(annotation) if arg is not type(None)) + \
            (" (optional)" if type(None) in typing.get_args(annotation) else "")
    if origin is list:
        return "comma-separated list"
    if origin is dict:
        return "JSON object"
    if annotation is SecretStr:
        return "secret string"
    if annotation is Path:
        return "path"
    return str(getattr(annotation, "__name__", annotation))


def default_text(info: FieldInfo) -> str:
    if info.default_factory is not None:
        factory = typing.cast(typing.Callable[[], Any], info.default_factory)
        first, second = factory(), factory()
        if first != second:
            return "a random value per process"
        value: Any = first
    elif info.default is PydanticUndefined:
        return "(required)"
    else:
        value = info.default
    if value is None:
        return "(unset)"
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, bool):
        value = str(value).lower()
    if isinstance(value, list):
        value = ",".join(str(item) for item in value)
    if isinstance(value, dict):
        value = "{}" if not value else repr(value)
    text = str(value).replace(str(ROOT), "<install>")
    return f"`{text}`" if text else "(empty)"


def comments_above_fields(cls: type) -> dict[str, str]:
    """Each field's comment in ``cls``: the comment lines right above it, and a comment after it on its line."""
    lines = textwrap.dedent(inspect.getsource(cls)).splitlines()
    klass = ast.parse("\n".join(lines)).body[0]
    assert isinstance(klass, ast.ClassDef)
    found: dict[str, str] = {}
    for node in klass.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        row = node.lineno - 1
        above: list[str] = []
        while row > 0 and lines[row - 1].strip().startswith("#"):
            above.insert(0, lines[row - 1].strip().lstrip("#").strip())
            row -= 1
        trailing = re.search(r"\s#\s*(.+)$", lines[node.lineno - 1])
        found[node.target.id] = " ".join(above + ([trailing.group(1)] if trailing else []))
    return found


def descriptions() -> dict[str, str]:
    """Each field's comment, where it is first declared (a service's override keeps the shared text)."""
    found: dict[str, str] = {}
    # The shared classes first (a field's own text), then each service's, whatever it inherits from.
    shared = [base for settings in SERVICES.values() for base in reversed(settings.__mro__)
              if base.__module__ == ServiceSettings.__module__]
    classes: list[type] = list(dict.fromkeys([DatabaseSettings, ServiceSettings, *shared, *SERVICES.values()]))
    for cls in classes:
        for name, text in comments_above_fields(cls).items():
            if text and name not in found:
                found[name] = text
    return found


def production_required(cls: type[ServiceSettings], variable: str) -> bool:
    """Whether a production configuration of ``cls`` with every other variable set fails without ``variable``.

    The environment is the settings' only source, so the trial sets it and puts the caller's back after.
    """
    saved = {key: os.environ.pop(key) for key in list(os.environ) if key.startswith("APUA_")}
    try:
        def builds(env: dict[str, str]) -> bool:
            os.environ.update(env)
            try:
                cls()
                return True
            except ValidationError:
                return False
            finally:
                for key in env:
                    os.environ.pop(key, None)
        full = dict(PRODUCTION_VALUES)
        if not builds(full):
            raise RuntimeError(f"{cls.__name__} refuses production with PRODUCTION_VALUES: add the variable it needs")
        if variable not in full or variable == "APUA_ENVIRONMENT":
            return False
        return not builds({key: value for key, value in full.items() if key != variable})
    finally:
        os.environ.update(saved)


def variables() -> list[Variable]:
    texts = descriptions()
    found: dict[str, Variable] = {}
    for service, cls in SERVICES.items():
        for name, info in cls.model_fields.items():
            if name == "service":  # the class's own name, not a setting
                continue
            key = env_name(name, info)
            variable = found.setdefault(key, Variable(key, type_name(info.annotation), texts.get(name, "")))
            variable.services.append(service)
            variable.defaults.setdefault(default_text(info), []).append(service)
            variable.required = variable.required or production_required(cls, key)
    migrate = {env_name(name, info) for name, info in DatabaseSettings.model_fields.items()}
    for key in migrate & set(found):
        found[key].services.append("migrate")
    return sorted(found.values(), key=lambda v: v.name)


def render() -> str:
    rows = variables()
    out = [
        "# Configuration",
        "",
        "<!-- Written by `make docs` (python -m deploy.configdoc --write) from the settings classes; do not edit:",
        "     tests/unit/test_configuration_doc.py fails when this file is stale. -->",
        "",
        "Every service reads its settings from `APUA_*` environment variables (pydantic-settings: the classes",
        "in `shared/settings.py` and `services/<svc>/settings.py`). A value that does not parse stops the",
        "service at start, naming the setting (`kek` for `APUA_KEK`). `migrate` reads only the database's",
        "variables, so the job that runs it needs none of the services' secrets.",
        "",
        "*Production* says which variables production refuses to start without: their defaults are",
        "development values everyone can read (`APUA_ENVIRONMENT=production` turns the check on). The",
        "Kubernetes overlays set the rest (`deploy/k8s/base/kustomization.yaml`), and `.env.example` lists",
        "what compose passes.",
        "",
        "| variable | type | default | read by | production | what it is |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for v in rows:
        required = "**required**" if v.required else ""
        out.append(f"| `{v.name}` | {v.type} | {v.default_cell()} | {', '.join(v.services)} | {required} | "
                   f"{v.description.replace('|', '/')} |")
    out += [
        "",
        "## The local tools and CI",
        "",
        "Read by `make run`, `make install`, the tests and CI's scripts, never by a service:",
        "",
        "| variable | default | read by | what it is |",
        "| --- | --- | --- | --- |",
    ]
    out += [f"| `{name}` | {default} | {who} | {what} |" for name, default, who, what in LOCAL_TOOLS]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.configdoc", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write docs/configuration.md (else print it)")
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/configuration.md is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        return 0 if DOC.read_text(encoding="utf-8") == text else 1
    if args.write:
        DOC.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
