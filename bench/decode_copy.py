"""The floor under any replay: every record decoded with the project's codec and COPYed, a batch at a time.

``python -m bench.decode_copy BOOTSTRAP TOPIC DSN`` reads the replay's topic from offset 0 with the
replay's fetch settings and batch size, decodes each record with ``shared.codec.decode`` and writes
each event's envelope as a row of a plain table (no index, no key, no upsert) with
``copy_records_to_table``, one transaction a batch. It is laid out as the rebuild is: a worker per
partition behind a short queue, a pool of the rebuild's size, the cyclic collector held off. It
prints one JSON line: records, seconds and the process's CPU seconds.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition

from bench.replay import BATCH, reading
from shared.codec import decode
from shared.db import create_pool
from shared.events import EventBase
from shared.rebuild import fewer_collections

SCHEMA = "bench_floor"
TABLE = "events"
COLUMNS = ("event_id", "type", "schema_version", "case_id", "region", "municipality", "occurred_at", "actor",
           "correlation_id", "causation_id")
DDL = f"""DROP TABLE IF EXISTS {TABLE};
CREATE TABLE {TABLE} (
    event_id uuid NOT NULL, type text NOT NULL, schema_version int NOT NULL, case_id uuid NOT NULL,
    region text NOT NULL, municipality text NOT NULL, occurred_at timestamptz NOT NULL, actor text NOT NULL,
    correlation_id uuid NOT NULL, causation_id uuid)"""

Batch = list[ConsumerRecord[bytes, bytes]]


def row(event: EventBase) -> tuple[Any, ...]:
    """The envelope's fields, in the order of ``COLUMNS``."""
    return tuple(getattr(event, column) for column in COLUMNS)


def rows(records: Batch) -> list[tuple[Any, ...]]:
    """A batch's records decoded; a record of a type this code does not know makes no row, as in a replay."""
    return [row(event) for record in records if record.value is not None
            and (event := decode(record.value)) is not None]


async def decode_and_copy(bootstrap: str, topic: str, dsn: str) -> tuple[int, float]:
    """Every record of ``topic`` decoded and copied into a fresh table; returns (records read, seconds)."""
    pool = await create_pool(dsn, [SCHEMA], max_size=4)
    count = 0

    async def write(queue: asyncio.Queue[Batch | None]) -> None:
        nonlocal count
        while (records := await queue.get()) is not None:
            decoded = rows(records)
            async with pool.acquire() as conn:
                await conn.copy_records_to_table(TABLE, records=decoded, columns=COLUMNS, schema_name=SCHEMA)
            count += len(records)

    try:
        await pool.execute(DDL)
        async with reading(bootstrap, topic) as (reader, ends):
            started = time.monotonic()
            remaining = {tp for tp, end in ends.items() if end > 0}
            queues: dict[TopicPartition, asyncio.Queue[Batch | None]] = {
                tp: asyncio.Queue(maxsize=2) for tp in remaining}
            async with asyncio.TaskGroup() as workers:
                for queue in queues.values():
                    workers.create_task(write(queue))
                while remaining:
                    fetched = await reader.getmany(*remaining, timeout_ms=1000, max_records=BATCH)
                    for tp, records in fetched.items():
                        records = [r for r in records if r.offset < ends[tp]]
                        if records:
                            await queues[tp].put(records)
                        if await reader.position(tp) >= ends[tp]:
                            remaining.discard(tp)
                for queue in queues.values():  # a failed worker cancels this whole group instead
                    await queue.put(None)
            return count, time.monotonic() - started
    finally:
        await pool.close()


async def _main(bootstrap: str, topic: str, dsn: str) -> tuple[int, float]:
    with fewer_collections():
        return await decode_and_copy(bootstrap, topic, dsn)


if __name__ == "__main__":
    records, seconds = asyncio.run(_main(*sys.argv[1:4]))
    print(json.dumps({"records": records, "seconds": seconds, "cpu_s": time.process_time()}))  # noqa: T201
