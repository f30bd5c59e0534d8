"""Deadline warnings and misses, raised exactly once per promise by a scheduler that survives restarts.

A case promises the family an answer by a day twice over or more: the first request's, and each
follow-up's (the family wrote again after being answered). The ``deadline_alerts`` row (primary key:
case, kind and follow-up, 0 for the first request) and the outbox row commit together, so a restart or
a second routing instance never raises the same alert twice, and replaying the stream raises none: the
scheduler looks at the clock, not at the replay.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from asyncpg import Record

from services.routing.child_welfare import raise_child_welfare_alerts
from services.routing.erasure import run_retention
from services.routing.referral_overdue import raise_referral_alerts
from shared.app import UnitOfWork, unit_of_work
from shared.businessdays import DEFAULT_DAY
from shared.db import Conn
from shared.events import DeadlineMissed, DeadlineWarning, EventBase, FollowUpDeadlinePayload, new_event
from shared.outbox import enqueue_event
from shared.regions import Regions
from shared.runtime import ServiceRuntime
from shared.topics import cases_topic

log = structlog.get_logger(__name__)
# The promises still open: a first request never answered (follow-up 0), and a follow-up waiting for staff.
# A closed case owes nothing, and a duplicate is closed the moment it is linked (links.py): its family's promise
# is kept by the case kept.
DUE_PROMISES = (
    "SELECT case_id, region, municipality, answer_due, due_at, 0 AS followup FROM cases"
    " WHERE status <> 'closed' AND first_response_at IS NULL AND received_at <= $1"
    " AND ($2::timestamptz IS NULL OR due_at > $2)"
    " UNION ALL SELECT case_id, region, municipality, followup_due, followup_due_at, followups FROM cases"
    " WHERE status <> 'closed' AND awaiting_since IS NOT NULL AND followup_due IS NOT NULL"
    " AND awaiting_since <= $1 AND ($2::timestamptz IS NULL OR followup_due_at > $2)")
# With the demo clock a loader writes past cases and answers them moments later; a deadline that
# passed longer ago than this is that history, not live work, and raises nothing.
DEMO_HISTORY = timedelta(days=7)
# A referral's history reaches further: the demo year leaves the referrals of its last weeks unanswered past the
# region's limit (deploy/demo/referrals.py), and a referral is answered in days, not hours, so these few are live.
REFERRAL_DEMO_HISTORY = timedelta(days=21)


async def raise_due_alerts(db: Conn | UnitOfWork, *, now: datetime, topic_prefix: str, regions: Regions | None = None,
                           due_since: datetime | None = None) -> int:
    """Raise every warning and miss that is due at ``now`` (of deadlines after ``due_since``); returns how many.

    A warning comes the region's ``deadline.warning_hours`` of its working hours before the promised day's
    working day ends (``Region.working_day``; the defaults for a region not given).

    Each alert commits on its own, and a unit of work wakes the relay after each: a plain connection
    leaves the alerts for the relay's next poll.
    """
    uow = db if isinstance(db, UnitOfWork) else UnitOfWork(db)
    rows = await uow.conn.fetch(DUE_PROMISES, now, due_since)
    raised = 0
    for row in rows:
        day = regions.working_day(row["region"]) if regions is not None else DEFAULT_DAY
        kinds: list[tuple[str, type[EventBase]]] = []
        if now >= row["due_at"]:
            kinds.append(("missed", DeadlineMissed))
        if day.hours_left(now, row["answer_due"]) <= day.warning_hours:
            kinds.append(("warning", DeadlineWarning))
        for kind, cls in kinds:
            async with uow.transaction() as conn:
                event = await _raise_once(conn, row, kind, cls, now=now, topic_prefix=topic_prefix)
            if event is not None:
                raised += 1
                log.info("deadline.raised", case_id=str(row["case_id"]), kind=kind, followup=row["followup"],
                         event_id=str(event.event_id))
    return raised


async def _raise_once(conn: Conn, row: Record, kind: str, cls: type[EventBase], *, now: datetime,
                      topic_prefix: str) -> EventBase | None:
    """The alert's event, queued; None when this alert was raised before (the row says so)."""
    first = await conn.fetchval("INSERT INTO deadline_alerts (case_id, kind, followup, raised_at)"
                                " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
                                row["case_id"], kind, row["followup"], now)
    if not first:
        return None
    event = new_event(cls, case_id=row["case_id"], region=row["region"], municipality=row["municipality"],
                      actor="routing.deadlines", occurred_at=now,
                      payload=FollowUpDeadlinePayload(answer_due=row["answer_due"], due_at=row["due_at"],
                                                      followup=row["followup"]))
    await enqueue_event(conn, cases_topic(topic_prefix, row["region"]), event)
    return event


async def run_scheduler(runtime: ServiceRuntime[Any], every_s: float,
                        retention_every_s: float = 3600.0) -> None:
    """Deadline, child-welfare and referral alerts every ``every_s``; the retention job every
    ``retention_every_s`` (first after one wait)."""
    retention_due = time.monotonic() + retention_every_s
    while True:
        try:
            now = datetime.now(UTC)
            since = now - DEMO_HISTORY if runtime.settings.demo_clock else None
            async with unit_of_work(runtime) as uow:
                await raise_due_alerts(uow, now=now, regions=runtime.regions, due_since=since,
                                       topic_prefix=runtime.settings.topic_prefix)
                await raise_child_welfare_alerts(uow, now=now, regions=runtime.regions, flagged_since=since,
                                                 topic_prefix=runtime.settings.topic_prefix)
                await raise_referral_alerts(uow, now=now, regions=runtime.regions,
                                            sent_since=now - REFERRAL_DEMO_HISTORY if since else None,
                                            topic_prefix=runtime.settings.topic_prefix)
                if time.monotonic() >= retention_due:
                    await run_retention(uow, list(runtime.regions), topic_prefix=runtime.settings.topic_prefix,
                                        now=now)
                    retention_due = time.monotonic() + retention_every_s
        except Exception as exc:  # the database may be away: try again at the next tick
            log.warning("deadline.scheduler_failed", error=type(exc).__name__)
        await asyncio.sleep(every_s)
