"""The projection consumer: crash mid-batch, duplicates, shared partitions, dead letters."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import asyncpg
import pytest

from services.routing.projection import HANDLERS, MIGRATIONS, apply_events
from shared.applier import Projection
from shared.codec import encode
from shared.consumer import ProjectionConsumer
from shared.db import create_pool, migrate
from shared.events import EventBase
from shared.migrations import Inline
from shared.topics import cases_topic, dead_letter_topic, ensure_topics, region_topics
from tests.support import eventually, produce, read_topic, request_event

pytestmark = pytest.mark.integration
REGION = "varsinais-suomi"
COUNT_DDL = "CREATE TABLE apply_count (event_id uuid PRIMARY KEY, n int NOT NULL);"


class SimulatedCrash(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the consumer handles it."""


async def counting(conn: asyncpg.Connection, event: EventBase) -> None:
    """Routing's real handler, plus a count of how often each event's effect was committed."""
    await conn.execute("INSERT INTO apply_count VALUES ($1, 1) ON CONFLICT (event_id) DO UPDATE"
                       " SET n = apply_count.n + 1", event.event_id)
    await apply_events(conn, [event])


async def counting_batch(conn: asyncpg.Connection, events: list[EventBase]) -> None:
    """The same, for a batch at once (the way the services consume)."""
    await conn.executemany("INSERT INTO apply_count VALUES ($1, 1) ON CONFLICT (event_id) DO UPDATE"
                           " SET n = apply_count.n + 1", [(e.event_id,) for e in events])
    await apply_events(conn, events)


PROJECTION = Projection(name="routing-test", migrations=[*MIGRATIONS, Inline("count", (COUNT_DDL,))],
                        tables=["cases"], event_handlers={**HANDLERS, "request.submitted": counting})
BATCHED = replace(PROJECTION, batch_handler=counting_batch)
BOTH = pytest.mark.parametrize("batched", [False, True], ids=["per event", "batched"])


async def setup(postgres, kafka, prefix):
    await ensure_topics(kafka.bootstrap, region_topics(prefix, REGION, partitions=3, replication=1))
    schema = f"proj_{prefix}"
    pool = await create_pool(postgres.dsn, [schema])
    await migrate(pool, schema, PROJECTION.migrations)
    return pool


def consumer(pool, kafka, prefix, projection=PROJECTION) -> ProjectionConsumer:
    return ProjectionConsumer(pool=pool, bootstrap=kafka.bootstrap, group_id=f"{prefix}.routing",
                              topics=[cases_topic(prefix, REGION)], projection=projection,
                              dead_letter_topic=lambda topic: dead_letter_topic(prefix, REGION))


async def counts(pool) -> list[int]:
    return [r["n"] for r in await pool.fetch("SELECT n FROM apply_count")]


@BOTH
async def test_killed_mid_batch_then_restarted_loses_nothing_applies_nothing_twice(postgres, kafka, prefix, batched):
    pool = await setup(postgres, kafka, prefix)
    events = [request_event() for _ in range(90)]
    await produce(kafka.bootstrap, cases_topic(prefix, REGION), [(str(e.case_id).encode(), encode(e)) for e in events])
    applied = 0

    async def crash_on_40th(conn: asyncpg.Connection, event: EventBase) -> None:
        nonlocal applied
        applied += 1
        if applied == 40:
            raise SimulatedCrash
        await counting(conn, event)

    async def crash_in_the_batch_with_the_40th(conn: asyncpg.Connection, events: list[EventBase]) -> None:
        nonlocal applied
        applied += len(events)
        if applied >= 40:
            raise SimulatedCrash
        await counting_batch(conn, events)

    doomed = consumer(pool, kafka, prefix, replace(PROJECTION, batch_handler=crash_in_the_batch_with_the_40th)
                      if batched else replace(PROJECTION, event_handlers={"request.submitted": crash_on_40th}))
    with pytest.raises(SimulatedCrash):
        await asyncio.wait_for(doomed.run(), 30)
    committed_before = len(await counts(pool))
    assert committed_before < 40  # the batch that held the 40th event was not committed

    survivor = consumer(pool, kafka, prefix, BATCHED if batched else PROJECTION)
    task = asyncio.create_task(survivor.run())
    try:
        async def all_applied() -> bool:
            return len(await counts(pool)) == len(events)

        await eventually(all_applied, what="all 90 events applied after the restart")
        assert set(await counts(pool)) == {1}
        cases = await pool.fetchval("SELECT count(*) FROM cases")
        assert cases == len(events)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pool.close()


@BOTH
async def test_event_published_twice_is_applied_once(postgres, kafka, prefix, batched):
    pool = await setup(postgres, kafka, prefix)
    event = request_event()
    record = (str(event.case_id).encode(), encode(event))
    await produce(kafka.bootstrap, cases_topic(prefix, REGION), [record, record, record])
    task = asyncio.create_task(consumer(pool, kafka, prefix, BATCHED if batched else PROJECTION).run())
    try:
        async def done() -> bool:
            offsets = await pool.fetchval("SELECT coalesce(sum(next_offset), 0) FROM projection_offsets")
            return offsets == 3

        await eventually(done, what="three records consumed")
        assert await counts(pool) == [1]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pool.close()


async def test_two_consumers_in_one_group_share_the_partitions(postgres, kafka, prefix):
    pool = await setup(postgres, kafka, prefix)
    first, second = consumer(pool, kafka, prefix), consumer(pool, kafka, prefix)
    tasks = [asyncio.create_task(first.run()), asyncio.create_task(second.run())]
    try:
        async def both_assigned() -> bool:
            return first.status()["partitions"] > 0 and second.status()["partitions"] > 0

        await eventually(both_assigned, timeout=40, what="both consumers to get partitions")
        mine = first._consumer.assignment()
        theirs = second._consumer.assignment()
        assert not mine & theirs
        assert len(mine | theirs) == 3
        events = [request_event() for _ in range(60)]
        await produce(kafka.bootstrap, cases_topic(prefix, REGION),
                      [(str(e.case_id).encode(), encode(e)) for e in events])

        async def all_applied() -> bool:
            return len(await counts(pool)) == len(events)

        await eventually(all_applied, what="60 events applied by the pair")
        assert set(await counts(pool)) == {1}
        assert first.applied > 0 and second.applied > 0
        assert first.applied + second.applied == len(events)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await pool.close()


async def test_undecodable_record_goes_to_dead_letters_and_consumer_goes_on(postgres, kafka, prefix):
    pool = await setup(postgres, kafka, prefix)
    good = request_event()
    key = str(good.case_id).encode()
    await produce(kafka.bootstrap, cases_topic(prefix, REGION), [
        (key, b"this is not json {"),
        (key, b'{"type": "request.submitted", "schema_version": 1, "case_id": "nope"}'),
        (key, encode(good)),
    ])
    c = consumer(pool, kafka, prefix)
    task = asyncio.create_task(c.run())
    try:
        async def applied() -> bool:
            return await counts(pool) == [1]

        await eventually(applied, what="the good event after two bad ones")
        parked = await read_topic(kafka.bootstrap, dead_letter_topic(prefix, REGION), expected=2)
        reasons = sorted(dict(r.headers)["reason"].decode() for r in parked)
        assert len(parked) == 2
        assert reasons[0].startswith("invalid request.submitted")
        assert "case_id" in reasons[0]
        assert reasons[1].startswith("not JSON")
        assert {dict(r.headers)["source_topic"].decode() for r in parked} == {cases_topic(prefix, REGION)}
        assert c.status()["dead_lettered"] == 2
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pool.close()


async def test_a_consumer_that_stalls_silently_is_restarted(postgres, kafka, prefix):
    """A fetcher that goes quiet (as after a broker restart) while records wait is noticed and replaced."""
    pool = await setup(postgres, kafka, prefix)
    events = [request_event() for _ in range(12)]
    await produce(kafka.bootstrap, cases_topic(prefix, REGION), [(str(e.case_id).encode(), encode(e)) for e in events])

    class FirstOneDeaf(ProjectionConsumer):
        made = 0

        def _new_consumer(self):  # type: ignore[no-untyped-def]
            made = super()._new_consumer()
            FirstOneDeaf.made += 1
            if FirstOneDeaf.made == 1:
                async def silence(*args, **kwargs):  # type: ignore[no-untyped-def]
                    await asyncio.sleep(0.5)
                    return {}
                made.getmany = silence  # type: ignore[method-assign]
            return made

    watched = FirstOneDeaf(pool=pool, bootstrap=kafka.bootstrap, group_id=f"{prefix}.routing",
                           topics=[cases_topic(prefix, REGION)], projection=PROJECTION, stall_after_s=2.0,
                           dead_letter_topic=lambda topic: dead_letter_topic(prefix, REGION))
    task = asyncio.create_task(watched.run())
    try:
        async def all_applied() -> bool:
            return len(await counts(pool)) == len(events)

        await eventually(all_applied, timeout=60, what="the restarted consumer to apply every record")
        assert watched.stalls >= 1 and FirstOneDeaf.made >= 2
        assert watched.status()["stalls_restarted"] >= 1
        assert set(await counts(pool)) == {1}
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pool.close()


async def test_a_consumer_given_many_partitions_without_stored_offsets_keeps_its_place_in_the_group(
        postgres, kafka, prefix):
    """Partitions nobody stored an offset for are sought to their beginning in one go. One at a time, each waited
    for a round of the fetcher while no heartbeat went out: a member given a few dozen outlasted its session
    timeout, the broker dropped it, and every rejoin did the same again (two instances took turns for ever)."""
    await ensure_topics(kafka.bootstrap, region_topics(prefix, REGION, partitions=40, replication=1))
    schema = f"proj_{prefix}"
    pool = await create_pool(postgres.dsn, [schema])
    await migrate(pool, schema, PROJECTION.migrations)

    class Counted(ProjectionConsumer):
        started = ended = 0

        async def seek_to_stored(self, partitions):  # type: ignore[no-untyped-def]
            Counted.started += 1
            await super().seek_to_stored(partitions)
            Counted.ended += 1

    watched = Counted(pool=pool, bootstrap=kafka.bootstrap, group_id=f"{prefix}.routing",
                      topics=[cases_topic(prefix, REGION)], projection=PROJECTION,
                      dead_letter_topic=lambda topic: dead_letter_topic(prefix, REGION))
    task = asyncio.create_task(watched.run())
    try:
        async def assigned() -> bool:
            return Counted.ended >= 1

        await eventually(assigned, timeout=90, what="the first assignment to be taken up")
        await asyncio.sleep(5)  # a member the broker dropped meanwhile learns it at its next heartbeat and rejoins
        assert (Counted.started, Counted.ended) == (1, 1)
        assert watched.status()["partitions"] == 40
        events = [request_event() for _ in range(40)]
        await produce(kafka.bootstrap, cases_topic(prefix, REGION),
                      [(str(e.case_id).encode(), encode(e)) for e in events])

        async def all_applied() -> bool:
            return len(await counts(pool)) == len(events)

        await eventually(all_applied, what="every record, from the beginning of its partition")
        assert set(await counts(pool)) == {1} and Counted.started == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pool.close()
