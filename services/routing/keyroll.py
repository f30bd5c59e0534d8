"""Roll markers on the key topics: a record in every partition now and then, so an erased key goes soon.

The log cleaner leaves a partition's active segment alone, and a segment rolls only when a record is
appended to it after ``segment.ms``. A quiet partition (a small region at night) would keep an erasure's
tombstone, and the erased key before it, uncompacted until the next request happens to land there. The
marker is a tombstone of a key no case has (the nil UUID): each service's key table deletes nothing on
it, and compaction keeps only its latest per partition. See shared/topics.py, ``KeysCompaction``.
"""

from __future__ import annotations

import asyncio
import uuid

import structlog
from aiokafka import AIOKafkaProducer

from services.routing.settings import RoutingSettings
from shared.outbox import new_producer
from shared.runtime import ServiceRuntime

log = structlog.get_logger(__name__)

MARKER_KEY = str(uuid.UUID(int=0)).encode()


async def mark_partitions(producer: AIOKafkaProducer, topics: list[str]) -> int:
    """One marker in every partition of ``topics``; returns how many were written."""
    sent = []
    for topic in topics:
        for partition in sorted(await producer.partitions_for(topic)):
            sent.append(await producer.send(topic, key=MARKER_KEY, value=None, partition=partition,
                                            headers=[("type", b"keys.roll_marker")]))
    for future in sent:
        await future
    return len(sent)


async def run_roll_markers(runtime: ServiceRuntime[RoutingSettings]) -> None:
    """Every ``key_roll_marker_s``, a marker in each partition of the region key topics; survives outages."""
    s = runtime.settings
    producer: AIOKafkaProducer | None = None
    try:
        while True:
            await asyncio.sleep(s.key_roll_marker_s)
            try:
                if producer is None:
                    producer = new_producer(s.kafka_bootstrap, f"{s.topic_prefix}.routing-key-roll", s.kafka_security)
                    await producer.start()
                await mark_partitions(producer, runtime.keys_topics())
            except Exception as exc:  # Kafka away: the next round tries again with a fresh producer
                log.warning("keys.roll_marker_failed", error=type(exc).__name__)
                if producer is not None:
                    await producer.stop()
                    producer = None
    finally:
        if producer is not None:
            await producer.stop()
