"""Who holds a consumer group's partitions: each instance by its /readyz, each member by the broker.

Used by the scale-out test, where two instances of a service share a group: the broker's own
assignment (``DescribeGroups``) and each instance's ``/readyz`` (``consumer.partitions``, and the
lag of each partition it holds) must tell the same story. Kafka's committed group offsets are read
too: the projections keep theirs in PostgreSQL, so a group should have none there.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment, ConsumerProtocolMemberMetadata
from aiokafka.errors import KafkaError

from tests.faults.system import Readiness, System

TIMEOUT_S = 90.0  # for anything that must happen "eventually"

Partitions = set[tuple[str, int]]


@dataclass
class Split:
    """Who held a group's partitions at one moment: each instance by its /readyz, each member by the broker."""

    held: dict[str, int]
    members: list[int]
    total: int

    def render(self) -> str:
        return "/".join(str(n) for n in self.held.values()) + f" of {self.total}"


async def _group(bootstrap: str, group: str) -> tuple[list[Partitions], list[str]]:
    """The broker's view of a consumer group: each member's partitions, and the topics they subscribe to."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
        [described] = response.to_object()["groups"]
        members: list[Partitions] = []
        topics: set[str] = set()
        for member in described["members"]:
            if member["member_metadata"]:
                topics |= set(ConsumerProtocolMemberMetadata.decode(member["member_metadata"]).subscription)
            assignment = member["member_assignment"]
            members.append({(tp.topic, tp.partition) for tp in
                            ConsumerProtocolMemberAssignment.decode(assignment).partitions()} if assignment else set())
        return members, sorted(topics)
    finally:
        await admin.close()


async def _all_partitions(bootstrap: str, topics: list[str]) -> Partitions:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        return {(t["topic"], p["partition"]) for t in await admin.describe_topics(topics) for p in t["partitions"]}
    finally:
        await admin.close()


async def readyz(client: httpx.AsyncClient, system: System, name: str) -> dict[str, object]:
    try:
        body = (await client.get(f"{system.url(name)}/readyz")).json()
    except (httpx.HTTPError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def consumer_of(body: dict[str, object]) -> dict[str, object]:
    consumer = body.get("consumer")
    return consumer if isinstance(consumer, dict) else {}


async def split(system: System, service: str, instances: tuple[str, ...], timeout: float = TIMEOUT_S) -> Split:
    """Once each of ``instances`` holds some of ``service``'s partitions and together all of them, by their
    /readyz and by the broker (one member each, no partition twice)."""
    group = f"{system.prefix}.{service}"
    deadline = time.monotonic() + timeout
    last: object = None
    async with httpx.AsyncClient(timeout=5.0) as client:
        while True:
            try:
                members, topics = await _group(system.kafka.bootstrap, group)
                total = await _all_partitions(system.kafka.bootstrap, topics) if topics else set()
            except KafkaError as exc:  # the group's coordinator may not be there yet
                members, total = [], set()
                last = type(exc).__name__
            held: dict[str, int] = {}
            for name in instances:
                partitions = consumer_of(await readyz(client, system, name)).get("partitions")
                held[name] = partitions if isinstance(partitions, int) else 0
            union: Partitions = set().union(*members) if members else set()
            if (total and all(held.values()) and sum(held.values()) == len(total) and len(members) == len(instances)
                    and sum(len(m) for m in members) == len(union) and union == total):
                return Split(held, sorted(len(m) for m in members), len(total))
            last = (held, [len(m) for m in members], len(total)) if total else last
            if time.monotonic() > deadline:
                raise AssertionError(f"{service}: {instances} did not share all partitions within {timeout:.0f} s;"
                                     f" last seen (readyz, broker, total) {last}")
            await asyncio.sleep(0.5)


async def held_all(readiness: Readiness, name: str, total: int, since: float, timeout: float = TIMEOUT_S) -> float:
    """Seconds from ``since`` until ``name``'s /readyz showed ``total`` partitions."""
    deadline = time.monotonic() + timeout
    while True:
        for sample in readiness.since(since, name):
            if consumer_of(sample.body).get("partitions") == total:
                return sample.at - since
        if time.monotonic() > deadline:
            seen = [consumer_of(s.body).get("partitions") for s in readiness.since(since, name)][-5:]
            raise AssertionError(f"{name} did not take over all {total} partitions within {timeout:.0f} s; "
                                 f"last seen {seen}")
        await asyncio.sleep(0.25)


async def lag_after(system: System, instances: tuple[str, ...]) -> tuple[int | str, int]:
    """The consumer lag ``instances`` report together ("unknown" if one does not say), and over how many
    partitions."""
    lag: int | str = 0
    partitions = 0
    async with httpx.AsyncClient(timeout=5.0) as client:
        for name in instances:
            consumer = consumer_of(await readyz(client, system, name))
            value, by_partition = consumer.get("lag"), consumer.get("lag_by_partition")
            lag = lag + value if isinstance(lag, int) and isinstance(value, int) else "unknown"
            partitions += len(by_partition) if isinstance(by_partition, dict) else 0
    return lag, partitions


async def committed_in_kafka(bootstrap: str, group: str) -> int:
    """Partitions for which ``group`` has an offset committed in Kafka's own group offsets."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        return sum(1 for o in (await admin.list_consumer_group_offsets(group)).values() if o.offset >= 0)
    finally:
        await admin.close()
