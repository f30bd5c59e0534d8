"""docs/configuration.md is what `make docs` writes from the settings classes, and names every APUA_* variable."""

from __future__ import annotations

import re

import pytest
from pydantic_settings import BaseSettings

from deploy import configdoc
from shared.settings import ROOT

DOC = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
# Where a variable can be read or set: the code, the image, compose, Kubernetes, the make targets and CI.
SOURCES = [*ROOT.glob("shared/**/*.py"), *ROOT.glob("services/**/*.py"), *ROOT.glob("deploy/**/*.py"),
           *ROOT.glob("deploy/**/*.sh"), *ROOT.glob("deploy/k8s/**/*.yaml"), ROOT / "Dockerfile",
           ROOT / "docker-compose.yml", ROOT / ".env.example", ROOT / "Makefile", *ROOT.glob(".ci/*")]


def _documented() -> set[str]:
    return set(re.findall(r"^\| `(APUA_[A-Z0-9_]+)` \|", DOC, re.M))


def test_the_file_is_what_make_docs_writes() -> None:
    assert DOC == configdoc.render(), "docs/configuration.md is stale: run `make docs`"


def test_every_variable_named_anywhere_is_documented() -> None:
    named: dict[str, str] = {}
    for path in SOURCES:
        if path.is_file():
            for name in re.findall(r"APUA_[A-Z0-9_]*[A-Z0-9]", path.read_text(encoding="utf-8")):
                named.setdefault(name, str(path.relative_to(ROOT)))
    assert len(named) > 40
    missing = {name: where for name, where in named.items() if name not in _documented()}
    assert missing == {}, "undocumented: add a comment to the setting, or a LOCAL_TOOLS row, and `make docs`"


def test_every_setting_of_every_service_is_a_row_with_a_description() -> None:
    rows = {v.name: v for v in configdoc.variables()}
    for service, cls in configdoc.SERVICES.items():
        for name, info in cls.model_fields.items():
            if name != "service":
                assert service in rows[configdoc.env_name(name, info)].services
    assert [name for name, v in rows.items() if not v.description] == []
    assert set(rows) <= _documented()


def test_production_requirements_are_found_by_trying() -> None:
    rows = {v.name: v for v in configdoc.variables()}
    assert {name for name, v in rows.items() if v.required} == {
        "APUA_KEK", "APUA_STAFF_PASS_SECRET", "APUA_STATISTICS_KEY"}
    assert rows["APUA_STAFF_PASS_SECRET"].services == ["routing", "reporting", "network"]
    assert "migrate" in rows["APUA_DATABASE_URL"].services and "migrate" not in rows["APUA_KEK"].services
    # A default that differs between services is shown per service.
    assert rows["APUA_DB_WORK_MEM"].default_cell() == "(empty) (intake, routing, notify, network); `64MB` (reporting)"


def test_a_new_setting_without_a_comment_has_no_description() -> None:
    class Probe(BaseSettings):
        # Documented,
        # on two lines.
        first: int = 1
        second: int = 2

        third: int = 3  # said here

        fourth: int = 4

    assert configdoc.comments_above_fields(Probe) == {
        "first": "Documented, on two lines.", "second": "", "third": "said here", "fourth": ""}


@pytest.mark.parametrize("annotation,text", [
    (int, "int"), (str | None, "str (optional)"), (list[str], "comma-separated list"),
    (dict[str, str], "JSON object")])
def test_types_read_as_an_operator_writes_them(annotation: object, text: str) -> None:
    assert configdoc.type_name(annotation) == text
