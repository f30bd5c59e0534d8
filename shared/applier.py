"""Applying records to a projection in PostgreSQL: each event once, in offset order, poison set aside.

No Kafka here. Records (topic, partition, offset, key, value, headers) come from the live consumer
(:mod:`shared.consumer`) or a rebuild's reader (:mod:`shared.rebuild`); a batch of one partition's
records and the partition's next offset are written in one transaction, so a projection is a
deterministic function of the stream. Every event id is recorded (``processed_events``) so a record
a relay published twice applies once. Before a batch is applied the stored offset is compared with
the batch's first offset under a row lock; a mismatch means somebody else moved the partition (a
rebuild, or a newer owner after a rebalance), and the caller is told to read on from the stored
offset instead. Records that cannot be read go to the dead-letter sink the caller gives, with the
reason; this module is the one place that decodes records and decides what is poison.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

import asyncpg
import structlog

from shared.codec import decode
from shared.db import CONNECTION_ERRORS, Conn
from shared.errors import UndecodableEvent
from shared.events import EventBase
from shared.migrations import Plan
from shared.tracing import Applying, applying, applying_together

log = structlog.get_logger(__name__)


class RecordLike(Protocol):
    """What the applier reads of a record: aiokafka's ``ConsumerRecord`` is one, and so is :class:`Record`."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


@dataclass(frozen=True)
class Record:
    """A record as it stood on its topic, for callers that do not read it from Kafka."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]] = ()


EventHandler = Callable[[Conn, EventBase], Awaitable[None]]
BatchHandler = Callable[[Conn, list[EventBase]], Awaitable[None]]
RecordHandler = Callable[[Conn, RecordLike], Awaitable[None]]


class DeadLetterSink(Protocol):
    """Where a record that can never be applied is parked, with the reason; called before the batch commits."""

    async def __call__(self, record: RecordLike, reason: str, /) -> None: ...


@dataclass(frozen=True)
class DedupWindow:
    """How far back ``processed_events`` remembers: ``offsets`` per partition, pruned every ``prune_every`` batches.

    A duplicate comes from a relay that lost Kafka's acknowledgement of a row (a crash, a timeout) and
    publishes it again on its next pass, under the same key, so to the same partition: the copy lands
    after what the region's producers published meanwhile, a batch or a few (500 rows each), or what
    arrived while the relay restarted. A region's pilot year is some ten thousand events over all its
    partitions, and even the benchmark's peak of a few thousand events a second takes minutes to put
    100,000 offsets on one partition.
    """

    offsets: int = 100_000
    prune_every: int = 50


class Mode(Enum):
    """LIVE follows the stored offsets and uses ``batch_handler``; REPLAY fills a fresh schema from offset 0."""

    LIVE = "live"
    # The rebuild's schema has one writer per partition, and a compacted topic has gaps between its offsets,
    # so no stored-offset check; ``replay_batch_handler`` is used where the projection has one.
    REPLAY = "replay"


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
    # Steps after those statements, in the same transaction: what a replay's partitions, applied side by side,
    # may leave undone between them (routing indexes a case whose key and request came in the same moment).
    after_replay_steps: tuple[Callable[[Conn], Awaitable[object]], ...] = ()
    # Whether the region's case streams are read besides the record topics: the change agents' network reads only
    # its own topics (its Kafka user may not read the cases).
    reads_cases: bool = True


def one_at_a_time(batch: BatchHandler) -> EventHandler:
    """An event handler that is the batch handler given one event: one implementation for both paths."""
    async def handler(conn: Conn, event: EventBase) -> None:
        await batch(conn, [event])
    return handler


class PoisonRecord(Exception):
    """A record that can never be applied; it goes to the dead-letter sink."""


@dataclass(frozen=True)
class Moved:
    """The stored offset is not where the records start: nothing was applied; read on from ``stored``."""

    stored: int


_FIRST_TIME_BATCH = (
    "INSERT INTO processed_events (event_id, topic, partition, record_offset)"
    " SELECT e, $2, $3, o FROM unnest($1::uuid[], $4::bigint[]) AS u(e, o) ON CONFLICT DO NOTHING RETURNING event_id")
_FIRST_TIME = ("INSERT INTO processed_events (event_id, topic, partition, record_offset) VALUES ($1, $2, $3, $4)"
               " ON CONFLICT DO NOTHING RETURNING true")
_PRUNE = "DELETE FROM processed_events WHERE topic = $1 AND partition = $2 AND record_offset < $3"


class Applier:
    """Applies batches of one partition's records to ``projection``; what cannot be read goes to ``dead_letters``."""

    def __init__(self, pool: asyncpg.Pool, projection: Projection, *, dead_letters: DeadLetterSink,
                 mode: Mode = Mode.LIVE, window: DedupWindow | None = None, group: str = "") -> None:
        self.pool = pool
        self.projection = projection
        self.dead_letters = dead_letters
        self.mode = mode
        self.window = window or DedupWindow()
        self.group = group
        self.applied = 0
        self.last_error: str | None = None
        batch = projection.replay_batch_handler if mode is Mode.REPLAY else None
        self._batch = batch or projection.batch_handler
        # The stored offset the caller was told to read on from, per partition: a gap left after that is
        # accepted (compaction on a key topic).
        self._sought: dict[tuple[str, int], int] = {}
        self._since_pruned: dict[tuple[str, int], int] = {}

    def forget_seeks(self) -> None:
        """The partitions were assigned afresh: every position comes from the stored offsets again."""
        self._sought.clear()

    async def apply(self, topic: str, partition: int, records: Sequence[RecordLike]) -> Moved | None:
        """Apply until done: a lost connection is waited out, a failing batch is redone one record at a time."""
        delay = 0.2
        careful = False
        races = 0
        while True:
            try:
                moved = await self.apply_batch(topic, partition, records, careful=careful)
                self.last_error = None
                return moved
            except CONNECTION_ERRORS as exc:
                self.last_error = type(exc).__name__
                log.warning("consumer.transient_failure", group=self.group, topic=topic, partition=partition,
                            error=type(exc).__name__, retry_in_s=round(delay, 2))
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
                    log.warning("consumer.batch_failed", group=self.group, topic=topic, partition=partition,
                                error=type(exc).__name__)
                await asyncio.sleep(0.05)
            except Exception as exc:
                if careful:
                    raise
                # Something in the batch fails for good: redo it one record at a time to isolate it.
                log.warning("consumer.batch_failed", group=self.group, topic=topic, partition=partition,
                            error=type(exc).__name__)
                careful = True

    async def apply_batch(self, topic: str, partition: int, records: Sequence[RecordLike], *,
                          careful: bool = False) -> Moved | None:
        """Apply ``records`` of one partition and store the next offset, all in one transaction, once."""
        first, next_offset = records[0].offset, records[-1].offset + 1
        async with self.pool.acquire() as conn, conn.transaction():
            moved = await self._check_position(conn, topic, partition, first)
            if moved is not None:
                return moved
            applied = 0
            if not careful and self._batch is not None and topic not in self.projection.record_handlers:
                applied = await self._apply_batched(conn, records, self._batch)
            else:
                for record in records:
                    applied += await (self._apply_carefully(conn, record) if careful
                                      else self._apply_record(conn, record))
            await conn.execute(
                "INSERT INTO projection_offsets (topic, partition, next_offset) VALUES ($1, $2, $3)"
                " ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset",
                topic, partition, next_offset,
            )
            if topic not in self.projection.record_handlers:
                await self._prune_now_and_then(conn, topic, partition, next_offset)
        self._sought.pop((topic, partition), None)
        self.applied += applied
        return None

    async def _check_position(self, conn: Conn, topic: str, partition: int, first: int) -> Moved | None:
        """Lock the partition's stored offset; a different one means somebody else moved the partition."""
        stored = await conn.fetchval(
            "SELECT next_offset FROM projection_offsets WHERE topic = $1 AND partition = $2 FOR UPDATE",
            topic, partition,
        )
        if self.mode is Mode.REPLAY or stored is None or stored == first:
            return None
        if stored < first and self._sought.get((topic, partition)) == stored:
            return None  # read on from the stored offset once already: the gap is compaction's
        log.info("consumer.follow_stored_offset", topic=topic, partition=partition, stored=stored, fetched=first)
        self._sought[(topic, partition)] = stored
        return Moved(stored)

    async def _prune_now_and_then(self, conn: Conn, topic: str, partition: int, next_offset: int) -> None:
        """Forget the event ids far behind the stored offset; every ``prune_every`` batches, an indexed DELETE."""
        key = (topic, partition)
        self._since_pruned[key] = self._since_pruned.get(key, 0) + 1
        if self._since_pruned[key] < self.window.prune_every:
            return
        self._since_pruned[key] = 0
        if next_offset > self.window.offsets:
            await conn.execute(_PRUNE, topic, partition, next_offset - self.window.offsets)

    async def _apply_batched(self, conn: Conn, records: Sequence[RecordLike], batch: BatchHandler) -> int:
        """Decode every record, keep the events not applied before (one statement), hand them over at once.

        If the batch handler fails, the whole transaction rolls back and the batch is redone one record
        at a time (``careful``), where a poison record goes to the dead letters alone.
        """
        events: list[tuple[EventBase, RecordLike]] = []
        for record in records:
            event = await self._decode(record)
            if event is not None:
                events.append((event, record))
        if not events:
            return 0
        inserted = {r["event_id"] for r in await conn.fetch(
            _FIRST_TIME_BATCH, [e.event_id for e, _ in events], records[0].topic, records[0].partition,
            [r.offset for _, r in events])}
        fresh: list[tuple[EventBase, RecordLike]] = []
        for event, record in events:
            if event.event_id in inserted:
                inserted.discard(event.event_id)  # a second copy in the same batch is a duplicate too
                fresh.append((event, record))
            else:
                log.info("consumer.duplicate_skipped", event_id=str(event.event_id), case_id=str(event.case_id))
        if fresh:
            with applying_together([_applying(r, e) for e, r in fresh], service=self.projection.name,
                                   traced=self.mode is Mode.LIVE):
                await batch(conn, [e for e, _ in fresh])
        return len(fresh)

    async def _apply_carefully(self, conn: Conn, record: RecordLike) -> int:
        try:
            async with conn.transaction():
                return await self._apply_record(conn, record)
        except CONNECTION_ERRORS:
            raise
        except Exception as exc:
            await self.dead_letters(record, f"handler failed: {type(exc).__name__}")
            return 0

    async def _apply_record(self, conn: Conn, record: RecordLike) -> int:
        raw_handler = self.projection.record_handlers.get(record.topic)
        if raw_handler is not None:
            try:
                with applying(_applying(record), service=self.projection.name, traced=self.mode is Mode.LIVE):
                    await raw_handler(conn, record)
            except PoisonRecord as exc:
                await self.dead_letters(record, str(exc))
                return 0
            return 1
        event = await self._decode(record)
        if event is None:
            return 0
        first_time = await conn.fetchval(_FIRST_TIME, event.event_id, record.topic, record.partition, record.offset)
        if not first_time:
            log.info("consumer.duplicate_skipped", event_id=str(event.event_id), case_id=str(event.case_id))
            return 0
        handler = self.projection.event_handlers.get(event.type)
        if handler is not None:
            with structlog.contextvars.bound_contextvars(
                event_id=str(event.event_id), event_type=event.type, case_id=str(event.case_id),
                correlation_id=str(event.correlation_id), topic=record.topic, partition=record.partition,
                offset=record.offset,
            ), applying(_applying(record, event), service=self.projection.name, traced=self.mode is Mode.LIVE):
                await handler(conn, event)
        return 1

    async def _decode(self, record: RecordLike) -> EventBase | None:
        """The event in ``record``; None for a type this version does not know (a newer producer's, not
        poison) and for a record that cannot be read, which is dead-lettered here."""
        if record.value is None:
            await self.dead_letters(record, "empty record on an event stream")
            return None
        try:
            return decode(record.value)
        except UndecodableEvent as exc:
            await self.dead_letters(record, str(exc))
            return None


def _applying(record: RecordLike, event: EventBase | None = None) -> Applying:
    """What the trace of applying ``record`` names: its place, its headers and, for an event, its ids."""
    if event is None:
        return Applying(record.headers, record.topic, record.partition, record.offset)
    return Applying(record.headers, record.topic, record.partition, record.offset, event.type,
                    {"event_id": str(event.event_id), "event_type": event.type, "case_id": str(event.case_id),
                     "correlation_id": str(event.correlation_id)})


async def skip_in_replay(record: RecordLike, reason: str) -> None:
    """A rebuild's dead-letter sink: it meets the same poison the live consumer parked already."""
    log.warning("consumer.poison_skipped_in_replay", topic=record.topic, partition=record.partition,
                offset=record.offset, reason=reason[:200])
