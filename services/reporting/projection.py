"""Reporting's projection: one row of facts per case, and nothing that identifies a family.

From the case stream it keeps only categories and times: where and when a request came, who
asked (a role, never a name), the topic, how the region answered and how it ended. The family's
words and contact details stay sealed in the events and are never opened here; reporting holds
no case key. From the staff topic it keeps which accounts exist, their role and whether they are
active, so that a signed-out or deactivated account's statistics session ends.

The functions that turn an event into facts are pure and tested on their own; the handlers only
run them and write the result.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from aiokafka import ConsumerRecord
from pydantic import ValidationError

from services.reporting.privacy import record_key
from services.reporting.settings import ReportingSettings
from shared.businessdays import HELSINKI, business_hours_between, end_of_day_utc, is_business_day
from shared.consumer import TRACKING_DDL, EventHandler, PoisonRecord, Projection
from shared.db import Conn
from shared.events import (
    CaseAssigned,
    CaseClosed,
    CaseHandedOff,
    CaseReferred,
    CaseReopened,
    CaseTriaged,
    ChildWelfareNotified,
    ContactAttempted,
    EventBase,
    FeedbackGiven,
    ReplySent,
    RequestSubmitted,
)
from shared.runtime import ServiceRuntime
from shared.staff import StaffRecord

MIGRATIONS = [
    TRACKING_DDL
    + """
    CREATE TABLE case_facts (
        case_id uuid PRIMARY KEY,
        record_key int NOT NULL,
        region text NOT NULL,
        municipality text NOT NULL,
        received_at timestamptz NOT NULL,
        local_date date NOT NULL,
        week date NOT NULL,
        month date NOT NULL,
        local_hour smallint NOT NULL,
        weekday smallint NOT NULL,
        time_of_contact text NOT NULL,
        language text NOT NULL,
        requester_role text NOT NULL,
        child_age_group text,
        contact_method text NOT NULL,
        anonymous boolean NOT NULL,
        topic_family text,
        topic_triage text,
        topic text,
        urgency text,
        child_welfare_concern boolean NOT NULL DEFAULT false,
        child_welfare_notified boolean NOT NULL DEFAULT false,
        team_id text,
        answer_due date NOT NULL,
        due_at timestamptz NOT NULL,
        first_response_at timestamptz,
        first_response_kind text,
        response_team text,
        response_business_hours real,
        response_calendar_hours real,
        handoffs int NOT NULL DEFAULT 0,
        referrals int NOT NULL DEFAULT 0,
        referred_service text,
        referred_kind text,
        outcome text,
        closed_at timestamptz,
        reopened int NOT NULL DEFAULT 0,
        feedback smallint
    );
    CREATE INDEX case_facts_region_date ON case_facts (region, local_date);
    CREATE INDEX case_facts_region_municipality_date ON case_facts (region, municipality, local_date);
    CREATE TABLE staff_accounts (
        account_id text PRIMARY KEY,
        region text NOT NULL,
        role text NOT NULL,
        active boolean NOT NULL
    );
    """
]


def time_of_contact(local: datetime) -> str:
    """'office' (8–16 on a business day), 'evening' (16–22), 'night' (22–8), 'weekend' or 'holiday'."""
    day = local.date()
    if day.weekday() >= 5:
        return "weekend"
    if not is_business_day(day):
        return "holiday"
    if 8 <= local.hour < 16:
        return "office"
    return "evening" if 16 <= local.hour < 22 else "night"


def facts_of_request(event: RequestSubmitted, secret: bytes) -> dict[str, object]:
    """The facts a new request gives: categories and times only; the sealed part stays sealed."""
    p = event.payload
    local = event.occurred_at.astimezone(HELSINKI)
    day = local.date()
    return {
        "case_id": event.case_id, "record_key": record_key(secret, event.case_id), "region": event.region,
        "municipality": event.municipality, "received_at": event.occurred_at, "local_date": day,
        "week": day - timedelta(days=day.weekday()), "month": day.replace(day=1), "local_hour": local.hour,
        "weekday": local.isoweekday(), "time_of_contact": time_of_contact(local), "language": p.language,
        "requester_role": p.requester_role, "child_age_group": p.child_age_group,
        "contact_method": p.contact_method, "anonymous": p.contact_method == "anonymous",
        "topic_family": p.topic, "topic": p.topic, "answer_due": p.answer_due, "due_at": end_of_day_utc(p.answer_due),
    }


def first_response(received_at: datetime, at: datetime) -> dict[str, float]:
    """How long the family waited: working hours (8–16 on business days) and calendar hours."""
    return {"response_business_hours": round(business_hours_between(received_at, at), 2),
            "response_calendar_hours": round(max(0.0, (at - received_at).total_seconds() / 3600), 2)}


FACT_COLUMNS = (
    "case_id", "record_key", "region", "municipality", "received_at", "local_date", "week", "month", "local_hour",
    "weekday", "time_of_contact", "language", "requester_role", "child_age_group", "contact_method", "anonymous",
    "topic_family", "topic", "answer_due", "due_at",
)


def handlers(secret: bytes) -> dict[str, EventHandler]:
    async def on_request_submitted(conn: Conn, event: EventBase) -> None:
        assert isinstance(event, RequestSubmitted)
        facts = facts_of_request(event, secret)
        columns = ", ".join(FACT_COLUMNS)
        values = ", ".join(f"${i}" for i in range(1, len(FACT_COLUMNS) + 1))
        await conn.execute(f"INSERT INTO case_facts ({columns}) VALUES ({values}) ON CONFLICT (case_id) DO NOTHING",
                           *(facts[c] for c in FACT_COLUMNS))

    return {
        "request.submitted": on_request_submitted,
        "case.triaged": on_triaged,
        "case.assigned": on_assigned,
        "case.handed_off": on_assigned,
        "case.referred": on_referred,
        "contact.attempted": on_contact,
        "reply.sent": on_reply,
        "case.closed": on_closed,
        "case.reopened": on_reopened,
        "feedback.given": on_feedback,
        "child_welfare.notified": on_child_welfare_notified,
    }


async def on_triaged(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, CaseTriaged)
    p = event.payload
    await conn.execute(
        "UPDATE case_facts SET topic_triage = $2, topic = coalesce($2, topic_family), urgency = $3,"
        " child_welfare_concern = child_welfare_concern OR $4 WHERE case_id = $1",
        event.case_id, p.topic, p.urgency, p.child_welfare_concern)


async def on_assigned(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, CaseAssigned | CaseHandedOff)
    p = event.payload
    team = p.team_id or (p.assignee_id if p.assignee_kind == "team" else None)
    await conn.execute("UPDATE case_facts SET team_id = coalesce($2, team_id), handoffs = handoffs + $3"
                       " WHERE case_id = $1", event.case_id, team, int(isinstance(event, CaseHandedOff)))


async def on_referred(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, CaseReferred)
    await conn.execute("UPDATE case_facts SET referrals = referrals + 1, referred_service = $2, referred_kind = $3"
                       " WHERE case_id = $1", event.case_id, event.payload.service_id, event.payload.service_kind)


async def _responded(conn: Conn, case_id: uuid.UUID, at: datetime, kind: str) -> None:
    row = await conn.fetchrow("SELECT received_at FROM case_facts WHERE case_id = $1 AND first_response_at IS NULL",
                              case_id)
    if row is None:
        return  # answered before, or a case this projection never saw arrive
    times = first_response(row["received_at"], at)
    await conn.execute(
        "UPDATE case_facts SET first_response_at = $2, first_response_kind = $3, response_team = team_id,"
        " response_business_hours = $4, response_calendar_hours = $5 WHERE case_id = $1",
        case_id, at, kind, times["response_business_hours"], times["response_calendar_hours"])


async def on_contact(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, ContactAttempted)
    if event.payload.result == "reached":
        await _responded(conn, event.case_id, event.occurred_at, event.payload.channel)


async def on_reply(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, ReplySent)
    await _responded(conn, event.case_id, event.occurred_at, "written")


async def on_closed(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, CaseClosed)
    p = event.payload
    await conn.execute(
        "UPDATE case_facts SET outcome = $2, closed_at = $3,"
        " referred_service = coalesce($4, referred_service) WHERE case_id = $1",
        event.case_id, p.outcome, event.occurred_at, p.referred_to)


async def on_reopened(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, CaseReopened)
    await conn.execute("UPDATE case_facts SET reopened = reopened + 1, outcome = NULL, closed_at = NULL"
                       " WHERE case_id = $1", event.case_id)


async def on_feedback(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, FeedbackGiven)
    await conn.execute("UPDATE case_facts SET feedback = $2 WHERE case_id = $1", event.case_id, event.payload.score)


async def on_child_welfare_notified(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, ChildWelfareNotified)
    await conn.execute("UPDATE case_facts SET child_welfare_notified = true WHERE case_id = $1", event.case_id)


async def on_staff_record(conn: Conn, record: ConsumerRecord[bytes, bytes]) -> None:
    """Who may have a statistics session: an account's role and whether it is active; no address."""
    if record.key is None:
        raise PoisonRecord("a staff record without an account id")
    if record.value is None:
        await conn.execute("DELETE FROM staff_accounts WHERE account_id = $1", record.key.decode())
        return
    try:
        staff = StaffRecord.model_validate_json(record.value)
    except ValidationError as exc:
        raise PoisonRecord(f"not a staff record: {exc.error_count()} problem(s)") from exc
    await conn.execute(
        "INSERT INTO staff_accounts (account_id, region, role, active) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (account_id) DO UPDATE SET region = EXCLUDED.region, role = EXCLUDED.role,"
        " active = EXCLUDED.active", staff.account_id, staff.region, staff.role, staff.active)


def projection(runtime: ServiceRuntime) -> Projection:
    settings = runtime.settings
    secret = settings.statistics_key if isinstance(settings, ReportingSettings) else ""
    return Projection(name="reporting", migrations=MIGRATIONS, tables=["case_facts", "staff_accounts"],
                      event_handlers=handlers(secret.encode()),
                      record_handlers={t: on_staff_record for t in runtime.staff_topics()})

