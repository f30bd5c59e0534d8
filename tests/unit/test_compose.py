"""docker-compose.yml cannot run here (no Docker engine); this proves it parses and gives every setting."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.intake.settings import IntakeSettings
from services.notify.settings import NotifySettings
from services.reporting.settings import ReportingSettings
from services.routing.settings import RoutingSettings
from shared.settings import ROOT, ServiceSettings
from shared.topics import cases_topic, dead_letter_topic, keys_topic

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS = {"intake": IntakeSettings, "routing": RoutingSettings, "notify": NotifySettings,
            "reporting": ReportingSettings}
NEEDED = {"APUA_KAFKA_BOOTSTRAP", "APUA_DATABASE_URL", "APUA_TOPIC_PREFIX", "APUA_REGIONS_DIR", "APUA_KEK",
          "APUA_HOST"}


def env_names(cls: type[ServiceSettings]) -> dict[str, str]:
    names = {}
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias
        names[alias if isinstance(alias, str) else f"APUA_{field_name.upper()}"] = field_name
    return names


def test_parses_with_every_part() -> None:
    assert set(COMPOSE["services"]) == {"kafka", "kafka-topics", "postgres", *SETTINGS}


def test_kafka_is_the_official_image_in_kraft_mode() -> None:
    kafka = COMPOSE["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:4.")
    assert "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]
    assert kafka["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    # The event store must live on the named volume, not in the image's default /tmp/kafka-logs.
    mounts = {volume.split(":")[1] for volume in kafka["volumes"]}
    assert kafka["environment"]["KAFKA_LOG_DIRS"] in mounts


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_every_setting_a_service_needs_is_given(service: str) -> None:
    spec: dict[str, Any] = COMPOSE["services"][service]
    env = spec["environment"]
    known = env_names(SETTINGS[service])
    port_name = next(name for name, field in known.items() if field == "port")
    assert NEEDED | {port_name} <= set(env), f"{service} lacks {sorted(NEEDED | {port_name} - set(env))}"
    unknown = {name for name in env if name.startswith("APUA_") and name not in known}
    assert not unknown, f"{service} sets settings that do not exist: {sorted(unknown)}"
    assert spec["command"] == ["python", "-m", f"services.{service}"]
    assert spec["depends_on"]["kafka-topics"]["condition"] == "service_completed_successfully"
    # The values are ones the settings accept.
    values = {known[name]: value for name, value in env.items() if name.startswith("APUA_") and "${" not in value}
    SETTINGS[service].model_validate(values)


def test_topic_creation_covers_every_configured_region() -> None:
    command = " ".join(COMPOSE["services"]["kafka-topics"]["command"])
    loop = re.search(r"for region in ([^;]+); do", command)
    assert loop, "kafka-topics creates the topics in a loop over the regions"
    stems = sorted(path.stem for path in (ROOT / "deploy" / "regions").glob("*.yaml"))
    assert stems and sorted(loop.group(1).split()) == stems
    body = command[loop.end():] + " "
    for stem in stems:
        for name in (cases_topic("apua", stem), keys_topic("apua", stem), dead_letter_topic("apua", stem)):
            assert f"--topic {name} " in body.replace("$$region", stem)


def test_image_runs_as_non_root_with_the_region_configuration() -> None:
    dockerfile = (Path(ROOT) / "Dockerfile").read_text()
    users = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert "COPY deploy/regions" in dockerfile


def test_image_ships_every_file_the_code_reads() -> None:
    """The wheel holds .py files only unless pyproject.toml declares package data; the rest must be copied."""
    dockerfile = (Path(ROOT) / "Dockerfile").read_text()
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    package_data = setuptools.get("package-data", {})
    missing = []
    for top in ("services", "shared"):
        for path in sorted((ROOT / top).rglob("*")):
            if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            rel = path.relative_to(ROOT)
            package = next(parent for parent in rel.parents if (ROOT / parent / "__init__.py").exists())
            data_dirs = [parent.as_posix() for parent in rel.parents if parent != package and package in parent.parents]
            if not any(d in dockerfile for d in data_dirs) and ".".join(package.parts) not in package_data:
                missing.append(rel.as_posix())
    assert not missing, f"the image would lack {missing}"
