"""docker-compose.yml cannot run here (no Docker engine); this proves it parses and gives every setting."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.intake.settings import IntakeSettings
from services.network.settings import NetworkSettings
from services.notify.settings import NotifySettings
from services.reporting.settings import DEVELOPMENT_STATISTICS_KEY, ReportingSettings
from services.routing.settings import RoutingSettings
from shared.settings import DEVELOPMENT_KEK, ROOT, ServiceSettings
from shared.staffpass import DEVELOPMENT_PASS_SECRET
from shared.topics import cases_topic, dead_letter_topic, keys_topic, region_topics, templates_topic

COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SETTINGS = {"intake": IntakeSettings, "routing": RoutingSettings, "notify": NotifySettings,
            "reporting": ReportingSettings, "network": NetworkSettings}
# Started only with `docker compose --profile monitoring` (tests/unit/test_monitoring.py).
MONITORING = {"prometheus-rules", "prometheus", "grafana"}
NEEDED = {"APUA_KAFKA_BOOTSTRAP", "APUA_DATABASE_URL", "APUA_TOPIC_PREFIX", "APUA_REGIONS_DIR", "APUA_KEK",
          "APUA_HOST"}


def env_names(cls: type[ServiceSettings]) -> dict[str, str]:
    names = {}
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias
        names[alias if isinstance(alias, str) else f"APUA_{field_name.upper()}"] = field_name
    return names


def test_parses_with_every_part() -> None:
    assert set(COMPOSE["services"]) == {"kafka", "kafka-topics", "postgres", "mailpit", "migrate", *SETTINGS,
                                        *MONITORING}


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


def test_a_one_shot_migrates_every_service_before_any_starts(tmp_path: Path) -> None:
    migrate = COMPOSE["services"]["migrate"]
    assert migrate["restart"] == "no" and migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    # Run its script with a stand-in for python: one migrate per service, the command each service has.
    calls = tmp_path / "calls"
    stand_in = tmp_path / "python"
    stand_in.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {calls}\n')
    stand_in.chmod(0o755)
    script = migrate["command"][0].replace("$$", "$").replace("python ", f"{stand_in} ")
    subprocess.run([*migrate["entrypoint"][:-1], "-ec", script], check=True, timeout=30)
    assert sorted(calls.read_text().splitlines()) == sorted(f"-m services.{s} migrate" for s in SETTINGS)
    env = migrate["environment"]
    for service in SETTINGS:
        spec = COMPOSE["services"][service]
        assert spec["depends_on"]["migrate"]["condition"] == "service_completed_successfully", service
        # The owner's credentials: in compose, the same database and user as the services.
        assert env["APUA_DATABASE_URL"] == spec["environment"]["APUA_DATABASE_URL"]
        known = env_names(SETTINGS[service])
        SETTINGS[service].model_validate({known[name]: value for name, value in env.items()
                                          if name in known and "${" not in value})


def test_topic_creation_covers_every_configured_region() -> None:
    command = " ".join(COMPOSE["services"]["kafka-topics"]["command"])
    loop = re.search(r"for region in ([^;]+); do", command)
    assert loop, "kafka-topics creates the topics in a loop over the regions"
    stems = sorted(path.stem for path in (ROOT / "deploy" / "regions").glob("*.yaml"))
    assert stems and sorted(loop.group(1).split()) == stems
    body = command[loop.end():] + " "
    for stem in stems:
        for name in (cases_topic("apua", stem), keys_topic("apua", stem), dead_letter_topic("apua", stem),
                     templates_topic("apua", stem)):
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


def test_topic_creation_matches_shared_topics(tmp_path: Path) -> None:
    """Run kafka-topics' script with a stand-in for kafka-topics.sh: the topics, partitions and configs it
    creates are those shared/topics.py creates with the services' settings."""
    calls = tmp_path / "calls"
    stand_in = tmp_path / "kafka-topics.sh"
    stand_in.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {calls}\n')
    stand_in.chmod(0o755)
    # Compose turns $$ into $ before the shell sees the script.
    script = COMPOSE["services"]["kafka-topics"]["command"][0].replace("$$", "$")
    script = script.replace("/opt/kafka/bin/kafka-topics.sh", str(stand_in))
    subprocess.run(["bash", "-ec", script], check=True, timeout=30)
    created = {}
    for line in calls.read_text().splitlines():
        args = line.split()
        options = [(args[i], args[i + 1]) for i in range(len(args) - 1) if args[i].startswith("--")]
        topic = dict(options)["--topic"]
        created[topic] = (int(dict(options)["--partitions"]), int(dict(options)["--replication-factor"]),
                          dict(value.split("=", 1) for name, value in options if name == "--config"))
    env = COMPOSE["services"]["intake"]["environment"]
    expected = {}
    for stem in sorted(path.stem for path in (ROOT / "deploy" / "regions").glob("*.yaml")):
        for t in region_topics(env["APUA_TOPIC_PREFIX"], stem, int(env["APUA_TOPIC_PARTITIONS"]),
                               int(env["APUA_TOPIC_REPLICATION"])):
            expected[t.name] = (t.num_partitions, t.replication_factor, t.topic_configs)
    assert created == expected


def test_notify_sends_to_the_mail_catcher() -> None:
    mailpit = COMPOSE["services"]["mailpit"]
    image, _, tag = mailpit["image"].partition(":")
    assert image == "axllent/mailpit" and tag and tag != "latest", "a pinned Mailpit image"
    assert "${PUBLISH_ADDRESS:-127.0.0.1}:8025:8025" in mailpit["ports"], "Mailpit's web page is published"
    assert "healthcheck" in mailpit
    notify = COMPOSE["services"]["notify"]
    env = notify["environment"]
    # Mailpit's SMTP server listens on 1025, without TLS.
    assert env["APUA_SMTP_HOST"] == "mailpit" and env["APUA_SMTP_PORT"] == "1025"
    assert env.get("APUA_SMTP_TLS", "false") == "false" and env.get("APUA_SMTP_STARTTLS", "false") == "false"
    assert notify["depends_on"]["mailpit"]["condition"] == "service_healthy"
    assert notify["depends_on"]["kafka-topics"]["condition"] == "service_completed_successfully"


# ${VAR}, ${VAR:-default}, ${VAR-default} or $VAR, but not $$ (a dollar sign for the container).
VARIABLE = re.compile(r"(?<!\$)\$(?:\{(\w+)(?::?-([^}]*))?\}|([A-Za-z_]\w*))")


def compose_strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in compose_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in compose_strings(item)]
    return [value] if isinstance(value, str) else []


def compose_variables() -> dict[str, str]:
    """Every variable the values of docker-compose.yml read (compose interpolates values), with its default."""
    found = {}
    for text in compose_strings(COMPOSE):
        for m in VARIABLE.finditer(text.replace("$$", "")):
            found[m.group(1) or m.group(3)] = m.group(2) or ""
    return found


def env_example() -> dict[str, str]:
    """The variables of .env.example; each must be explained by the comment block it stands in."""
    variables, explained = {}, False
    for number, line in enumerate((ROOT / ".env.example").read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            explained = False
        elif line.startswith("#"):
            explained = True
        else:
            name, sep, value = line.partition("=")
            assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", name), f".env.example:{number} is not NAME=value"
            assert explained, f".env.example:{number}: {name} has no comment above it"
            variables[name] = value
    return variables


def test_env_example_lists_every_variable_compose_reads() -> None:
    used, listed = compose_variables(), env_example()
    assert used, "docker-compose.yml reads no variables?"
    assert sorted(set(used) - set(listed)) == [], "docker-compose.yml reads variables .env.example does not list"
    assert sorted(set(listed) - set(used)) == [], ".env.example lists variables docker-compose.yml does not read"
    # No secret of any value: an example is either empty or the public development default.
    for name, value in listed.items():
        assert value in ("", used[name]) or name in ("APUA_ENVIRONMENT",), f"{name}={value} in .env.example"


def test_production_refuses_the_development_defaults() -> None:
    """What .env.example promises: with APUA_ENVIRONMENT=production and the defaults, nothing starts."""
    defaults = compose_variables()
    assert defaults["APUA_KEK"] == DEVELOPMENT_KEK
    assert defaults["APUA_STAFF_PASS_SECRET"] == DEVELOPMENT_PASS_SECRET
    assert defaults["APUA_STATISTICS_KEY"] == DEVELOPMENT_STATISTICS_KEY
    for service, cls in SETTINGS.items():
        known = env_names(cls)
        env = COMPOSE["services"][service]["environment"]
        values = {known[name]: VARIABLE.sub(lambda m: m.group(2) or "", value) for name, value in env.items()
                  if name in known}
        values["environment"] = "production"
        with pytest.raises(ValueError):
            cls.model_validate(values)


def test_every_published_port_listens_on_loopback_by_default() -> None:
    """Nothing of this development setup is reachable from another machine unless .env says so."""
    published = {name: spec["ports"] for name, spec in COMPOSE["services"].items() if spec.get("ports")}
    assert {"intake", "routing", "notify", "reporting", "mailpit", "prometheus", "grafana"} <= set(published)
    for name, ports in published.items():
        for port in ports:
            address = "${PUBLISH_ADDRESS:-127.0.0.1}:"
            assert str(port).startswith(address) and str(port)[len(address):].count(":") == 1, f"{name}: {port}"
    for name in ("kafka", "postgres"):
        assert "ports" not in COMPOSE["services"][name], f"{name} is reached on the compose network only"
    assert env_example()["PUBLISH_ADDRESS"] == "127.0.0.1"
    assert "127.0.0.1 only" in COMPOSE_TEXT
