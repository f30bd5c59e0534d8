"""Replay: rebuild routing's and reporting's projections from a stream of ``count`` events.

The stream is a region's demo years (``deploy.demo``: the same distributions of arrivals, topics,
steps and outcomes as ``make run``), made with routing's own ``decide``/``evolve``. Planning and
sealing a case takes a while, so a base of planned cases is encoded once and copied under fresh
case and event ids until the stream holds ``count`` events. Two baselines read the same topic in
the same run: the raw aiokafka consume rate (every record fetched, nothing decoded), and the floor
under any replay, every record decoded by the project's codec and COPYed into a plain table a
batch at a time (``bench/decode_copy.py``). The rebuilds (``python -m services.<svc> rebuild
--no-swap``, the operators' command) and the baselines run in fresh processes of their own, so none
carries the generator's objects.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench import profile
from bench.profile import Profile
from bench.system import cpu_seconds
from deploy.demo.events import year_of_events
from deploy.demo.model import plan_year
from shared.codec import encode
from shared.rebuild import topic_partitions
from shared.regions import load_regions
from shared.settings import ROOT
from shared.topics import cases_topic

PREFIX = "replay"
REGION = "varsinais-suomi"
PARTITIONS = 3
BATCH = 5000  # records a replay fetches and applies at once (shared.rebuild.replay_into's batch)
TEAM_OF = {"ohjaaja": "family-guidance", "perhetyo": "family-work"}


@dataclass(frozen=True)
class Replay:
    events: int
    cases: int
    bytes_per_event: float  # key and value, as produced (Kafka's own record overhead comes on top)
    produced_s: float
    raw_per_s: float
    raw_cpu_ms: float  # per record
    decode_copy: Rebuilt  # the floor: decoded and COPYed into a plain table (bench/decode_copy.py)
    routing: Rebuilt
    reporting: Rebuilt


def base_stream(cases: int, seed: int = 2026) -> list[tuple[bytes, bytes, str, str]]:
    """(key, value, case id, event id) of about ``cases`` planned cases, encoded."""
    region = next(r for r in load_regions(ROOT / "deploy" / "regions") if r.id == REGION)
    children = sum(m.population.children_0_17 for m in region.municipalities if m.population)
    plans = plan_year(region, end=date(2026, 11, 2), rng=random.Random(seed),
                      per_1000_children=cases * 1000 / children)
    return [(str(e.case_id).encode(), encode(e), str(e.case_id), str(e.event_id))
            for e in year_of_events(plans, region, team_of=TEAM_OF)]


def copies(base: list[tuple[bytes, bytes, str, str]], count: int):  # type: ignore[no-untyped-def]
    """``count`` records: the base over and over, each copy under new case and event ids, in order per case."""
    made = 0
    while made < count:
        new_case: dict[str, str] = {}
        for _key, value, case_id, event_id in base:
            if made == count:
                return
            fresh_case = new_case.setdefault(case_id, str(uuid.uuid4()))
            value = value.replace(case_id.encode(), fresh_case.encode()).replace(
                event_id.encode(), str(uuid.uuid4()).encode())
            yield fresh_case.encode(), value
            made += 1


async def produce(bootstrap: str, topic: str, records) -> float:  # type: ignore[no-untyped-def]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=20, max_batch_size=1024 * 1024)
    await producer.start()
    started = time.monotonic()
    try:
        pending = []
        for key, value in records:
            pending.append(await producer.send(topic, value=value, key=key))
            if len(pending) >= 20000:
                for future in pending:
                    await future
                pending.clear()
        for future in pending:
            await future
    finally:
        await producer.stop()
    return time.monotonic() - started


@asynccontextmanager
async def reading(bootstrap: str, topic: str) -> AsyncIterator[tuple[AIOKafkaConsumer, dict[TopicPartition, int]]]:
    """A reader of every partition of ``topic`` at offset 0 with the replay's own fetch settings, and where each
    partition ends now."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                              auto_offset_reset="earliest", max_partition_fetch_bytes=8 * 1024 * 1024,
                              fetch_max_bytes=32 * 1024 * 1024)
    await reader.start()
    try:
        partitions = await topic_partitions(bootstrap, [topic])
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        yield reader, await reader.end_offsets(partitions)
    finally:
        await reader.stop()


async def raw_consume(bootstrap: str, topic: str) -> tuple[int, float]:
    """Every record of ``topic`` fetched from offset 0 with the replay's own fetch settings; nothing decoded."""
    async with reading(bootstrap, topic) as (reader, ends):
        started = time.monotonic()
        count = 0
        remaining = {tp for tp, end in ends.items() if end > 0}
        while remaining:
            fetched = await reader.getmany(*remaining, timeout_ms=1000, max_records=BATCH)
            for tp, records in fetched.items():
                count += sum(1 for r in records if r.offset < ends[tp])
                if await reader.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return count, time.monotonic() - started


def in_own_process(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a command in a fresh Python process (as an operator would) and read the JSON line it prints last."""
    done = subprocess.run([sys.executable, *argv], env={**os.environ, **env}, cwd=ROOT, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@dataclass(frozen=True)
class Rebuilt:
    records: int
    seconds: float
    cpu_s: float  # the rebuild process's own CPU time
    postgres_cpu_s: float

    def per_event_ms(self, cpu: float) -> float:
        return cpu / max(1, self.records) * 1000


def _rebuild(service: str, dsn: str, bootstrap: str) -> tuple[list[str], dict[str, str]]:
    return ["-m", f"services.{service}", "rebuild", "--no-swap"], {
        "APUA_DATABASE_URL": dsn, "APUA_KAFKA_BOOTSTRAP": bootstrap, "APUA_TOPIC_PREFIX": PREFIX,
        "APUA_DB_SCHEMA": f"{service}_replay", "APUA_REGIONS": REGION, "APUA_LOG_LEVEL": "WARNING"}


def timed(argv: list[str], env: dict[str, str], postgres_pid: int) -> Rebuilt:
    """A command that fills PostgreSQL from the stream and prints its records and seconds, in its own process."""
    before = cpu_seconds({"postgres": postgres_pid})
    result = in_own_process(argv, env)
    after = cpu_seconds({"postgres": postgres_pid})
    return Rebuilt(int(result["records"]), float(result["seconds"]), after["children"] - before["children"],
                   after["postgres"] - before["postgres"])


def rebuild(service: str, dsn: str, bootstrap: str, postgres_pid: int) -> Rebuilt:
    """``python -m services.<service> rebuild --no-swap``, the operators' command, timed by itself."""
    return timed(*_rebuild(service, dsn, bootstrap), postgres_pid)


def profiled(service: str, dsn: str, bootstrap: str) -> Profile:
    """The same rebuild once more, under py-spy from its start to its end."""
    return profile.command(f"{service}'s rebuild", *_rebuild(service, dsn, bootstrap))


async def run(dsn: str, bootstrap: str, *, count: int, postgres_pid: int, base_cases: int = 20000) -> Replay:
    base = base_stream(base_cases)
    cases = round(count * len({k for k, *_ in base}) / len(base))
    bytes_per_event = sum(len(key) + len(value) for key, value, *_ in base) / len(base)
    topic = cases_topic(PREFIX, REGION)
    produced_s = await produce(bootstrap, topic, copies(base, count))
    del base
    raw = in_own_process(["-m", "bench.replay", "raw", bootstrap, topic], {})
    raw_count, raw_s = int(raw["records"]), float(raw["seconds"])
    assert raw_count == count, (raw_count, count)
    floor = timed(["-m", "bench.decode_copy", bootstrap, topic, dsn], {}, postgres_pid)
    routing = rebuild("routing", dsn, bootstrap, postgres_pid)
    reporting = rebuild("reporting", dsn, bootstrap, postgres_pid)
    assert floor.records == routing.records == reporting.records == count, (
        floor.records, routing.records, reporting.records, count)
    return Replay(events=count, cases=cases, bytes_per_event=bytes_per_event, produced_s=produced_s,
                  raw_per_s=raw_count / raw_s, raw_cpu_ms=float(raw["cpu_s"]) / count * 1000, decode_copy=floor,
                  routing=routing, reporting=reporting)


if __name__ == "__main__":  # python -m bench.replay raw BOOTSTRAP TOPIC: the baseline, in a process of its own
    records, seconds = asyncio.run(raw_consume(sys.argv[2], sys.argv[3]))
    print(json.dumps({"records": records, "seconds": seconds, "cpu_s": time.process_time()}))  # noqa: T201
