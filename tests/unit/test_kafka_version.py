"""One Kafka version everywhere: `make run` and the tests (deploy/local/kafka/pom.xml), docker-compose.yml's
image and the Strimzi resource's pinned version, and the docs say which."""

from __future__ import annotations

import re

import yaml

from shared.settings import ROOT


def local_version() -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", (ROOT / "deploy/local/kafka/pom.xml").read_text())
    assert match
    return match.group(1)


def compose_versions() -> set[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    images = {spec["image"] for spec in compose["services"].values()
              if spec.get("image", "").startswith("apache/kafka")}
    assert images, "docker-compose.yml runs no apache/kafka image"
    return {image.partition(":")[2] for image in images}


def strimzi_version() -> str:
    docs = yaml.safe_load_all((ROOT / "deploy/k8s/base/kafka.yaml").read_text(encoding="utf-8"))
    [kafka] = [doc for doc in docs if doc["kind"] == "Kafka"]
    version: str = kafka["spec"]["kafka"]["version"]
    return version


def test_make_run_compose_and_strimzi_run_the_same_kafka() -> None:
    version = local_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "a pinned release, not a range"
    assert compose_versions() == {version}, f"docker-compose.yml runs {compose_versions()}, make run {version}"
    assert strimzi_version() == version, f"the Strimzi resource pins {strimzi_version()}, make run {version}"


def test_the_docs_say_which() -> None:
    version = local_version()
    for doc in ("docs/operations.md", "deploy/k8s/README.md", "docs/kafka-local.md"):
        assert f"Kafka {version}" in (ROOT / doc).read_text(encoding="utf-8") or \
            f"kafka_2.13:{version}" in (ROOT / doc).read_text(encoding="utf-8"), f"{doc} does not name Kafka {version}"


def test_the_local_broker_is_fetched_for_that_version() -> None:
    """kafka_broker.py reads the version from the pom, so the cache directory follows it."""
    from deploy.local.kafka_broker import _kafka_version

    assert _kafka_version() == local_version()
