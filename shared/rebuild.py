"""Rebuild a projection from offset 0 into a fresh schema, then swap it in atomically.

The live schema keeps serving while the new one fills. The swap renames schemas in one
transaction; a live consumer then finds offsets it did not write and follows them (see
:mod:`shared.applier`), so the rebuilt projection goes on from where the replay stopped.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.client import AIOKafkaClient

from shared.applier import Applier, DedupWindow, Mode, Projection, skip_in_replay
from shared.db import check_ident, create_pool, migrate
from shared.kafka_security import PLAINTEXT, KafkaSecurity

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RebuildResult:
    schema: str
    records: int
    applied: int
    seconds: float
    swapped: bool

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


async def replay_into(pool: asyncpg.Pool, *, bootstrap: str, topics: list[str], projection: Projection,
                      batch: int = 5000, window: DedupWindow | None = None,
                      security: KafkaSecurity = PLAINTEXT) -> tuple[int, int]:
    """Apply every record of ``topics`` from offset 0 to today's end; returns (records read, applied).

    Partitions are independent (a case lives in one), so each has a worker of its own: while one
    waits for PostgreSQL, another decodes and evolves its batch, and the fetcher reads ahead into
    a short queue per partition.
    """
    applier = Applier(pool, projection, dead_letters=skip_in_replay, mode=Mode.REPLAY, window=window,
                      group=f"rebuild-{projection.name}")
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                              auto_offset_reset="earliest", max_partition_fetch_bytes=8 * 1024 * 1024,
                              fetch_max_bytes=32 * 1024 * 1024, **security.client_options())
    await reader.start()
    records = 0

    async def apply(tp: TopicPartition, queue: asyncio.Queue[list[ConsumerRecord[bytes, bytes]] | None]) -> None:
        nonlocal records
        while (recs := await queue.get()) is not None:
            await applier.apply_batch(tp.topic, tp.partition, recs)
            records += len(recs)

    try:
        partitions = await topic_partitions(bootstrap, topics, security)
        if not partitions:
            return 0, 0
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        ends = await reader.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        queues: dict[TopicPartition, asyncio.Queue[list[ConsumerRecord[bytes, bytes]] | None]] = {
            tp: asyncio.Queue(maxsize=2) for tp in remaining}
        async with asyncio.TaskGroup() as workers:
            for tp, queue in queues.items():
                workers.create_task(apply(tp, queue))
            while remaining:
                fetched = await reader.getmany(*remaining, timeout_ms=1000, max_records=batch)
                for tp, recs in fetched.items():
                    recs = [r for r in recs if r.offset < ends[tp]]
                    if recs:
                        await queues[tp].put(recs)
                    if await reader.position(tp) >= ends[tp]:
                        remaining.discard(tp)
            for queue in queues.values():  # a failed worker cancels this whole group instead
                await queue.put(None)
    finally:
        await reader.stop()
    return records, applier.applied


@contextmanager
def fewer_collections() -> Iterator[None]:
    """A replay makes millions of short-lived objects while a few batches' worth are alive: with the
    default thresholds the cyclic collector runs every 700 allocations and walks them all again and
    again, which cost more than decoding. What exists before is frozen out of its reach, and it runs
    a hundred times less often until the replay is done."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(70_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


async def topic_partitions(bootstrap: str, topics: list[str], security: KafkaSecurity = PLAINTEXT
                           ) -> list[TopicPartition]:
    """Every partition of ``topics``, from a fresh metadata request."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap, **security.client_options())
    try:
        await client.bootstrap()
        metadata = await client.fetch_all_metadata()
    finally:
        await client.close()
    return [TopicPartition(t, p) for t in topics for p in sorted(metadata.partitions_for_topic(t) or ())]


async def rebuild(*, dsn: str, service_schema: str, projection_schema: str, bootstrap: str, topics: list[str],
                  projection: Projection, swap: bool = True, app_role: str | None = None,
                  window: DedupWindow | None = None, security: KafkaSecurity = PLAINTEXT) -> RebuildResult:
    """Replay into ``<projection_schema>_next`` and, with ``swap``, make it the live schema.

    It creates, renames and drops schemas: run it with the owner's role; ``app_role`` is granted the new one.
    """
    check_ident(projection_schema)
    target = f"{projection_schema}_next"
    started = time.monotonic()
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f"DROP SCHEMA IF EXISTS {target} CASCADE")
    finally:
        await admin.close()
    pool = await create_pool(dsn, [target, service_schema], max_size=4, work_mem="64MB")  # for after_replay
    try:
        await migrate(pool, target, projection.migrations, app_role=app_role)
        with fewer_collections():
            records, applied = await replay_into(pool, bootstrap=bootstrap, topics=topics, projection=projection,
                                                 window=window, security=security)
        async with pool.acquire() as conn, conn.transaction():
            for statement in projection.after_replay:
                await conn.execute(statement)
            for step in projection.after_replay_steps:
                await step(conn)
    finally:
        await pool.close()
    if swap:
        await swap_schemas(dsn, projection_schema, target)
    seconds = time.monotonic() - started
    log.info("projection.rebuilt", projection=projection.name, records=records, applied=applied,
             seconds=round(seconds, 2), swapped=swap)
    return RebuildResult(schema=projection_schema if swap else target, records=records, applied=applied,
                         seconds=seconds, swapped=swap)


async def swap_schemas(dsn: str, live: str, fresh: str) -> None:
    """Put ``fresh`` in place of ``live`` in one transaction and drop the old one."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute(f"DROP SCHEMA IF EXISTS {live}_old CASCADE")
            exists = await conn.fetchval("SELECT true FROM pg_namespace WHERE nspname = $1", live)
            if exists:
                await conn.execute(f"ALTER SCHEMA {live} RENAME TO {live}_old")
            await conn.execute(f"ALTER SCHEMA {fresh} RENAME TO {live}")
            if exists:
                await conn.execute(f"DROP SCHEMA {live}_old CASCADE")
    finally:
        await conn.close()
