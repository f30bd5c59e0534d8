"""The duty to notify child welfare: a warning when a flagged concern has no notification by the region's limit.

Triage flags a child-welfare concern; the Child Welfare Act (25 §) asks for the notification without delay.
When none is recorded (``child_welfare.notified``) by the region's limit (``child_welfare`` in its YAML: by
the end of the same business day unless it says otherwise), routing raises ``child_welfare.notification_due``
once per case: notify tells the coordinators and the case's worker, and the queue marks the case. The
``deadline_alerts`` row (kind ``child_welfare``) and the event commit together, as the deadline alerts do, so
neither a restart nor a second routing instance raises it twice.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from asyncpg import Record

from shared.app import UnitOfWork
from shared.db import Conn
from shared.events import ChildWelfareDuePayload, ChildWelfareNotificationDue, EventBase, new_event
from shared.outbox import enqueue_event
from shared.regions import Regions
from shared.topics import cases_topic

log = structlog.get_logger(__name__)
# Flagged, not notified, not erased (an erased case has nobody left to protect by a warning).
PENDING = (
    "SELECT case_id, region, municipality, (state->>'child_welfare_flagged_at')::timestamptz AS flagged_at"
    " FROM cases WHERE child_welfare_concern AND state->>'child_welfare_flagged_at' IS NOT NULL"
    " AND state->>'child_welfare_notified_at' IS NULL AND state->>'child_welfare_warned_at' IS NULL"
    " AND state->>'erased_at' IS NULL AND ($1::timestamptz IS NULL"
    " OR (state->>'child_welfare_flagged_at')::timestamptz > $1)")


async def raise_child_welfare_alerts(db: Conn | UnitOfWork, *, now: datetime, regions: Regions, topic_prefix: str,
                                     flagged_since: datetime | None = None) -> int:
    """Raise the warning of every flagged concern past its region's limit at ``now``; returns how many."""
    uow = db if isinstance(db, UnitOfWork) else UnitOfWork(db)
    raised = 0
    for row in await uow.conn.fetch(PENDING, flagged_since):
        region = regions.by_id.get(row["region"])
        if region is None:
            continue  # a region this deployment does not serve: its own routing warns
        due_at = region.child_welfare.due(row["flagged_at"], region.working_day)
        if now < due_at:
            continue
        async with uow.transaction() as conn:
            event = await _raise_once(conn, row, due_at, now=now, topic_prefix=topic_prefix)
        if event is not None:
            raised += 1
            log.info("child_welfare.warning_raised", case_id=str(row["case_id"]), event_id=str(event.event_id))
    return raised


async def _raise_once(conn: Conn, row: Record, due_at: datetime, *, now: datetime,
                      topic_prefix: str) -> EventBase | None:
    first = await conn.fetchval("INSERT INTO deadline_alerts (case_id, kind, followup, raised_at)"
                                " VALUES ($1, 'child_welfare', 0, $2) ON CONFLICT DO NOTHING RETURNING true",
                                row["case_id"], now)
    if not first:
        return None
    event = new_event(ChildWelfareNotificationDue, case_id=row["case_id"], region=row["region"],
                      municipality=row["municipality"], actor="routing.deadlines", occurred_at=now,
                      payload=ChildWelfareDuePayload(flagged_at=row["flagged_at"], due_at=due_at))
    await enqueue_event(conn, cases_topic(topic_prefix, row["region"]), event)
    return event
