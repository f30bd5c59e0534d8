"""Reads of routing's projection: the queue and a case with its whole timeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

import orjson
import structlog
from asyncpg import Record
from pydantic import BaseModel

from services.routing.accounts import Account
from services.routing.domain import CaseState
from services.routing.permissions import may_open_case
from services.routing.search import CaseSearch
from shared.businessdays import DEFAULT_DAY, WorkingDay
from shared.db import Conn
from shared.errors import NotFound
from shared.places import place_of
from shared.references import normalise_reference
from shared.runtime import ServiceRuntime
from shared.sealing import KeyUnavailable, Sealed, unseal

log = structlog.get_logger(__name__)

# The events whose sealed part is the request itself: the family's words and contact details.
OPENING_TYPES = ("request.submitted", "request.recorded")
Risk = Literal["ok", "at_risk", "overdue", "answered", "closed"]


class QueueItem(BaseModel):
    """A case in the queue: what staff need to order their work, no personal data."""

    case_id: uuid.UUID
    reference: str
    region: str
    municipality: str
    language: str
    requester_role: str
    topic: str | None
    contact_method: str
    received_at: datetime
    answer_due: date
    due_at: datetime
    status: str
    urgency: str
    child_welfare_concern: bool
    assignee_kind: str | None
    assignee_id: str | None
    team_id: str | None
    first_response_at: datetime | None
    followups: int = 0
    awaiting_since: datetime | None = None
    unread_messages: int = 0
    followup_due: date | None = None
    child_welfare_pending: bool = False
    child_welfare_late: bool = False
    assignee_absent: bool = False
    referral_declined: bool = False
    referral_overdue: bool = False
    channel: str = "button"
    business_hours_left: float
    risk: Risk

    @property
    def awaiting_followup(self) -> bool:
        """The family wrote again after the answer and waits for staff."""
        return self.awaiting_since is not None and self.status != "closed"


def risk_of(*, status: str, first_response_at: datetime | None, due_at: datetime, hours_left: float,
            now: datetime, warning_hours: float = DEFAULT_DAY.warning_hours) -> Risk:
    """At risk from the region's warning hours on: the queue marks a case when its warning is raised."""
    if status == "closed":
        return "closed"
    if first_response_at is not None:
        return "answered"
    if now >= due_at:
        return "overdue"
    return "at_risk" if hours_left <= warning_hours else "ok"


async def open_cases(runtime: ServiceRuntime[Any], now: datetime | None = None) -> dict[tuple[str, ...], float]:
    """Per region, the open cases that are on time, at risk, overdue or answered (a metric, read per scrape).

    One row per region and promised day, so the working hours left are counted once per day, not per case.
    """
    now = now or datetime.now(UTC)
    rows = await runtime.db().fetch(
        "SELECT region, coalesce(followup_due, answer_due) AS answer_due, coalesce(followup_due_at, due_at) AS due_at,"
        " NOT " + WAITING + " AS answered, count(*) AS n FROM cases WHERE status <> 'closed' GROUP BY 1, 2, 3, 4")
    found: dict[tuple[str, ...], float] = {(region.id, risk): 0.0 for region in runtime.regions
                                           for risk in ("ok", "at_risk", "overdue", "answered")}
    days = {region.id: region.working_day for region in runtime.regions}
    for r in rows:
        day = days.get(r["region"], DEFAULT_DAY)
        risk = risk_of(status="open", first_response_at=now if r["answered"] else None, due_at=r["due_at"],
                       hours_left=day.hours_left(now, r["answer_due"]), now=now, warning_hours=day.warning_hours)
        found[(r["region"], risk)] = found.get((r["region"], risk), 0.0) + r["n"]
    return found


QUEUE_COLUMNS = ("case_id, reference, region, municipality, language, requester_role, topic, contact_method,"
                 " received_at, answer_due, due_at, status, urgency, child_welfare_concern, assignee_kind,"
                 " assignee_id, team_id, first_response_at, followups, awaiting_since, unread_messages,"
                 " followup_due, followup_due_at,"
                 # A flagged child-welfare concern without a notification, and whether its limit passed.
                 " (child_welfare_concern AND state->>'child_welfare_flagged_at' IS NOT NULL"
                 "  AND state->>'child_welfare_notified_at' IS NULL) AS child_welfare_pending,"
                 " (state->>'child_welfare_warned_at' IS NOT NULL AND state->>'child_welfare_notified_at' IS NULL)"
                 " AS child_welfare_late,"
                 # The professional who has the case is away today (services/routing/absences.py).
                 " EXISTS (SELECT 1 FROM absences b WHERE cases.assignee_kind = 'professional'"
                 "  AND b.account_id = cases.assignee_id AND b.cancelled_at IS NULL"
                 "  AND (now() AT TIME ZONE 'Europe/Helsinki')::date BETWEEN b.starts AND b.ends) AS assignee_absent,"
                 # The latest referral came back declined, or is unanswered past the region's limit: the worker's
                 # again (referral_domain.py).
                 " coalesce(state->'referrals'->-1->>'status' = 'declined', false) AS referral_declined,"
                 " coalesce(state->'referrals'->-1->>'status' = 'sent' AND state->'referrals'->-1->>'overdue_at'"
                 "  IS NOT NULL, false) AS referral_overdue,"
                 " channel")
# The queue's order: open before closed; those waiting for staff (never answered, or a follow-up unanswered)
# before the answered; among them by the day promised (a follow-up's own), urgent first within a day; then
# by the moment due and by arrival. Closed cases come newest closed first: the one closed this morning is
# the one looked for, never last year's.
WAITING = "(first_response_at IS NULL OR awaiting_since IS NOT NULL)"
QUEUE_ORDER = (f"(status = 'closed'), CASE WHEN status = 'closed' THEN closed_at END DESC NULLS LAST, NOT {WAITING},"
               " coalesce(followup_due, answer_due), (urgency <> 'urgent'), coalesce(followup_due_at, due_at),"
               " received_at, case_id")


def queue_item(row: Record, now: datetime, day: WorkingDay) -> QueueItem:
    """A row of the cases table as the queue shows it: a waiting follow-up counts its time from its own day,
    in the working hours of the case's region (``day``)."""
    values = {k: v for k, v in row.items() if k not in ("state", "followup_due_at")}
    following_up = row["awaiting_since"] is not None
    due_day = row["followup_due"] if following_up and row["followup_due"] else row["answer_due"]
    due_at = row["followup_due_at"] if following_up and row["followup_due_at"] else row["due_at"]
    hours = day.hours_left(now, due_day)
    risk = risk_of(status=row["status"], first_response_at=None if following_up else row["first_response_at"],
                   due_at=due_at, hours_left=hours, now=now, warning_hours=day.warning_hours)
    return QueueItem(**values, business_hours_left=round(hours, 1), risk=risk)


# Who sees which cases (the region's; a professional their own and their team's), the queue's filters and a
# search's reference, found cases and days received (Helsinki dates, both ends included).
QUEUE_WHERE = (
    "region = $1 AND ($2::text IS NULL OR municipality = $2) AND ($3::text IS NULL OR topic = $3)"
    " AND ($4::text IS NULL OR team_id = $4)"
    " AND ($5::text IS NULL OR ($5 = 'open' AND status <> 'closed') OR status = $5)"
    " AND (NOT $6 OR (assignee_kind = 'professional' AND assignee_id = $7) OR team_id = $8)"
    " AND (NOT $9 OR (assignee_kind = 'professional' AND assignee_id = $7))"
    " AND ($10::text IS NULL OR reference = $10) AND ($11::uuid[] IS NULL OR case_id = ANY($11))"
    " AND ($12::date IS NULL OR (received_at AT TIME ZONE 'Europe/Helsinki')::date >= $12)"
    " AND ($13::date IS NULL OR (received_at AT TIME ZONE 'Europe/Helsinki')::date <= $13)")


def _queue_args(account: Account, municipality: str | None, topic: str | None, team: str | None,
                status: str | None, mine: bool, search: CaseSearch | None) -> tuple[object, ...]:
    found = search or CaseSearch()
    return (account.region, municipality, topic, team, status, account.role == "professional", account.id,
            account.team_id, mine, found.reference, found.case_ids, found.received_from, found.received_to)


async def list_cases(*, conn: Conn, account: Account, day: WorkingDay, municipality: str | None = None,
                     topic: str | None = None,
                     team: str | None = None, status: str | None = "open", mine: bool = False,
                     limit: int = 200, offset: int = 0, now: datetime | None = None,
                     search: CaseSearch | None = None) -> list[QueueItem]:
    """The cases ``account`` may see, ordered by deadline, ``offset`` of them skipped; ``status`` 'open'
    (default), 'closed' or None; ``search`` narrows them further."""
    now = now or datetime.now(UTC)
    rows = await conn.fetch(
        f"SELECT {QUEUE_COLUMNS} FROM cases WHERE {QUEUE_WHERE} ORDER BY {QUEUE_ORDER} LIMIT $14 OFFSET $15",
        *_queue_args(account, municipality, topic, team, status, mine, search), limit, offset)
    return [queue_item(r, now, day) for r in rows]


async def count_cases(*, conn: Conn, account: Account, municipality: str | None = None, topic: str | None = None,
                      team: str | None = None, status: str | None = "open", mine: bool = False,
                      search: CaseSearch | None = None) -> int:
    """How many cases ``list_cases`` would list on all its pages: a search's hits, for the access log."""
    found = await conn.fetchval(f"SELECT count(*) FROM cases WHERE {QUEUE_WHERE}",
                                *_queue_args(account, municipality, topic, team, status, mine, search))
    return int(found)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    type: str
    actor: str
    data: dict[str, Any]
    text: str | None  # the sealed part opened; None when there is none or the key is erased
    erased: bool
    refused: bool = False  # a sealed part that does not open as this event's, with the key at hand


@dataclass(frozen=True)
class CaseView:
    item: QueueItem
    state: CaseState
    message: str | None
    contact: dict[str, str]
    timeline: list[TimelineEntry]
    personal_data_erased: bool
    call_windows: list[str] = field(default_factory=list)  # the family's windows, "tue-16-18" (sealed on the way)


async def may_see_case(conn: Conn, account: Account, case_id: uuid.UUID) -> bool:
    """Whether the case exists and ``account`` may open it, as the projection stands."""
    row = await conn.fetchrow("SELECT region, assignee_kind, assignee_id, team_id FROM cases WHERE case_id = $1",
                              case_id)
    return row is not None and may_open_case(account, region=row["region"], assignee_kind=row["assignee_kind"],
                                             assignee_id=row["assignee_id"], team_id=row["team_id"])


async def get_case(*, conn: Conn, account: Account, case_id: uuid.UUID, data_key: bytes | None, day: WorkingDay,
                   now: datetime | None = None) -> CaseView:
    """The case with its personal data opened, for someone allowed to see it (else NotFound)."""
    now = now or datetime.now(UTC)
    row = await conn.fetchrow(f"SELECT {QUEUE_COLUMNS}, state FROM cases WHERE case_id = $1", case_id)
    if row is None or not may_open_case(account, region=row["region"], assignee_kind=row["assignee_kind"],
                                        assignee_id=row["assignee_id"], team_id=row["team_id"]):
        raise NotFound("no such case")
    item = queue_item(row, now, day)
    events = await conn.fetch("SELECT at, type, actor, data, sealed FROM case_timeline WHERE case_id = $1"
                              " ORDER BY at, event_id", case_id)
    timeline, message, contact, windows = [], None, {}, []
    for e in events:
        opened, refused = _open(data_key, case_id, e["sealed"], e["type"])
        text: str | None = None
        if e["type"] in OPENING_TYPES and isinstance(opened, dict):
            message = opened.get("message")
            details = opened.get("contact") or {}
            contact = {k: str(v) for k, v in details.items() if k not in ("method", "call_windows") and v is not None}
            windows = [str(w) for w in details.get("call_windows") or [] if isinstance(w, str)]
            text = message
        elif isinstance(opened, str):
            text = opened
        timeline.append(TimelineEntry(at=e["at"], type=e["type"], actor=e["actor"], data=orjson.loads(e["data"]),
                                      text=text, erased=e["sealed"] is not None and opened is None and not refused,
                                      refused=refused))
    return CaseView(item=item, state=CaseState.model_validate_json(row["state"]), message=message, contact=contact,
                    timeline=timeline, personal_data_erased=data_key is None, call_windows=windows)


def _open(data_key: bytes | None, case_id: uuid.UUID, sealed_json: str | None, event_type: str
          ) -> tuple[object, bool]:
    """The sealed value if it opens as the sealed field of the event type it came in (else None), and whether
    it was refused: the key is at hand but the value was sealed for another case or another event."""
    if sealed_json is None or data_key is None:
        return None, False
    try:
        return unseal(data_key, case_id, Sealed.model_validate_json(sealed_json), place_of(event_type)), False
    except KeyUnavailable:
        # With the case's key at hand, a field that does not open was sealed for another case or another
        # event (moved there by whoever wrote to the stream): shown as nothing, and said so in the log.
        log.warning("sealed.refused", case_id=str(case_id), event_type=event_type)
        return None, True


async def staff_names(conn: Conn, region: str) -> dict[str, str]:
    rows = await conn.fetch("SELECT id, display_name FROM accounts WHERE region = $1", region)
    return {r["id"]: r["display_name"] for r in rows}


async def professionals(conn: Conn, region: str) -> list[dict[str, str]]:
    rows = await conn.fetch("SELECT id, display_name, team_id FROM accounts WHERE region = $1 AND active"
                            " AND role = 'professional' ORDER BY display_name", region)
    return [dict(r) for r in rows]


async def work_by_team(conn: Conn, region: str) -> list[dict[str, object]]:
    """What work the region's open cases need now, per team that has them ('' for none yet): how many are open,
    how many are past their promised day, and how many wait for a reply (never answered, or the family wrote
    again). No municipality and no closed case: a count of a small place over all time would tell who wrote."""
    rows = await conn.fetch(
        "SELECT coalesce(team_id, '') AS team, count(*) AS open,"
        " count(*) FILTER (WHERE (first_response_at IS NULL AND due_at < now())"
        " OR (awaiting_since IS NOT NULL AND followup_due_at < now())) AS overdue,"
        " count(*) FILTER (WHERE first_response_at IS NULL OR awaiting_since IS NOT NULL) AS waiting"
        " FROM cases WHERE region = $1 AND status <> 'closed' GROUP BY 1 ORDER BY 1", region)
    return [dict(r) for r in rows]


async def teams(conn: Conn, region: str) -> list[tuple[str, dict[str, str]]]:
    """The region's teams, each with its name by language."""
    rows = await conn.fetch("SELECT id, name FROM teams WHERE region = $1 ORDER BY id", region)
    return [(r["id"], orjson.loads(r["name"])) for r in rows]


async def case_by_reference(conn: Conn, reference: str, region: str) -> uuid.UUID | None:
    """The id of the region's case with this reference (as typed: any case, spaces, with or without the dash)."""
    found = await conn.fetchval("SELECT case_id FROM cases WHERE reference = $1 AND region = $2",
                                normalise_reference(reference), region)
    return found if isinstance(found, uuid.UUID) else None


async def stream_mark(conn: Conn, topic: str) -> int:
    """How far the projection has read ``topic``: it moves whenever an event of that stream is applied."""
    mark = await conn.fetchval("SELECT coalesce(sum(next_offset), 0) FROM projection_offsets WHERE topic = $1", topic)
    return int(mark)
