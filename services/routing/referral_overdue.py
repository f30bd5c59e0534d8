"""A referral the service has not answered by the region's limit: ``referral.overdue`` to the worker, once.

The limit is the region's rule (``referrals.answer_business_days`` in its YAML, 3 business days by default; the
end of that day's working day). The ``referral_alerts`` row and the event commit together, as the deadline alerts
do, so neither a restart nor a second routing instance raises it twice, and a replay raises none.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog
from asyncpg import Record

from shared.app import UnitOfWork
from shared.db import Conn
from shared.events import EventBase, ReferralOverdue, new_event
from shared.events_referrals import ReferralOverduePayload
from shared.outbox import enqueue_event
from shared.regions import Regions
from shared.topics import cases_topic

log = structlog.get_logger(__name__)
# Each referral sent by link and not yet answered, of a case not erased, with none raised for it yet.
PENDING = (
    "SELECT c.case_id, c.region, c.municipality, r->>'referral_id' AS referral_id, r->>'service_id' AS service_id,"
    " (r->>'sent_at')::timestamptz AS sent_at"
    " FROM cases c CROSS JOIN LATERAL jsonb_array_elements(c.state->'referrals') r"
    " WHERE jsonb_typeof(c.state->'referrals') = 'array' AND r->>'status' = 'sent'"
    " AND (r->>'electronic')::boolean AND r->>'overdue_at' IS NULL AND c.state->>'erased_at' IS NULL"
    " AND ($1::timestamptz IS NULL OR (r->>'sent_at')::timestamptz > $1)"
    " AND NOT EXISTS (SELECT 1 FROM referral_alerts a WHERE a.referral_id = (r->>'referral_id')::uuid)")


async def raise_referral_alerts(db: Conn | UnitOfWork, *, now: datetime, regions: Regions, topic_prefix: str,
                                sent_since: datetime | None = None) -> int:
    """Raise ``referral.overdue`` for every unanswered referral past its region's limit at ``now``."""
    uow = db if isinstance(db, UnitOfWork) else UnitOfWork(db)
    raised = 0
    for row in await uow.conn.fetch(PENDING, sent_since):
        region = regions.by_id.get(row["region"])
        if region is None:
            continue  # a region this deployment does not serve: its own routing raises it
        answer_by = region.referrals.answer_by(row["sent_at"], region.working_day)
        if now < answer_by:
            continue
        async with uow.transaction() as conn:
            event = await _raise_once(conn, row, answer_by, now=now, topic_prefix=topic_prefix)
        if event is not None:
            raised += 1
            log.info("referral.overdue_raised", case_id=str(row["case_id"]), referral_id=row["referral_id"],
                     event_id=str(event.event_id))
    return raised


async def _raise_once(conn: Conn, row: Record, answer_by: datetime, *, now: datetime,
                      topic_prefix: str) -> EventBase | None:
    referral_id = uuid.UUID(str(row["referral_id"]))
    first = await conn.fetchval("INSERT INTO referral_alerts (referral_id, case_id, raised_at) VALUES ($1, $2, $3)"
                                " ON CONFLICT DO NOTHING RETURNING true", referral_id, row["case_id"], now)
    if not first:
        return None
    event = new_event(ReferralOverdue, case_id=row["case_id"], region=str(row["region"]),
                      municipality=str(row["municipality"]), actor="routing.deadlines", occurred_at=now,
                      payload=ReferralOverduePayload(referral_id=referral_id, service_id=str(row["service_id"]),
                                                     answer_by=answer_by))
    await enqueue_event(conn, cases_topic(topic_prefix, str(row["region"])), event)
    return event
