"""The Kafka loop of a projection: it reads the region streams and feeds :class:`shared.applier.Applier`.

Offsets live with the projection (not in Kafka): on assignment the loop seeks to the stored
offsets, and when the applier finds that somebody else moved a partition (a rebuild, or a newer
owner after a rebalance) the loop reads on from the stored offset. Around that: a watchdog that
restarts a consumer that went quiet while records wait, the lag, the status /readyz shows, and the
dead-letter topic the applier's poison goes to.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition

from shared.applier import Applier, DedupWindow, Projection, RecordLike
from shared.db import CONNECTION_ERRORS
from shared.kafka_security import PLAINTEXT, KafkaSecurity
from shared.outbox import new_producer
from shared.tracing import TRACE_HEADERS

log = structlog.get_logger(__name__)

# How long the broker keeps a silent member's partitions before it hands them to the rest of the group.
SESSION_TIMEOUT_MS = 10_000
# How long a rebalance waits for the live members to join again. They rejoin from aiokafka's background
# task within a heartbeat (nothing is handed over on revocation: offsets are stored with each batch), so
# the session's length is plenty; Java's default, max.poll.interval.ms (5 min), would let a member that
# never answers hold a rebalance up that long.
REBALANCE_TIMEOUT_MS = SESSION_TIMEOUT_MS


class ConsumerStalled(Exception):
    """The consumer made no progress while records waited: it is restarted."""


class KafkaDeadLetters:
    """The applier's dead-letter sink: the region's dead-letter topic, with the reason and the source in headers."""

    def __init__(self, *, bootstrap: str, group_id: str, topic_for: Callable[[str], str],
                 security: KafkaSecurity = PLAINTEXT) -> None:
        self.bootstrap = bootstrap
        self.security = security
        self.group_id = group_id
        self.topic_for = topic_for
        self.sent = 0
        self._producer: AIOKafkaProducer | None = None

    async def __call__(self, record: RecordLike, reason: str, /) -> None:
        """Park the record with its reason; it is sent before the batch commits, so none is lost."""
        if self._producer is None:
            self._producer = new_producer(self.bootstrap, f"{self.group_id}-dlq", self.security)
            await self._producer.start()
        headers = [
            ("reason", reason[:500].encode()),
            ("source_topic", record.topic.encode()),
            ("source_partition", str(record.partition).encode()),
            ("source_offset", str(record.offset).encode()),
            ("consumer_group", self.group_id.encode()),
            # The producer's trace goes along, so the parked record is found from the trace that sent it.
            *((name, value) for name, value in record.headers if name in TRACE_HEADERS),
        ]
        await self._producer.send_and_wait(self.topic_for(record.topic), value=record.value, key=record.key,
                                           headers=headers)
        self.sent += 1
        log.error("consumer.dead_lettered", group=self.group_id, topic=record.topic,
                  partition=record.partition, offset=record.offset, reason=reason[:200])

    async def stop(self) -> None:
        """Close the producer, if one was opened; the next record opens another. A producer's stop can wait
        for the broker for ever (as the relay's can): a service stopping gives up on it after a few seconds."""
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                async with asyncio.timeout(5):
                    await producer.stop()
            except Exception as exc:
                log.warning("consumer.dead_letter_producer_stop_abandoned", error=type(exc).__name__)


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
        window: DedupWindow | None = None,
        security: KafkaSecurity = PLAINTEXT,
        instance_id: str | None = None,
    ) -> None:
        self.pool = pool
        # Static membership (KIP-345) under this name; None: a new member at every start.
        self.instance_id = instance_id
        self.bootstrap = bootstrap
        self.security = security
        self.group_id = group_id
        self.topics = topics
        self.max_records = max_records
        self.stall_after_s = stall_after_s
        self.stalls = 0
        self._progress_mark = -1
        self._progress_at = time.monotonic()
        self.running = False
        self.dead_letters = KafkaDeadLetters(bootstrap=bootstrap, group_id=group_id, topic_for=dead_letter_topic,
                                             security=security)
        self.applier = Applier(pool, projection, dead_letters=self.dead_letters, window=window, group=group_id)
        self._consumer: AIOKafkaConsumer | None = None

    @property
    def applied(self) -> int:
        """Records applied to the projection since start."""
        return self.applier.applied

    @property
    def dead_lettered(self) -> int:
        """Records sent to the dead-letter topic since start."""
        return self.dead_letters.sent

    @property
    def last_error(self) -> str | None:
        """The last failure, of the loop or of applying; None once a batch went through."""
        return self.applier.last_error

    @last_error.setter
    def last_error(self, error: str | None) -> None:
        self.applier.last_error = error

    def _new_consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            **self.security.client_options(),
            group_id=self.group_id,
            # A process started again under its old name takes its old member's place and partitions at once:
            # without it, the group waited for the dead member's session to run out before a rebalance could
            # finish (docs/reliability.md). The same holds for the loop's own restarts below.
            group_instance_id=self.instance_id,
            client_id=f"{self.group_id}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.max_records,
            # A batch is at most max_records (about half a megabyte of events); larger fetches only held more
            # of a backlog in memory at once, which after a pause took a service past 150 MB.
            max_partition_fetch_bytes=1024 * 1024,
            fetch_max_bytes=4 * 1024 * 1024,
            session_timeout_ms=SESSION_TIMEOUT_MS,
            rebalance_timeout_ms=REBALANCE_TIMEOUT_MS,
            heartbeat_interval_ms=1000,
        )

    async def run(self) -> None:
        """Consume until cancelled; a broker that is away is waited for."""
        backoff = 0.5
        while True:
            consumer = self._new_consumer()
            try:
                await asyncio.wait_for(consumer.start(), self.stall_after_s)
            except Exception as exc:
                await self._stop(consumer)
                self.last_error = type(exc).__name__
                log.warning("consumer.start_failed", group=self.group_id, error=type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            self._consumer = consumer
            log.info("consumer.started", group=self.group_id, instance=self.instance_id)
            try:
                consumer.subscribe(self.topics, listener=_SeekTo(self))
                self.running = True
                await self._loop(consumer)
            except asyncio.CancelledError:
                leave_on_stop(consumer)
                raise
            except Exception as exc:
                # Kafka failed under us (a dead-letter send, a fetch): start over from the stored offsets.
                self.last_error = type(exc).__name__
                log.error("consumer.restarting", group=self.group_id, error=type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                self.running = False
                self._consumer = None
                await self._stop(consumer)
                await self.dead_letters.stop()

    async def _stop(self, consumer: AIOKafkaConsumer) -> None:
        """Stop a consumer, giving up after ``stall_after_s``: aiokafka's stop can wait for the group
        coordinator for ever after a broker restart, and the next consumer must not wait with it."""
        try:
            await asyncio.wait_for(consumer.stop(), self.stall_after_s)
        except Exception as exc:
            log.warning("consumer.stop_abandoned", group=self.group_id, error=type(exc).__name__)

    async def _loop(self, consumer: AIOKafkaConsumer) -> None:
        checked = time.monotonic()
        self._progress_at = checked
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=self.max_records)
            for tp, records in batches.items():
                moved = await self.applier.apply(tp.topic, tp.partition, records)
                if moved is not None and tp in consumer.assignment():
                    consumer.seek(tp, moved.stored)
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
        self.applier.forget_seeks()
        log.info("consumer.assigned", group=self.group_id, instance=self.instance_id,
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


def leave_on_stop(consumer: AIOKafkaConsumer) -> None:
    """Make the consumer's stop leave its group, though it has a static name.

    aiokafka (like Java's client) never sends LeaveGroup for a static member, so that a member which comes
    back keeps its place; but the service is stopping on purpose here (a scale-down, a new version, a test's
    teardown), and the rest of the group would wait out the session before taking its partitions over. A
    crash never gets here: it keeps the place, which is the point. The loop's own restarts (a stall, a lost
    broker) do not leave either: the next consumer takes the place under the same name at once.
    """
    coordinator = getattr(consumer, "_coordinator", None)
    if coordinator is not None and getattr(coordinator, "_group_instance_id", None) is not None:
        # The member id alone: LeaveGroup v0/v1 (all aiokafka speaks) removes a static member by it too.
        coordinator._group_instance_id = None  # noqa: SLF001 - aiokafka has no public switch for this


async def stored_offsets(pool: asyncpg.Pool) -> dict[tuple[str, int], int]:
    rows = await pool.fetch("SELECT topic, partition, next_offset FROM projection_offsets")
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}
