"""Each service's KafkaUser in deploy/k8s grants exactly what shared/kafka_grants.py says, and each service
runs as its own user on the TLS listener."""

from __future__ import annotations

import pytest

from shared.kafka_grants import GRANTS, Acl, acls_for
from tests.unit.test_k8s import OVERLAYS, Manifest, container, environment, of_kind, render


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[Manifest]]:
    return request.param, render(request.param)


def test_each_service_has_a_kafka_user_with_exactly_its_grants(rendered: tuple[str, list[Manifest]]) -> None:
    overlay, docs = rendered
    users = of_kind(docs, "KafkaUser")
    assert set(users) == {f"apua-kafka-{service}" for service in GRANTS}
    for service in GRANTS:
        user = users[f"apua-kafka-{service}"]
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == of_kind(docs, "Kafka").popitem()[0]
        found = set()
        for rule in user["spec"]["authorization"]["acls"]:
            assert rule["resource"].get("patternType", "literal") == "literal", rule
            assert rule.get("type", "allow") == "allow" and rule.get("host", "*") == "*", rule
            found |= {Acl(rule["resource"]["type"], rule["resource"]["name"], op) for op in rule["operations"]}
        assert found == acls_for(service, "apua", overlay), service


def test_each_service_signs_in_as_its_own_user_over_tls(rendered: tuple[str, list[Manifest]]) -> None:
    _, docs = rendered
    for service, deployment in of_kind(docs, "Deployment").items():
        values, secrets = environment(docs, service)
        assert values["APUA_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert values["APUA_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
        assert values["APUA_KAFKA_USER"] == f"apua-kafka-{service}"
        assert secrets["APUA_KAFKA_PASSWORD"][:2] == (f"apua-kafka-{service}", "password")
        assert values["APUA_KAFKA_CREATE_TOPICS"] == "false"
        mounts = {m["name"]: m["mountPath"] for m in container(deployment)["volumeMounts"]}
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        assert values["APUA_KAFKA_CA_FILE"] == f"{mounts['kafka-ca']}/ca.crt"
        assert volumes["kafka-ca"]["secret"]["secretName"] == "apua-cluster-ca-cert"


def test_no_user_may_create_or_reconfigure_topics_or_read_another_group() -> None:
    for service in GRANTS:
        rules = acls_for(service, "apua", "varsinais-suomi")
        assert {r.operation for r in rules} <= {"Read", "Write", "Describe"}
        assert {r.name for r in rules if r.resource_type == "group"} == {f"apua.{service}"}
    assert "keys" not in GRANTS["reporting"], "reporting never opens sealed data"
    assert "Write" not in GRANTS["notify"]["keys"] and "staff" not in GRANTS["intake"]
