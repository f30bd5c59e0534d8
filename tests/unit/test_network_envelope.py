"""The general subject key: case events unchanged on the wire and keyed by their case; network events keyed by
their subject; the network's keys in a hierarchy of their own, apart from the case keys both ways."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson
import pytest

from shared.codec import decode, encode
from shared.event_base import NetworkEventBase
from shared.kafka_grants import GRANTS
from shared.network_keys import (
    AgentKey,
    network_kek,
    network_keyring,
    seal_for_agent,
    unseal_for_agent,
    unwrap_agent_key,
    wrap_agent_key,
)
from shared.outbox import enqueue_event
from shared.sealing import Keyring, KeyUnavailable, new_data_key, unwrap_key, wrap_key
from shared.topics import network_keys_topic, network_topic, region_topics

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"
KEYRING = Keyring(current="k1", keks={"k1": bytes(range(32))})


class Sample(NetworkEventBase):
    type: Literal["sample.happened"] = "sample.happened"
    schema_version: Literal[1] = 1


class CapturingConn:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def execute(self, sql: str, *args: Any) -> str:
        self.calls.append(args)
        return "INSERT 0 1"


@pytest.mark.parametrize("name", ["case_closed_v1.json", "deadline_warning_v1.json"])
async def test_a_stored_case_event_is_the_same_on_the_wire_and_keyed_by_its_case(name: str) -> None:
    stored = (FIXTURES / name).read_bytes().strip()
    event = decode(stored)
    assert event is not None
    # The envelope's fields, in their order and with their values, are those of the stored record.
    wire = orjson.loads(encode(event))
    original = orjson.loads(stored)
    envelope = [k for k in original if k != "payload"]
    assert [k for k in wire if k != "payload"] == envelope
    assert {k: wire[k] for k in envelope if k != "schema_version"} == {
        k: original[k] for k in envelope if k != "schema_version"}
    assert "subject_key" not in wire and "subject_id" not in wire
    conn = CapturingConn()
    await enqueue_event(conn, "apua.varsinais-suomi.cases", event)  # type: ignore[arg-type]
    (topic, key, value, _headers, _traceparent, _tracestate), = conn.calls
    assert key == original["case_id"].encode()
    assert value == encode(event)


async def test_a_network_event_is_keyed_by_its_subject() -> None:
    subject = uuid.uuid4()
    event = Sample(event_id=uuid.uuid4(), subject_kind="agent", subject_id=subject, region="varsinais-suomi",
                   occurred_at=datetime(2026, 2, 3, tzinfo=UTC), actor="network", correlation_id=uuid.uuid4())
    conn = CapturingConn()
    await enqueue_event(conn, "apua.varsinais-suomi.network", event)  # type: ignore[arg-type]
    (_topic, key, value, _headers, _traceparent, _tracestate), = conn.calls
    assert key == str(subject).encode()
    assert "case_id" not in orjson.loads(value)


def test_the_network_key_is_derived_apart_from_the_kek() -> None:
    kek = KEYRING.keks["k1"]
    assert network_kek(kek) != kek and len(network_kek(kek)) == 32
    assert network_kek(kek) == network_kek(kek)  # the same for every instance holding the KEK


def test_an_agent_key_does_not_open_with_the_case_keys_kek_and_the_reverse() -> None:
    network = network_keyring(KEYRING)
    agent_id, data_key = uuid.uuid4(), new_data_key()
    wrapped = wrap_agent_key(network, agent_id, "varsinais-suomi", data_key)
    assert unwrap_agent_key(network, wrapped) == data_key
    # A reader of case keys holds the KEK itself: with it, the agent's key does not open.
    with pytest.raises(KeyUnavailable):
        unwrap_agent_key(KEYRING, wrapped)
    # And a case key does not open with the network's key, even moved to the agent's id.
    case_key = wrap_key(KEYRING.keks["k1"], "k1", agent_id, "varsinais-suomi", data_key)
    with pytest.raises(KeyUnavailable):
        unwrap_key(network.keks["k1"], case_key)
    moved = AgentKey(agent_id=agent_id, region="varsinais-suomi", kek_id="k1", nonce=case_key.nonce,
                     wrapped=case_key.wrapped)
    with pytest.raises(KeyUnavailable):
        unwrap_agent_key(network, moved)


def test_agent_data_opens_only_for_its_agent_and_place() -> None:
    agent_id, data_key = uuid.uuid4(), new_data_key()
    sealed = seal_for_agent(data_key, agent_id, {"name": "Aino"}, "agent.applied/personal")
    assert unseal_for_agent(data_key, agent_id, sealed, "agent.applied/personal") == {"name": "Aino"}
    with pytest.raises(KeyUnavailable):
        unseal_for_agent(data_key, uuid.uuid4(), sealed, "agent.applied/personal")
    with pytest.raises(KeyUnavailable):
        unseal_for_agent(data_key, agent_id, sealed, "agent.profile_changed/personal")


def test_the_network_topics_and_who_may_read_them() -> None:
    topics = {t.name: t for t in region_topics("apua", "varsinais-suomi", 6, 3)}
    stream = topics[network_topic("apua", "varsinais-suomi")]
    keys = topics[network_keys_topic("apua", "varsinais-suomi")]
    assert stream.topic_configs["retention.ms"] == "-1"
    assert keys.topic_configs["cleanup.policy"] == "compact"
    # Nothing that reads the case keys reads the network's, but notify, which sends the network's mail; reporting
    # reads the network's events (counts) and never a key.
    for service, grants in GRANTS.items():
        if service in ("network", "notify"):
            continue
        assert "network-keys" not in grants, service
        assert "network" not in grants or (service == "reporting" and grants["network"] == ("Read",)), service
    assert set(GRANTS["network"]) == {"network", "network-keys", "staff", "dead-letters"}
    assert GRANTS["network"]["staff"] == ("Read",)  # a coordinator's session follows the staff directory
    assert "Write" not in GRANTS["notify"]["network"] and "Write" not in GRANTS["notify"]["network-keys"]
