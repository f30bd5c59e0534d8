"""Projection consumer: a batch of events and the next offsets stored in one Postgres transaction.

Exactly-once effect on the projection: offsets live with the projection (not in Kafka), the
consumer seeks to them on assignment, and every event id is recorded so a record published
twice by a relay applies once. Before a batch is applied the stored offset is compared with
the batch's first offset under a row lock; a mismatch means somebody else moved the partition
(a rebuild, or a newer owner after a rebalance), so the consumer follows the stored offset
instead of applying. Records that cannot be read go to the dead-letter topic with the reason.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.codec import decode
from shared.db import CONNECTION_ERRORS, Conn
from shared.errors import UndecodableEvent
from shared.events import EventBase
from shared.migrations import Plan
from shared.outbox import new_producer

log = structlog.get_logger(__name__)

EventHandler = Callable[[Conn, EventBase], Awaitable[None]]
BatchHandler = Callable[[Conn, list[EventBase]], Awaitable[None]]
RecordHandler = Callable[[Conn, ConsumerRecord[bytes, bytes]], Awaitable[None]]

@dataclass(frozen=True)
class Projection:
    """What a service projects: handlers per event type, handlers per raw topic, and its tables."""

    name: str
    migrations: Plan
    tables: list[str]
    event_handlers: Mapping[str, EventHandler]
    record_handlers: Mapping[str, RecordHandler] = field(default_factory=dict)
    scrub_on_rebuild: tuple[str, ...] = ()
    # Applies a partition's batch of new events (in order, duplicates removed) at once: a few statements
    # for the whole batch instead of a few per event. Without it, each event goes to its handler.
    batch_handler: BatchHandler | None = None
    # A rebuild may apply its batches more cheaply and finish with statements of its own: reporting fills
    # its rollup once from the rebuilt facts instead of keeping it up to date batch by batch.
    replay_batch_handler: BatchHandler | None = None
    after_replay: tuple[str, ...] = ()


def one_at_a_time(batch: BatchHandler) -> EventHandler:
    """An event handler that is the batch handler given one event: one implementation for both paths."""
    async def handler(conn: Conn, event: EventBase) -> None:
        await batch(conn, [event])
    return handler


class ConsumerStalled(Exception):
    """The consumer made no progress while records waited: it is restarted."""


class PoisonRecord(Exception):
    """A record that can never be applied; it goes to the dead-letter topic."""


class _SeekTo(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: ProjectionConsumer) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        pass  # offsets are stored with every batch: nothing to hand over

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.owner.seek_to_stored(set(assigned))


class ProjectionConsumer:
    """Applies the region streams to a service's projection; run ``run()`` as a task."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        bootstrap: str,
        group_id: str,
        topics: list[str],
        projection: Projection,
        dead_letter_topic: Callable[[str], str],
        max_records: int = 1000,
        stall_after_s: float = 30.0,
    ) -> None:
        self.pool = pool
        self.bootstrap = bootstrap
        self.group_id = group_id
        self.topics = topics
        self.projection = projection
        self.dead_letter_topic = dead_letter_topic
        self.max_records = max_records
        self.stall_after_s = stall_after_s
        self.stalls = 0
        self._progress_mark = -1
        self._progress_at = time.monotonic()
        self.applied = 0
        self.dead_lettered = 0
        self.running = False
        self.replaying = False
        self.last_error: str | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._sought: dict[TopicPartition, int] = {}

    def _new_consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            client_id=f"{self.group_id}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.max_records,
            # A batch is at most max_records (about half a megabyte of events); larger fetches only held more
            # of a backlog in memory at once, which after a pause took a service past 150 MB.
            max_partition_fetch_bytes=1024 * 1024,
            fetch_max_bytes=4 * 1024 * 1024,
            session_timeout_ms=10000,
            heartbeat_interval_ms=1000,
        )

    async def run(self) -> None:
        """Consume until cancelled; a broker that is away is waited for."""
        backoff = 0.5
        while True:
            consumer = self._new_consumer()
            try:
                await consumer.start()
            except Exception as exc:
                await consumer.stop()
                self.last_error = type(exc).__name__
                log.warning("consumer.start_failed", group=self.group_id, error=type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            self._consumer = consumer
            try:
                consumer.subscribe(self.topics, listener=_SeekTo(self))
                self.running = True
                await self._loop(consumer)
            except Exception as exc:
                # Kafka failed under us (a dead-letter send, a fetch): start over from the stored offsets.
                self.last_error = type(exc).__name__
                log.error("consumer.restarting", group=self.group_id, error=type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                self.running = False
                self._consumer = None
                await consumer.stop()
                if self._producer is not None:
                    await self._producer.stop()
                    self._producer = None

    async def _loop(self, consumer: AIOKafkaConsumer) -> None:
        checked = time.monotonic()
        self._progress_at = checked
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=self.max_records)
            for tp, records in batches.items():
                await self._apply_with_retry(consumer, tp, records)
            now = time.monotonic()
            if now - checked >= min(5.0, self.stall_after_s / 2):
                checked = now
                await self._watch(consumer, now)

    async def _watch(self, consumer: AIOKafkaConsumer, now: float) -> None:
        """A consumer can sit silent after a broker restart (no assignment, a dead fetcher) while records
        wait. If the stored offsets stay still for ``stall_after_s`` with records behind them, start over."""
        try:
            stored = await stored_offsets(self.pool)
            parts = [TopicPartition(t, p) for t in self.topics for p in (consumer.partitions_for_topic(t) or ())]
            ends: dict[TopicPartition, int] = await consumer.end_offsets(parts) if parts else {}
            behind = sum(max(0, end - stored.get((tp.topic, tp.partition), 0)) for tp, end in ends.items())
            mark = sum(stored.values())
            if behind == 0 or mark != self._progress_mark:
                self._progress_mark, self._progress_at = mark, now
                return
        except ConsumerStalled:
            raise
        except Exception as exc:  # cannot tell: the broker or the database may be away; judge by the time
            behind = -1
            log.warning("consumer.watch_failed", group=self.group_id, error=type(exc).__name__)
        if now - self._progress_at >= self.stall_after_s:
            self.stalls += 1
            self._progress_at = now
            log.error("consumer.stalled", group=self.group_id, behind=behind, still_s=round(self.stall_after_s))
            raise ConsumerStalled(f"no progress for {self.stall_after_s:.0f} s with {behind} records waiting")

    async def seek_to_stored(self, partitions: set[TopicPartition]) -> None:
        """On assignment: continue from the offsets stored with the projection, or from the start."""
        consumer = self._consumer
        assert consumer is not None
        stored = await self._stored_offsets_retrying()
        fresh: list[TopicPartition] = []
        for tp in partitions:
            offset = stored.get((tp.topic, tp.partition))
            if offset is None:
                fresh.append(tp)
            else:
                consumer.seek(tp, offset)
        if fresh:
            # All at once: each call waits for a round of the fetcher, and no heartbeat goes out while this
            # listener runs, so one call per partition let a member given many outlast its session timeout.
            await consumer.seek_to_beginning(*fresh)
        self._sought.clear()
        log.info("consumer.assigned", group=self.group_id,
                 partitions=sorted(f"{tp.topic}:{tp.partition}" for tp in partitions))

    async def _stored_offsets_retrying(self) -> dict[tuple[str, int], int]:
        delay = 0.5
        while True:
            try:
                return await stored_offsets(self.pool)
            except CONNECTION_ERRORS as exc:
                log.warning("consumer.db_unavailable", group=self.group_id, error=type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _apply_with_retry(self, consumer: AIOKafkaConsumer, tp: TopicPartition,
                                records: list[ConsumerRecord[bytes, bytes]]) -> None:
        delay = 0.2
        careful = False
        races = 0
        while True:
            try:
                await self.apply_batch(consumer, tp, records, careful=careful)
                self.last_error = None
                return
            except CONNECTION_ERRORS as exc:
                self.last_error = type(exc).__name__
                log.warning("consumer.transient_failure", group=self.group_id, topic=tp.topic,
                            partition=tp.partition, error=type(exc).__name__, retry_in_s=round(delay, 2))
                await asyncio.sleep(delay + random.uniform(0, delay / 2))
                delay = min(delay * 2, 10.0)
            except asyncpg.exceptions.SerializationError:
                await asyncio.sleep(random.uniform(0.01, 0.1))
            except (asyncpg.exceptions.UniqueViolationError, asyncpg.exceptions.InvalidCachedStatementError) as exc:
                # Another owner wrote the offset row first, or a rebuild swapped the schema: re-check.
                # Past a few tries it is the batch itself, and it is isolated like any other failure.
                races += 1
                if races > 3:
                    if careful:
                        raise
                    careful = True
                    log.warning("consumer.batch_failed", group=self.group_id, topic=tp.topic,
                                partition=tp.partition, error=type(exc).__name__)
                await asyncio.sleep(0.05)
            except Exception as exc:
                if careful:
                    raise
                # Something in the batch fails for good: redo it one record at a time to isolate it.
                log.warning("consumer.batch_failed", group=self.group_id, topic=tp.topic,
                            partition=tp.partition, error=type(exc).__name__)
                careful = True

    async def apply_batch(self, consumer: AIOKafkaConsumer | None, tp: TopicPartition,
                          records: list[ConsumerRecord[bytes, bytes]], *, careful: bool = False) -> None:
        """Apply ``records`` of one partition and store the next offset, all in one transaction."""
        first = records[0].offset
        async with self.pool.acquire() as conn, conn.transaction():
            stored = await conn.fetchval(
                "SELECT next_offset FROM projection_offsets WHERE topic = $1 AND partition = $2 FOR UPDATE",
                tp.topic, tp.partition,
            )
            if stored is not None and stored != first and consumer is not None:
                if stored > first or self._sought.get(tp) != stored:
                    # Follow the stored offset; a gap (compaction) is accepted after one seek to it.
                    log.info("consumer.follow_stored_offset", topic=tp.topic, partition=tp.partition,
                             stored=stored, fetched=first)
                    self._sought[tp] = stored
                    if tp in consumer.assignment():
                        consumer.seek(tp, stored)
                    return
            applied = 0
            batch = (self.projection.replay_batch_handler if self.replaying else None) or self.projection.batch_handler
            if not careful and batch is not None and tp.topic not in self.projection.record_handlers:
                applied = await self._apply_batched(conn, records, batch)
            else:
                for record in records:
                    if careful:
                        applied += await self._apply_carefully(conn, record)
                    else:
                        applied += await self._apply_record(conn, record)
            await conn.execute(
                "INSERT INTO projection_offsets (topic, partition, next_offset) VALUES ($1, $2, $3)"
                " ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset",
                tp.topic, tp.partition, records[-1].offset + 1,
            )
        self._sought.pop(tp, None)
        self.applied += applied

    async def _apply_batched(self, conn: Conn, records: list[ConsumerRecord[bytes, bytes]],
                             batch: BatchHandler) -> int:
        """Decode every record, keep the events not applied before (one statement), hand them over at once.

        If the batch handler fails, the whole transaction rolls back and the batch is redone one record
        at a time (``careful``), where a poison record goes to the dead letters alone.
        """
        events: list[EventBase] = []
        for record in records:
            if record.value is None:
                await self._dead_letter(record, "empty record on an event stream")
                continue
            try:
                event = decode(record.value)
            except UndecodableEvent as exc:
                await self._dead_letter(record, str(exc))
                continue
            if event is not None:  # None: a type this version does not know, a newer producer's
                events.append(event)
        if not events:
            return 0
        inserted = {r["event_id"] for r in await conn.fetch(
            "INSERT INTO processed_events (event_id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING"
            " RETURNING event_id", [e.event_id for e in events])}
        fresh: list[EventBase] = []
        for event in events:
            if event.event_id in inserted:
                inserted.discard(event.event_id)  # a second copy in the same batch is a duplicate too
                fresh.append(event)
            else:
                log.info("consumer.duplicate_skipped", event_id=str(event.event_id), case_id=str(event.case_id))
        if fresh:
            await batch(conn, fresh)
        return len(fresh)

    async def _apply_carefully(self, conn: Conn, record: ConsumerRecord[bytes, bytes]) -> int:
        try:
            async with conn.transaction():
                return await self._apply_record(conn, record)
        except CONNECTION_ERRORS:
            raise
        except Exception as exc:
            await self._dead_letter(record, f"handler failed: {type(exc).__name__}")
            return 0

    async def _apply_record(self, conn: Conn, record: ConsumerRecord[bytes, bytes]) -> int:
        raw_handler = self.projection.record_handlers.get(record.topic)
        if raw_handler is not None:
            try:
                await raw_handler(conn, record)
            except PoisonRecord as exc:
                await self._dead_letter(record, str(exc))
                return 0
            return 1
        if record.value is None:
            await self._dead_letter(record, "empty record on an event stream")
            return 0
        try:
            event = decode(record.value)
        except UndecodableEvent as exc:
            await self._dead_letter(record, str(exc))
            return 0
        if event is None:
            return 0  # a type this version does not know: a newer producer's, not poison
        first_time = await conn.fetchval(
            "INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true",
            event.event_id,
        )
        if not first_time:
            log.info("consumer.duplicate_skipped", event_id=str(event.event_id), case_id=str(event.case_id))
            return 0
        handler = self.projection.event_handlers.get(event.type)
        if handler is not None:
            with structlog.contextvars.bound_contextvars(
                event_id=str(event.event_id), event_type=event.type, case_id=str(event.case_id),
                correlation_id=str(event.correlation_id), topic=record.topic, partition=record.partition,
                offset=record.offset,
            ):
                await handler(conn, event)
        return 1

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        """Park the record with its reason; it is sent before the batch commits, so none is lost."""
        if self.replaying:
            # A rebuild meets the same poison the live consumer parked already.
            log.warning("consumer.poison_skipped_in_replay", topic=record.topic, partition=record.partition,
                        offset=record.offset, reason=reason[:200])
            return
        if self._producer is None:
            self._producer = new_producer(self.bootstrap, f"{self.group_id}-dlq")
            await self._producer.start()
        headers = [
            ("reason", reason[:500].encode()),
            ("source_topic", record.topic.encode()),
            ("source_partition", str(record.partition).encode()),
            ("source_offset", str(record.offset).encode()),
            ("consumer_group", self.group_id.encode()),
        ]
        await self._producer.send_and_wait(self.dead_letter_topic(record.topic), value=record.value,
                                           key=record.key, headers=headers)
        self.dead_lettered += 1
        log.error("consumer.dead_lettered", group=self.group_id, topic=record.topic,
                  partition=record.partition, offset=record.offset, reason=reason[:200])

    async def lag(self) -> dict[str, int]:
        """Records not yet applied, per assigned partition (end offset minus stored offset)."""
        consumer = self._consumer
        if consumer is None or not consumer.assignment():
            return {}
        parts = sorted(consumer.assignment(), key=lambda tp: (tp.topic, tp.partition))
        ends: dict[TopicPartition, int] = await consumer.end_offsets(parts)
        stored = await stored_offsets(self.pool)
        return {f"{tp.topic}:{tp.partition}": max(0, ends[tp] - stored.get((tp.topic, tp.partition), 0))
                for tp in parts}

    def status(self) -> dict[str, Any]:
        return {"running": self.running, "applied": self.applied, "dead_lettered": self.dead_lettered,
                "last_error": self.last_error, "stalls_restarted": self.stalls,
                "partitions": len(self._consumer.assignment()) if self._consumer is not None else 0}


async def stored_offsets(pool: asyncpg.Pool) -> dict[tuple[str, int], int]:
    rows = await pool.fetch("SELECT topic, partition, next_offset FROM projection_offsets")
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}
