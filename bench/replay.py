"""Replay: rebuild routing's and reporting's projections from a stream of ``count`` events.

The stream is a region's demo years (``deploy.demo``: the same distributions of arrivals, topics,
steps and outcomes as ``make run``), made with routing's own ``decide``/``evolve``. Planning and
sealing a case takes a while, so a base of planned cases is encoded once and copied under fresh
case and event ids until the stream holds ``count`` events. The baseline is the raw aiokafka
consume rate of the same topic in the same run: every record fetched, nothing decoded.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import date

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.demo.events import year_of_events
from deploy.demo.model import plan_year
from services.reporting.projection import projection as reporting_projection
from services.reporting.settings import ReportingSettings
from services.routing.projection import projection as routing_projection
from services.routing.settings import RoutingSettings
from shared.codec import encode
from shared.rebuild import rebuild, topic_partitions
from shared.regions import load_regions
from shared.runtime import ServiceRuntime
from shared.settings import ROOT
from shared.topics import cases_topic

PREFIX = "replay"
REGION = "varsinais-suomi"
PARTITIONS = 3
TEAM_OF = {"ohjaaja": "family-guidance", "perhetyo": "family-work"}


@dataclass(frozen=True)
class Replay:
    events: int
    cases: int
    produced_s: float
    raw_per_s: float
    routing_per_s: float
    reporting_per_s: float


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


async def raw_consume(bootstrap: str, topic: str) -> tuple[int, float]:
    """Every record of ``topic`` fetched from offset 0 with the replay's own fetch settings; nothing decoded."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                              auto_offset_reset="earliest", max_partition_fetch_bytes=8 * 1024 * 1024,
                              fetch_max_bytes=32 * 1024 * 1024)
    await reader.start()
    try:
        partitions = await topic_partitions(bootstrap, [topic])
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        ends = await reader.end_offsets(partitions)
        started = time.monotonic()
        count = 0
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            fetched = await reader.getmany(*remaining, timeout_ms=1000, max_records=5000)
            for tp, records in fetched.items():
                count += sum(1 for r in records if r.offset < ends[tp])
                if await reader.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return count, time.monotonic() - started
    finally:
        await reader.stop()


async def replay(service: str, dsn: str, bootstrap: str) -> tuple[int, float]:
    settings = (RoutingSettings if service == "routing" else ReportingSettings)(
        database_url=dsn, kafka_bootstrap=bootstrap, topic_prefix=PREFIX, db_schema=f"{service}_replay",
        regions=[REGION])
    runtime = ServiceRuntime(settings)
    projection = routing_projection(runtime) if service == "routing" else reporting_projection(runtime)
    result = await rebuild(dsn=dsn, service_schema=settings.db_schema, projection_schema=runtime.projection_schema,
                           bootstrap=bootstrap, topics=runtime.projection_topics(projection), projection=projection,
                           swap=False)
    return result.records, result.seconds


async def run(dsn: str, bootstrap: str, *, count: int, base_cases: int = 20000) -> Replay:
    base = base_stream(base_cases)
    topic = cases_topic(PREFIX, REGION)
    produced_s = await produce(bootstrap, topic, copies(base, count))
    raw_count, raw_s = await raw_consume(bootstrap, topic)
    assert raw_count == count, (raw_count, count)
    routing_count, routing_s = await replay("routing", dsn, bootstrap)
    reporting_count, reporting_s = await replay("reporting", dsn, bootstrap)
    assert routing_count == reporting_count == count, (routing_count, reporting_count, count)
    return Replay(events=count, cases=round(count * len({k for k, *_ in base}) / len(base)), produced_s=produced_s,
                  raw_per_s=raw_count / raw_s, routing_per_s=count / routing_s, reporting_per_s=count / reporting_s)
