"""Roll markers on key topics: a record in every partition now and then, so an erased key goes soon.

The log cleaner leaves a partition's active segment alone, and a segment rolls only when a record is
appended to it after ``segment.ms``. A quiet partition (a small region at night, a quiet network) would keep
an erasure's tombstone, and the erased key before it, uncompacted until the next record happens to land
there. The marker is a tombstone of a key no case or agent has (the nil UUID): every reader's key table
deletes nothing on it, and compaction keeps only its latest per partition. See shared/topics.py,
``KeysCompaction``. Routing marks the case key topics, the network its agents' key topics.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import structlog
from aiokafka import AIOKafkaProducer

from shared.outbox import new_producer
from shared.settings import ServiceSettings

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


async def run_roll_markers(settings: ServiceSettings, topics: list[str], every_s: float, client: str,
                           producer_factory: Callable[[], AIOKafkaProducer] | None = None) -> None:
    """Every ``every_s``, a marker in each partition of ``topics``; survives Kafka's outages.

    ``client`` names the producer (``<prefix>.<client>``); ``producer_factory`` is for tests.
    """
    make = producer_factory or (lambda: new_producer(settings.kafka_bootstrap, f"{settings.topic_prefix}.{client}",
                                                     settings.kafka_security))
    producer: AIOKafkaProducer | None = None
    try:
        while True:
            await asyncio.sleep(every_s)
            try:
                if producer is None:
                    producer = make()
                    await producer.start()
                await mark_partitions(producer, topics)
            except Exception as exc:  # Kafka away: the next round tries again with a fresh producer
                log.warning("keys.roll_marker_failed", error=type(exc).__name__)
                if producer is not None:
                    await producer.stop()
                    producer = None
    finally:
        if producer is not None:
            await producer.stop()
