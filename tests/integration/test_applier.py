"""The projection applier without Kafka: records built by hand, a real PostgreSQL, a list for the dead letters."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from services.notify.projection import on_staff_record
from services.routing.projection import HANDLERS, MIGRATIONS, apply_events
from services.routing.repository import projected
from shared.applier import Applier, DedupWindow, Mode, Moved, Projection, Record, RecordLike
from shared.codec import encode
from shared.db import create_pool, migrate
from shared.events import CaseTriaged, CaseTriagedPayload, ContactAttempted, ContactAttemptedPayload, new_event
from shared.keys import on_case_key
from shared.migrations import Inline
from shared.sealing import Keyring, new_data_key, wrap_key
from shared.staff import staff_record
from tests.support import request_event

pytestmark = pytest.mark.integration
TOPIC = "apua.test.cases"
KEYS = "apua.test.keys"
STAFF = "apua.test.staff"
KEK = bytes(32)
PER_EVENT = Projection(name="routing-test", migrations=MIGRATIONS, tables=["cases", "case_timeline"],
                       event_handlers=HANDLERS,
                       record_handlers={KEYS: on_case_key, STAFF: on_staff_record})
BATCHED = replace(PER_EVENT, batch_handler=apply_events)
STAFF_DDL = "CREATE TABLE staff_directory (account_id text PRIMARY KEY, region text NOT NULL, record jsonb NOT NULL);"


class Parked:
    """A dead-letter sink that keeps what it is given."""

    def __init__(self) -> None:
        self.records: list[tuple[int, str]] = []

    async def __call__(self, record: RecordLike, reason: str, /) -> None:
        self.records.append((record.offset, reason))


async def pool_for(postgres, name: str):  # type: ignore[no-untyped-def]
    schema = f"applier_{name}_{uuid.uuid4().hex[:8]}"
    pool = await create_pool(postgres.dsn, [schema])
    await migrate(pool, schema, [*MIGRATIONS, Inline("staff", (STAFF_DDL,))])
    return pool


def records(values: list[bytes | None], *, topic: str = TOPIC, start: int = 0, key: bytes = b"k") -> list[Record]:
    return [Record(topic=topic, partition=0, offset=start + i, key=key, value=v) for i, v in enumerate(values)]


def case_story() -> list[bytes]:
    """Two cases: each a request, a triage and a contact, interleaved as they would be on a partition."""
    stream = []
    for _ in range(2):
        request = request_event()
        common = {"case_id": request.case_id, "region": request.region, "municipality": request.municipality,
                  "actor": "staff:someone"}
        stream += [request,
                   new_event(CaseTriaged, **common, payload=CaseTriagedPayload(
                       topic=None, urgency="urgent", child_welfare_concern=True)),
                   new_event(ContactAttempted, **common, payload=ContactAttemptedPayload(
                       channel="phone", result="reached"))]
    return [encode(e) for e in stream]


async def state_of(pool) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    cases = await pool.fetch("SELECT * FROM cases ORDER BY case_id")
    timeline = await pool.fetch("SELECT * FROM case_timeline ORDER BY event_id")
    offsets = await pool.fetch("SELECT * FROM projection_offsets ORDER BY topic, partition")
    processed = await pool.fetch("SELECT * FROM processed_events ORDER BY event_id")
    return {"cases": [repr(dict(r)) for r in cases], "timeline": [repr(dict(r)) for r in timeline],
            "offsets": [repr(dict(r)) for r in offsets], "processed": [repr(dict(r)) for r in processed]}


@pytest.mark.parametrize("projection", [PER_EVENT, BATCHED], ids=["per event", "batched"])
async def test_an_event_published_twice_applies_once(postgres, projection):
    pool = await pool_for(postgres, "dedup")
    event = request_event()
    applier = Applier(pool, projection, dead_letters=Parked())
    try:
        await applier.apply(TOPIC, 0, records([encode(event), encode(event)]))
        await applier.apply(TOPIC, 0, records([encode(event)], start=2))  # a relay's copy, a batch later
        assert applier.applied == 1
        assert await pool.fetchval("SELECT count(*) FROM case_timeline") == 1
        assert await pool.fetchval("SELECT next_offset FROM projection_offsets") == 3
    finally:
        await pool.close()


async def test_records_that_do_not_start_at_the_stored_offset_are_not_applied(postgres):
    pool = await pool_for(postgres, "moved")
    stream = [encode(request_event()) for _ in range(6)]
    applier = Applier(pool, BATCHED, dead_letters=Parked())
    try:
        assert await applier.apply(TOPIC, 0, records(stream[:3])) is None
        # Offset 3 is stored: a batch from 5, or from 0 again (as after a rebuild's swap), is not applied.
        assert await applier.apply(TOPIC, 0, records(stream[5:], start=5)) == Moved(3)
        assert await applier.apply(TOPIC, 0, records(stream, start=0)) == Moved(3)
        assert applier.applied == 3
        # Told once to read on from 3, a batch that still starts after it is a gap compaction left: accepted.
        assert await applier.apply(TOPIC, 0, records(stream[5:], start=5)) is None
        assert applier.applied == 4
        # A replay fills a schema of its own from offset 0 and checks nothing.
        replay = Applier(pool, BATCHED, dead_letters=Parked(), mode=Mode.REPLAY)
        assert await replay.apply_batch(TOPIC, 0, records(stream[3:5], start=3)) is None
        assert await pool.fetchval("SELECT count(*) FROM cases") == 6
    finally:
        await pool.close()


@pytest.mark.parametrize("projection", [PER_EVENT, BATCHED], ids=["per event", "batched"])
async def test_a_poison_record_is_dead_lettered_and_the_rest_apply(postgres, projection):
    pool = await pool_for(postgres, "poison")
    good, other = request_event(), request_event()
    orphan = new_event(CaseTriaged, case_id=uuid.uuid4(), region=good.region, municipality=good.municipality,
                       actor="staff:someone", payload=CaseTriagedPayload(topic=None, urgency="normal",
                                                                         child_welfare_concern=False))
    parked = Parked()
    applier = Applier(pool, projection, dead_letters=parked)
    try:
        await applier.apply(TOPIC, 0, records([encode(good), b"not json {", None, encode(orphan), encode(other)]))
        assert applier.applied == 2
        assert await pool.fetchval("SELECT count(*) FROM cases") == 2
        reasons = dict(parked.records)
        assert sorted(reasons) == [1, 2, 3]
        assert reasons[1].startswith("not JSON")
        assert reasons[2] == "empty record on an event stream"
        assert reasons[3] == "handler failed: PoisonRecord"  # a triage of a case routing never saw
        # A record that can be read but not applied (PoisonRecord in the handler): a key topic's bad record.
        await applier.apply(KEYS, 0, records([b'{"case_id": "nope"}'], topic=KEYS))
        assert parked.records[-1][1].startswith("not a wrapped key")
    finally:
        await pool.close()


async def test_batched_and_one_at_a_time_give_the_same_projection(postgres):
    stream = case_story()
    results = []
    for name, projection, careful in (("batched", BATCHED, False), ("single", PER_EVENT, False),
                                      ("careful", BATCHED, True)):
        pool = await pool_for(postgres, name)
        try:
            applier = Applier(pool, projection, dead_letters=Parked())
            for start in range(0, len(stream), 4):
                await applier.apply_batch(TOPIC, 0, records(stream[start:start + 4], start=start), careful=careful)
            assert applier.applied == len(stream)
            results.append(await state_of(pool))
        finally:
            await pool.close()
    assert results[0]["cases"] and results[0] == results[1] == results[2]


async def test_the_dedup_window_catches_duplicates_inside_it_and_forgets_what_is_older(postgres):
    window = DedupWindow(offsets=10, prune_every=1)
    pool = await pool_for(postgres, "window")
    events = [request_event() for _ in range(30)]
    stream = [encode(e) for e in events]
    live = Applier(pool, BATCHED, dead_letters=Parked(), window=window)
    try:
        for start in range(0, 25, 5):
            await live.apply(TOPIC, 0, records(stream[start:start + 5], start=start))
        kept = await pool.fetch("SELECT record_offset FROM processed_events ORDER BY record_offset")
        assert [r["record_offset"] for r in kept] == list(range(15, 25))  # next offset 25, margin 10
        # A relay's copy of event 16 lands at offset 25, inside the window: skipped.
        await live.apply(TOPIC, 0, records([stream[16], *stream[25:]], start=25))
        assert live.applied == 30
        assert await pool.fetchval("SELECT count(*) FROM case_timeline") == 30
        kept = await pool.fetch("SELECT record_offset FROM processed_events ORDER BY record_offset")
        assert [r["record_offset"] for r in kept] == [21, 22, 23, 24, 26, 27, 28, 29, 30]  # 25 was the copy

        # A replay of the same records, pruned as it goes, makes the same projection.
        replayed = await pool_for(postgres, "replay")
        try:
            replay = Applier(replayed, BATCHED, dead_letters=Parked(), mode=Mode.REPLAY, window=window)
            everything = [*stream[:25], stream[16], *stream[25:]]
            for start in range(0, len(everything), 7):
                await replay.apply_batch(TOPIC, 0, records(everything[start:start + 7], start=start))
            assert await state_of(replayed) == await state_of(pool)
        finally:
            await replayed.close()
    finally:
        await pool.close()


async def test_a_command_s_events_count_as_projected_after_the_window_forgot_them(postgres):
    pool = await pool_for(postgres, "projected")
    event = request_event()
    try:
        await Applier(pool, BATCHED, dead_letters=Parked()).apply(TOPIC, 0, records([encode(event)]))
        async with pool.acquire() as conn:
            assert await projected(conn, [event.event_id])
            await conn.execute("DELETE FROM processed_events")
            assert await projected(conn, [event.event_id])
            assert not await projected(conn, [event.event_id, uuid.uuid4()])
    finally:
        await pool.close()


async def test_compacted_topics_upsert_a_record_and_delete_on_a_tombstone(postgres):
    pool = await pool_for(postgres, "compacted")
    case_id = uuid.uuid4()
    wrapped = wrap_key(KEK, "k1", case_id, "varsinais-suomi", new_data_key())
    rewrapped = wrap_key(KEK, "k2", case_id, "varsinais-suomi", new_data_key())
    staff = staff_record(account_id="a1", region="varsinais-suomi", role="professional", team_id=None,
                         language="sv", active=True, email="a1@example.org",
                         keyring=Keyring(current="k1", keks={"k1": KEK}))
    applier = Applier(pool, PER_EVENT, dead_letters=Parked())
    key = str(case_id).encode()
    try:
        await applier.apply(KEYS, 0, records([wrapped.model_dump_json().encode(),
                                              rewrapped.model_dump_json().encode()], topic=KEYS, key=key))
        assert await pool.fetchval("SELECT kek_id FROM case_keys WHERE case_id = $1", case_id) == "k2"
        await applier.apply(KEYS, 0, records([None], topic=KEYS, key=key, start=2))
        assert await pool.fetchval("SELECT count(*) FROM case_keys") == 0
        await applier.apply(STAFF, 0, records([staff.model_dump_json().encode()], topic=STAFF, key=b"a1"))
        assert await pool.fetchval("SELECT record->>'language' FROM staff_directory WHERE account_id = 'a1'") == "sv"
        await applier.apply(STAFF, 0, records([None], topic=STAFF, key=b"a1", start=1))
        assert await pool.fetchval("SELECT count(*) FROM staff_directory") == 0
        assert applier.applied == 5
    finally:
        await pool.close()
