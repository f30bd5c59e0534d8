"""Roll markers on the network key topics, as routing writes them on the case key topics (its keyroll.py says why):
a record in every partition each ``key_roll_marker_s``, so the segment holding a leaver's tombstone rolls and the
cleaner drops their key from the log within minutes, however quiet the network is. The marker is a tombstone of
the nil UUID, a key no agent has: every reader's key table deletes nothing on it."""

from __future__ import annotations

import asyncio
import uuid

import structlog
from aiokafka import AIOKafkaProducer

from services.network.settings import NetworkSettings
from shared.outbox import new_producer
from shared.runtime import ServiceRuntime
from shared.topics import network_keys_topic

log = structlog.get_logger(__name__)
MARKER_KEY = str(uuid.UUID(int=0)).encode()


async def mark_partitions(producer: AIOKafkaProducer, topics: list[str]) -> int:
    sent = []
    for topic in topics:
        for partition in sorted(await producer.partitions_for(topic)):
            sent.append(await producer.send(topic, key=MARKER_KEY, value=None, partition=partition,
                                            headers=[("type", b"keys.roll_marker")]))
    for future in sent:
        await future
    return len(sent)


async def run_roll_markers(runtime: ServiceRuntime[NetworkSettings]) -> None:
    s = runtime.settings
    topics = [network_keys_topic(s.topic_prefix, r.id) for r in runtime.regions]
    producer: AIOKafkaProducer | None = None
    try:
        while True:
            await asyncio.sleep(s.key_roll_marker_s)
            try:
                if producer is None:
                    producer = new_producer(s.kafka_bootstrap, f"{s.topic_prefix}.network-key-roll", s.kafka_security)
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
