"""When a restarted service has caught up: what reached the stream and its outbox before it came back is done.

Under the steady load a busy service always has a record or two in flight (notify turns every request
into notifications and their events), so a /readyz sample with lag 0 and an empty outbox at once can be
minutes away on a loaded machine, although the service caught up seconds after it came back
(docs/reliability.md, "Recovery after kill -9"). A killed service has recovered when it answers /readyz
with its consumer assigned, has applied every record its partitions held when it was started again, and
has published every row its outbox held then. What arrives later is the load's, not the recovery's.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition


@dataclass(frozen=True)
class Backlog:
    """What a service had to catch up on at its restart."""

    ends: dict[tuple[str, int], int]  # end offsets of every partition its projection follows
    outbox_last: int | None  # the newest row of its outbox, if it has one and it was not empty

    def done(self, stored: dict[tuple[str, int], int], outbox_waiting: int) -> bool:
        """Every partition's stored offset at its end as of the restart, and none of those rows left."""
        return outbox_waiting == 0 and all(stored.get(tp, -1) >= end for tp, end in self.ends.items())


async def backlog_at_restart(dsn: str, bootstrap: str, service: str) -> Backlog:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        parts = [(r["topic"], r["partition"]) for r in await conn.fetch(
            f"SELECT topic, partition FROM {service}_projection.projection_offsets")]
        outbox_last = None
        if await conn.fetchval("SELECT to_regclass($1)", f"{service}.outbox") is not None:
            outbox_last = await conn.fetchval(f"SELECT max(id) FROM {service}.outbox")
    finally:
        await conn.close()
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await reader.start()
    try:
        ends = await reader.end_offsets([TopicPartition(t, p) for t, p in parts]) if parts else {}
    finally:
        await reader.stop()
    return Backlog(ends={(tp.topic, tp.partition): end for tp, end in ends.items()}, outbox_last=outbox_last)


async def caught_up(dsn: str, service: str, backlog: Backlog) -> bool:
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        stored = {(r["topic"], r["partition"]): r["next_offset"] for r in await conn.fetch(
            f"SELECT topic, partition, next_offset FROM {service}_projection.projection_offsets")}
        waiting = 0
        if backlog.outbox_last is not None:
            waiting = int(await conn.fetchval(f"SELECT count(*) FROM {service}.outbox WHERE id <= $1",
                                              backlog.outbox_last))
    finally:
        await conn.close()
    return backlog.done(stored, waiting)
