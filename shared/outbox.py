"""Transactional outbox: events are written to Postgres with the state change, then relayed to Kafka.

Accepted means kept: a request is durable once its transaction commits, whether Kafka is up
or not. The relay publishes rows in id order with an idempotent producer (acks=all) and
deletes them only after Kafka acknowledged them, so order per case holds and nothing is lost;
after a crash a row may be published twice, which consumers absorb by ``event_id``. Each row keeps the
trace context of the work that wrote it (:func:`shared.tracing.outgoing`), and the record carries it in its
``traceparent`` and ``tracestate`` headers, so a consumer continues that trace however late the relay sends.
"""

from __future__ import annotations

import asyncio
import random

import asyncpg
import orjson
import structlog
from aiokafka import AIOKafkaProducer

from shared.codec import encode
from shared.db import Conn
from shared.event_base import Envelope
from shared.kafka_security import PLAINTEXT, KafkaSecurity
from shared.tracing import kafka_headers, outgoing

log = structlog.get_logger(__name__)

# One relay publishes at a time per schema, so rows leave in id order.
RELAY_LOCK_SQL = "SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || '.outbox'))"


def event_headers(event: Envelope) -> list[tuple[str, str]]:
    return [("type", event.type), ("correlation_id", str(event.correlation_id))]


async def enqueue(
    conn: Conn,
    topic: str,
    key: bytes | None,
    value: bytes | None,
    headers: list[tuple[str, str]] | None = None,
) -> None:
    """Add one record to the outbox inside the caller's transaction (``value=None`` is a tombstone)."""
    traceparent, tracestate = outgoing()
    await conn.execute(
        "INSERT INTO outbox (topic, key, value, headers, traceparent, tracestate)"
        " VALUES ($1, $2, $3, $4::jsonb, $5, $6)",
        topic, key, value, orjson.dumps(headers or []).decode(), traceparent, tracestate,
    )


async def enqueue_event(conn: Conn, topic: str, event: Envelope) -> None:
    """Keyed by the event's subject (a case's id on the case stream), so a subject's events keep their order."""
    await enqueue(conn, topic, event.subject_key.encode(), encode(event), event_headers(event))


def new_producer(bootstrap: str, client_id: str, security: KafkaSecurity = PLAINTEXT) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        **security.client_options(),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        max_batch_size=256 * 1024,
        request_timeout_ms=10000,
        retry_backoff_ms=200,
    )


class OutboxRelay:
    """Publishes a schema's outbox to Kafka; survives Kafka and Postgres outages by retrying."""

    def __init__(self, pool: asyncpg.Pool, bootstrap: str, *, name: str, batch_size: int = 500,
                 poll_interval: float = 0.5, send_timeout: float = 15.0, linger: float = 0.005,
                 security: KafkaSecurity = PLAINTEXT) -> None:
        self.pool = pool
        self.bootstrap = bootstrap
        self.security = security
        self.name = name
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.send_timeout = send_timeout
        # After a wake-up, how long to let more commits join the batch: under load a batch per request
        # would cost five round trips each; a few milliseconds gather dozens.
        self.linger = linger
        self.published = 0
        self.kafka_ok = False
        self.last_error: str | None = None
        self._wake = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None

    def wake(self) -> None:
        """Called after a commit that added rows, so they leave at once instead of at the next poll."""
        self._wake.set()

    async def depth(self) -> int:
        return int(await self.pool.fetchval("SELECT count(*) FROM outbox"))

    async def run(self) -> None:
        backoff = 0.2
        try:
            while True:
                try:
                    sent = await self.publish_batch()
                    backoff = 0.2
                    self.last_error = None
                except Exception as exc:  # Kafka or Postgres failed: nothing was deleted, so retry
                    self.kafka_ok = False
                    self.last_error = type(exc).__name__
                    log.warning("outbox.relay_failed", relay=self.name, error=type(exc).__name__,
                                retry_in_s=round(backoff, 2))
                    await self._close_producer()
                    await asyncio.sleep(backoff + random.uniform(0, backoff / 2))
                    backoff = min(backoff * 2, 5.0)
                    continue
                if sent < self.batch_size:
                    self._wake.clear()
                    # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that meets a wake-up,
                    # and the relay would outlive the service's shutdown.
                    try:
                        async with asyncio.timeout(self.poll_interval):
                            await self._wake.wait()
                        await asyncio.sleep(self.linger)
                    except TimeoutError:
                        pass
        finally:
            await self._close_producer()

    async def publish_batch(self) -> int:
        """Publish up to ``batch_size`` rows and delete them once Kafka has acknowledged all."""
        async with self.pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval(RELAY_LOCK_SQL):
                return 0
            rows = await conn.fetch(
                "SELECT id, topic, key, value, headers, traceparent, tracestate FROM outbox ORDER BY id LIMIT $1",
                self.batch_size,
            )
            if not rows:
                return 0
            producer = await self._ensure_producer()
            futures = []
            for row in rows:
                headers = [(k, v.encode()) for k, v in orjson.loads(row["headers"])]
                headers += kafka_headers(row["traceparent"], row["tracestate"])
                futures.append(await producer.send(row["topic"], value=row["value"], key=row["key"],
                                                   headers=headers))
            done, pending = await asyncio.wait(futures, timeout=self.send_timeout)
            if pending:
                raise TimeoutError(f"{len(pending)} of {len(futures)} records not acknowledged in time")
            for future in done:
                future.result()  # raises the first delivery error, if any
            # By id, not by range: a row committed meanwhile with an id in the range was not published.
            await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["id"] for r in rows])
        self.kafka_ok = True
        self.published += len(rows)
        log.debug("outbox.published", relay=self.name, count=len(rows))
        return len(rows)

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = new_producer(self.bootstrap, f"{self.name}-relay", self.security)
            try:
                async with asyncio.timeout(self.send_timeout):
                    await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                async with asyncio.timeout(5):
                    await producer.stop()
            except Exception as exc:  # a dead broker can make stop() fail; the producer is gone anyway
                log.debug("outbox.producer_stop_failed", error=type(exc).__name__)
