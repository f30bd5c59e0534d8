"""Each service's Kafka user, on a broker with TLS, SCRAM-SHA-512 and the ACLs of shared/kafka_grants.py,
can do what its grants say and nothing else, and the four services run under their own users.

The attack this answers: any pod that reached the broker could read or write any event. Here every
service's user tries every region topic (read from offset 0, write one record), every service's consumer
group (read its offsets, commit to it) and creating a topic; each answer must be what the grants say."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata

from deploy.local.infra import free_port
from shared.kafka_grants import GRANTS, TOPICS, acls_for, group_of
from shared.kafka_security import KafkaSecurity
from shared.outbox import new_producer
from shared.topics import ensure_topics, region_topics
from tests.attacks.secured_kafka import ADMIN, SecuredKafka, grant, make_certificates
from tests.support import APPS, eventually, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
REGION = "varsinais-suomi"
PREFIX = "apua"


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredKafka]:
    directory: Path = tmp_path_factory.mktemp("secured-kafka")
    ca_file, server_file = make_certificates(directory / "certs")
    users = {ADMIN: secrets.token_urlsafe(16), **{f"apua-kafka-{s}": secrets.token_urlsafe(16) for s in GRANTS}}
    broker = SecuredKafka(port=free_port(), data_dir=directory / "kafka", users=users, ca_file=ca_file,
                          server_file=server_file)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="module")
async def granted(secured: SecuredKafka) -> AsyncIterator[SecuredKafka]:
    """The region's topics (made by the admin, as Strimzi's topic operator would) and every user's ACLs."""
    await ensure_topics(secured.bootstrap, region_topics(PREFIX, REGION, 3, 1), security=secured.security(ADMIN))
    for service in GRANTS:
        await grant(secured, f"apua-kafka-{service}", acls_for(service, PREFIX, REGION))
    # ACLs reach the broker through the metadata log: wait until a grant is in force.
    await eventually(lambda: can_write(secured.bootstrap, secured.security("apua-kafka-reporting"),
                                       TOPICS["dead-letters"](PREFIX, REGION)), timeout=30, what="the ACLs")
    yield secured


def refused(exc: BaseException) -> bool:
    """An authorization error (topic, group or cluster): the broker said no."""
    return isinstance(exc, KafkaError) and "Authorization" in type(exc).__name__


async def can_write(bootstrap: str, security: KafkaSecurity, topic: str) -> bool:
    producer = new_producer(bootstrap, f"probe-{uuid.uuid4().hex[:6]}", security)
    await producer.start()
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, key=b"probe", value=b'{"probe": true}'), 20)
        return True
    except Exception as exc:
        if refused(exc):
            return False
        raise
    finally:
        await producer.stop()


async def can_read(bootstrap: str, security: KafkaSecurity, topic: str) -> bool:
    """Read partition 0 from offset 0: refused when the user may not even see the topic (metadata leaves it
    out) or the broker refuses the fetch."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                              **security.client_options())
    await reader.start()
    try:
        if topic not in await reader.topics():
            return False
        partition = TopicPartition(topic, 0)
        reader.assign([partition])
        reader.seek(partition, 0)
        for _ in range(3):  # an empty partition answers with nothing, a refused one with an error
            await asyncio.wait_for(reader.getmany(partition, timeout_ms=500), 20)
        return True
    except Exception as exc:
        if refused(exc):
            return False
        raise
    finally:
        await reader.stop()


async def group_answers(bootstrap: str, security: KafkaSecurity, group: str, topic: str) -> dict[str, bool]:
    """Whether the user may read the group's committed offsets, and commit one to it."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                **security.client_options())
    partition = TopicPartition(topic, 0)
    answers = {}
    try:
        await asyncio.wait_for(consumer.start(), 20)
        consumer.assign([partition])
        for what, attempt in (("offsets", lambda: consumer.committed(partition)),
                              ("commit", lambda: consumer.commit({partition: OffsetAndMetadata(0, "")}))):
            try:
                await asyncio.wait_for(attempt(), 20)
                answers[what] = True
            except Exception as exc:
                if not refused(exc):
                    raise
                answers[what] = False
    except Exception as exc:  # refused already while joining the coordinator
        if not refused(exc):
            raise
        answers = {"offsets": False, "commit": False}
    finally:
        with contextlib.suppress(Exception):
            await consumer.stop()
    return answers


async def can_create_topic(bootstrap: str, security: KafkaSecurity) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security.client_options())
    await admin.start()
    try:
        response = await admin.create_topics([NewTopic(f"{PREFIX}.{REGION}.probe-{uuid.uuid4().hex[:6]}", 1, 1)])
        return all(error[1] == 0 for error in response.topic_errors)
    except Exception as exc:
        if refused(exc):
            return False
        raise
    finally:
        await admin.close()


@pytest.mark.parametrize("service", sorted(GRANTS))
async def test_each_user_reads_and_writes_exactly_its_topics(granted: SecuredKafka, service: str) -> None:
    security = granted.security(f"apua-kafka-{service}")
    found, expected = {}, {}
    for kind, topic_of in TOPICS.items():
        topic = topic_of(PREFIX, REGION)
        found[(kind, "Read")] = await can_read(granted.bootstrap, security, topic)
        found[(kind, "Write")] = await can_write(granted.bootstrap, security, topic)
        for op in ("Read", "Write"):
            expected[(kind, op)] = op in GRANTS[service].get(kind, ())
    assert found == expected
    assert not await can_create_topic(granted.bootstrap, security)


@pytest.mark.parametrize("service", sorted(GRANTS))
async def test_each_user_uses_its_own_consumer_group_only(granted: SecuredKafka, service: str) -> None:
    security = granted.security(f"apua-kafka-{service}")
    # A topic the service reads: the case stream for the case side, the network's own stream for the network.
    readable = TOPICS[next(kind for kind, ops in GRANTS[service].items() if "Read" in ops)](PREFIX, REGION)
    for other in GRANTS:
        answers = await group_answers(granted.bootstrap, security, group_of(PREFIX, other), readable)
        own = other == service
        assert answers == {"offsets": own, "commit": own}, (service, other, answers)


async def test_a_client_without_a_user_or_with_a_wrong_password_gets_nothing(granted: SecuredKafka) -> None:
    topic = TOPICS["cases"](PREFIX, REGION)
    wrong = KafkaSecurity(protocol="SASL_SSL", username="apua-kafka-routing", password="arvattu",
                          ca_file=str(granted.ca_file))
    for security in (wrong, KafkaSecurity(protocol="SSL", ca_file=str(granted.ca_file)), KafkaSecurity()):
        with pytest.raises(Exception) as caught:
            await asyncio.wait_for(can_read(granted.bootstrap, security, topic), 30)
        assert not isinstance(caught.value, AssertionError)


async def test_the_four_services_run_under_their_own_users(granted: SecuredKafka, postgres: Any) -> None:
    """Under its own user each service does its work: intake's request and key reach routing and notify,
    routing's reply reaches the family, its staff record reaches notify, and reporting counts the case.
    Topics and groups of their own (prefix ``flow``, the same grants), clear of the probes' records."""
    flow = "flow"
    await ensure_topics(granted.bootstrap, region_topics(flow, REGION, 3, 1), security=granted.security(ADMIN))
    for service in GRANTS:
        await grant(granted, f"apua-kafka-{service}", acls_for(service, flow, REGION))
    await eventually(lambda: can_write(granted.bootstrap, granted.security("apua-kafka-reporting"),
                                       TOPICS["dead-letters"](flow, REGION)), timeout=30, what="the ACLs")

    def settings(service: str) -> Any:
        user = f"apua-kafka-{service}"
        return settings_for(service, prefix=flow, dsn=postgres.dsn, bootstrap=granted.bootstrap,
                            regions=[REGION], kafka_create_topics=False,
                            kafka_security_protocol="SASL_SSL", kafka_user=user,
                            kafka_password=granted.users[user], kafka_ca_file=str(granted.ca_file))

    apps = {name: APPS[name](settings(name)) for name in APPS}
    reply = f"Vastaus{uuid.uuid4().hex[:8]}"
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, \
            running(apps["notify"]), running(apps["reporting"]):
        receipt = (await intake.post("/api/v1/requests", json=request_body("naantali"))).json()
        case_id = receipt["case_id"]
        await staff(routing, apps["routing"], role="coordinator", email="koordinaattori@example.fi")

        async def in_routing() -> dict[str, Any] | None:
            response = await routing.get(f"/api/v1/cases/{case_id}")
            return response.json() if response.status_code == 200 and response.json()["message"] else None

        version = (await eventually(in_routing, timeout=60, what="the case, opened, in routing"))["command_version"]
        done = await routing.post(f"/api/v1/cases/{case_id}/commands", json={
            "command": "reply", "expected_version": version, "arguments": {"text": reply}})
        assert done.status_code == 200, done.text
        credentials = {"reference": receipt["reference"], "pickup_code": receipt["pickup_code"]}

        async def family_reads_it() -> bool:
            response = await intake.post("/api/v1/status", json=credentials)
            return response.status_code == 200 and any(e["text"] == reply for e in response.json()["timeline"])

        await eventually(family_reads_it, timeout=60, what="the reply on the family's status page")

        async def notify_and_reporting_have_it() -> bool:
            pool = apps["notify"].state.runtime.pool
            contact = await pool.fetchval("SELECT count(*) FROM case_contacts WHERE case_id = $1", uuid.UUID(case_id))
            key = await pool.fetchval("SELECT count(*) FROM case_keys WHERE case_id = $1", uuid.UUID(case_id))
            staffed = await pool.fetchval("SELECT count(*) FROM staff_directory")
            facts = await apps["reporting"].state.runtime.pool.fetchval(
                "SELECT count(*) FROM case_facts WHERE case_id = $1", uuid.UUID(case_id))
            return bool(contact and key and staffed and facts)

        await eventually(notify_and_reporting_have_it, timeout=60, what="notify's and reporting's projections")
        for app in apps.values():
            consumer = app.state.runtime.consumer
            assert consumer is None or consumer.dead_lettered == 0
