"""Erasing a case's personal data: on an admin's decision, or when the region's retention runs out.

One transaction in routing: a tombstone for the case's key on the region's compacted key topic,
``PersonalDataErased`` on the case stream, and routing's own copy of the key deleted. Every
service drops its copy of the key when the tombstone reaches it and scrubs its sealed copies when
the event does; without the key, what the family and staff wrote is unreadable wherever the
stream has carried it (Kafka, dead letters, backups). The facts without personal data, and so the
statistics, stay. See docs/reliability.md.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import structlog
from aiokafka import AIOKafkaConsumer

from services.routing import repository, search_index
from services.routing.accounts import Account
from services.routing.audit import record_access
from services.routing.domain import evolve
from services.routing.feedback import erase_answered
from services.routing.permissions import may_administer
from shared.app import UnitOfWork
from shared.db import Conn
from shared.errors import NotFound
from shared.events import ErasureReason, PersonalDataErased, PersonalDataErasedPayload, new_event
from shared.kafka_security import PLAINTEXT, KafkaSecurity
from shared.outbox import enqueue, enqueue_event, new_producer
from shared.rebuild import topic_partitions
from shared.regions import Region
from shared.topics import cases_topic, keys_topic

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Erased:
    case_id: uuid.UUID
    erased_at: datetime
    already: bool


async def erase_case(conn: Conn, *, case_id: uuid.UUID, reason: ErasureReason, topic_prefix: str,
                     account: Account | None = None, at: datetime | None = None) -> Erased:
    """Erase once; ``account`` is the admin who decided (None: the retention job). Idempotent."""
    async with conn.transaction():
        state, version = await repository.load_locked(conn, case_id)
        if account is not None and (not may_administer(account) or account.region != state.region):
            raise NotFound("no such case")
        if state.erased_at is not None:
            return Erased(case_id, state.erased_at, already=True)
        event = new_event(PersonalDataErased, case_id=case_id, region=state.region, municipality=state.municipality,
                          actor=f"staff:{account.id}" if account else "routing.retention",
                          payload=PersonalDataErasedPayload(reason=reason), occurred_at=at or datetime.now(UTC))
        # The key goes first: a service that meets the event has already dropped its key or soon will.
        await enqueue(conn, keys_topic(topic_prefix, state.region), str(case_id).encode(), None,
                      [("type", "case.key.erased")])
        await enqueue_event(conn, cases_topic(topic_prefix, state.region), event)
        await conn.execute("DELETE FROM case_keys WHERE case_id = $1", case_id)
        # The contact's blind index goes with the key: an erased case is never found by a number again.
        await search_index.forget(conn, [case_id])
        state = evolve(state, event)
        await repository.save(conn, case_id=case_id, version=version + 1, state=state, event_ids=[event.event_id])
        if account is not None:
            await record_access(conn, account=account, case_id=case_id, region=state.region, action="erase",
                                topic_prefix=topic_prefix)
    log.info("case.erased", case_id=str(case_id), reason=reason, event_id=str(event.event_id),
             by=account.id if account else "retention")
    return Erased(case_id, event.occurred_at, already=False)


def retention_cutoff(region: Region, now: datetime) -> datetime | None:
    if region.retention is None:
        return None
    return now - timedelta(days=region.retention.days)


def client_cutoff(region: Region, now: datetime) -> datetime | None:
    """Client cases closed before this moment are past the region's schedule (``retention.client_years``)."""
    if region.retention is None or region.retention.client_years is None:
        return None
    years = region.retention.client_years
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February in a year that has none: the day before
        return now.replace(year=now.year - years, day=28)


async def due_for_retention(conn: Conn, region: Region, now: datetime, limit: int = 500) -> list[uuid.UUID]:
    """Closed cases past the region's retention: those that never became client work after ``days``,
    and every other closed case after ``client_years`` when the region sets it."""
    policy = region.retention
    cutoff = retention_cutoff(region, now)
    if policy is None or cutoff is None:
        return []
    clients = client_cutoff(region, now)
    rows = await conn.fetch(
        "SELECT case_id FROM cases WHERE region = $1 AND status = 'closed' AND (state->>'erased_at') IS NULL"
        " AND ((closed_at < $2 AND (outcome = ANY($3::text[])"
        "      OR (contact_method = 'anonymous' AND outcome = ANY($4::text[]))))"
        "   OR ($6::timestamptz IS NOT NULL AND closed_at < $6))"
        " ORDER BY closed_at LIMIT $5",
        region.id, cutoff, list(policy.outcomes), list(policy.anonymous_outcomes), limit, clients)
    return [r["case_id"] for r in rows]


async def run_retention(db: Conn | UnitOfWork, regions: list[Region], *, topic_prefix: str,
                        now: datetime | None = None) -> int:
    """Erase every case past its region's retention; returns how many were erased.

    Each case is erased in a transaction of its own; a unit of work wakes the relay after each.
    """
    uow = db if isinstance(db, UnitOfWork) else UnitOfWork(db)
    now = now or datetime.now(UTC)
    erased = 0
    for region in regions:
        erased += await erase_answered(uow.conn, region, topic_prefix=topic_prefix, now=now)
        for case_id in await due_for_retention(uow.conn, region, now):
            async with uow.transaction() as conn:
                done = await erase_case(conn, case_id=case_id, reason="retention", topic_prefix=topic_prefix)
            erased += not done.already
    if erased:
        log.info("retention.erased", count=erased, as_of=date.isoformat(now.date()))
    return erased


async def erased_in_stream(bootstrap: str, topics: dict[str, str], security: KafkaSecurity = PLAINTEXT
                           ) -> dict[str, set[str]]:
    """Per region, the cases its stream says were erased (``personal_data.erased``, read by header, from offset 0
    to today's end). ``topics``: region -> its cases topic."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                              auto_offset_reset="earliest", max_partition_fetch_bytes=8 * 1024 * 1024,
                              **security.client_options())
    await reader.start()
    found: dict[str, set[str]] = {region: set() for region in topics}
    region_of = {topic: region for region, topic in topics.items()}
    try:
        partitions = await topic_partitions(bootstrap, list(topics.values()), security)
        if not partitions:
            return found
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        ends = await reader.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            for tp, records in (await reader.getmany(*remaining, timeout_ms=1000, max_records=5000)).items():
                for record in records:
                    if record.offset < ends[tp] and record.key is not None \
                            and ("type", b"personal_data.erased") in record.headers:
                        found[region_of[tp.topic]].add(record.key.decode())
                if await reader.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await reader.stop()
    return found


async def reapply_erasures(*, bootstrap: str, topic_prefix: str, regions: list[Region],
                           security: KafkaSecurity = PLAINTEXT) -> dict[str, int]:
    """A tombstone again on the key topic for every case the streams say was erased; returns how many per region.

    A key topic or a database restored from a backup made before an erasure holds that case's key again.
    The erasure itself is on the case stream, which is never rewritten: run this after every restore, before
    anyone signs in, and each service drops the key again as the tombstone reaches it. Idempotent.
    """
    erased = await erased_in_stream(bootstrap, {r.id: cases_topic(topic_prefix, r.id) for r in regions}, security)
    producer = new_producer(bootstrap, f"{topic_prefix}.routing-erasures", security)
    await producer.start()
    try:
        sent = [await producer.send(keys_topic(topic_prefix, region), key=case_id.encode(), value=None,
                                    headers=[("type", b"case.key.erased")])
                for region, cases in erased.items() for case_id in sorted(cases)]
        for future in sent:
            await future
    finally:
        await producer.stop()
    log.info("erasures.reapplied", **{region.replace("-", "_"): len(cases) for region, cases in erased.items()})
    return {region: len(cases) for region, cases in erased.items()}
