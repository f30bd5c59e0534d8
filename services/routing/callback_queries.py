"""Reads of the callbacks table: a day's calls as the person asking may see them."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from pydantic import BaseModel, Field

from services.routing.accounts import Account
from services.routing.callback_plan import CallbackStatus
from shared.businessdays import HELSINKI
from shared.db import Conn


class CallbackItem(BaseModel):
    """A call on the day's list: no personal data, only the case's reference and who calls."""

    callback_id: uuid.UUID
    case_id: uuid.UUID
    reference: str
    team_id: str | None
    caller: str | None = Field(description="the staff account that calls; null: anyone of the case's team")
    starts_at: datetime
    ends_at: datetime
    status: CallbackStatus
    attempts: int = Field(description="unanswered contact attempts since the family was last reached")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The day from midnight to midnight, Helsinki time."""
    start = datetime.combine(day, time(0), HELSINKI)
    return start, datetime.combine(day + timedelta(days=1), time(0), HELSINKI)


# A professional sees their own calls and their team's calls nobody has taken, on cases they may open
# (the queue's rule); a coordinator the region's, by team and person if they ask. Never across regions.
CALLS_ON = (
    "SELECT cb.callback_id, cb.case_id, c.reference, c.team_id, cb.caller, cb.starts_at, cb.ends_at, cb.status,"
    " coalesce((c.state->>'unanswered_attempts')::int, 0) AS attempts"
    " FROM callbacks cb JOIN cases c ON c.case_id = cb.case_id"
    " WHERE cb.region = $1 AND c.region = $1 AND cb.starts_at >= $2 AND cb.starts_at < $3"
    " AND cb.status <> 'replaced'"
    " AND ($4::text IS NULL OR c.team_id = $4) AND ($5::text IS NULL OR cb.caller = $5)"
    " AND (NOT $6 OR (((c.assignee_kind = 'professional' AND c.assignee_id = $7) OR c.team_id = $8)"
    "      AND (cb.caller = $7 OR (cb.caller IS NULL AND c.team_id = $8))))"
    " ORDER BY cb.starts_at, cb.ends_at, c.reference")


async def calls_on(conn: Conn, *, account: Account, day: date, team: str | None = None,
                   person: str | None = None) -> list[CallbackItem]:
    """The calls whose window starts on ``day`` that ``account`` may see, by the window's start.

    Calls moved to another time are left out (the new time is on the list); cancelled ones and those
    already tried stay, with their status, so the day's list shows what was done.
    """
    start, end = day_bounds(day)
    professional = account.role == "professional"
    rows = await conn.fetch(CALLS_ON, account.region, start, end, team, person, professional, account.id,
                            account.team_id)
    return [CallbackItem(**dict(r)) for r in rows]
