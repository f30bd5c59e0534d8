"""An erased case's wrapped key leaves the key topic within the bound its settings give (here a short one).

The attack this answers: with the KEK, a key still on the topic after the erasure opened the request.
The test erases a case through routing and reads the key topic raw, from offset 0, until the key's value is
gone; it must be gone within the roll interval, the marker interval and the cleaner's 15 s pause."""

from __future__ import annotations

import time

import pytest
from aiokafka import AIOKafkaConsumer

from shared.rebuild import topic_partitions
from shared.topics import KeysCompaction, ensure_topics, keys_topic, region_topics
from tests.support import APPS, eventually, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
REGION = "varsinais-suomi"
SHORT = KeysCompaction(roll_ms=2000, tombstone_ms=600_000)
MARKER_S = 0.5
CLEANER_BACKOFF_S = 15.0  # the broker's log.cleaner.backoff.ms (Kafka's default)
BOUND_S = SHORT.roll_ms / 1000 + MARKER_S + CLEANER_BACKOFF_S + 15.0  # and time for the cleaning itself


async def raw_values(bootstrap: str, topic: str, key: bytes) -> list[bytes | None]:
    """Every value the topic holds for ``key``, read from offset 0 to its end, as anyone who can read it would."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await reader.start()
    try:
        parts = await topic_partitions(bootstrap, [topic])
        reader.assign(parts)
        await reader.seek_to_beginning(*parts)
        ends = await reader.end_offsets(parts)
        found: list[bytes | None] = []
        remaining = {tp for tp in parts if ends[tp] > await reader.position(tp)}
        while remaining:
            for tp, records in (await reader.getmany(*remaining, timeout_ms=500)).items():
                found += [r.value for r in records if r.key == key and r.offset < ends[tp]]
                if await reader.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return found
    finally:
        await reader.stop()


async def test_an_erased_key_is_gone_from_a_raw_read_of_the_key_topic_within_the_bound(postgres, kafka, prefix):
    await ensure_topics(kafka.bootstrap, region_topics(prefix, REGION, 3, 1, keys=SHORT))
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {"intake": APPS["intake"](settings_for("intake", **env)),
            "routing": APPS["routing"](settings_for("routing", **env, key_roll_marker_s=MARKER_S))}
    topic = keys_topic(prefix, REGION)
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing:
        case_id = (await intake.post("/api/v1/requests", json=request_body("naantali"))).json()["case_id"]
        kept = (await intake.post("/api/v1/requests", json=request_body("naantali"))).json()["case_id"]
        key = case_id.encode()
        await staff(routing, apps["routing"], role="coordinator")

        async def in_routing() -> bool:
            return (await routing.get(f"/api/v1/cases/{case_id}")).status_code == 200

        await eventually(in_routing, what="the case in routing")
        await staff(routing, apps["routing"], role="admin")  # only an admin erases
        before = await raw_values(kafka.bootstrap, topic, key)
        assert before and before[0] is not None, "the key was on the topic before the erasure"

        erased = await routing.post(f"/api/v1/cases/{case_id}/erase", json={"reason": "family_request"})
        assert erased.status_code == 200, erased.text
        started = time.monotonic()

        async def compacted() -> list[bytes | None] | None:
            values = await raw_values(kafka.bootstrap, topic, key)
            return values if None in values and all(v is None for v in values) else None

        left = await eventually(compacted, timeout=BOUND_S, what="the erased key's value compacted away")
        took = time.monotonic() - started
    assert left == [None], "only the tombstone remains"
    assert took < BOUND_S
    # A case nobody erased keeps its key: compaction took the erased one, not every key.
    assert (await raw_values(kafka.bootstrap, topic, kept.encode()))[-1] is not None
