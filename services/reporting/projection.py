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

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from services.reporting import cells, referral_facts, waits
from services.reporting.followup_facts import apply_followups
from services.reporting.network_facts import TABLES as NETWORK_TABLES
from services.reporting.network_facts import on_network_record
from services.reporting.privacy import record_key
from services.reporting.settings import ReportingSettings
from shared.applier import BatchHandler, EventHandler, Projection, one_at_a_time
from shared.businessdays import DEFAULT_DAY, HELSINKI, WorkingDay, end_of_day_utc, is_business_day
from shared.compacted import CompactedTable
from shared.db import Conn, as_columns, from_arrays
from shared.directory_projection import directory_handler
from shared.events import (
    EVENT_TYPES,
    CaseAssigned,
    CaseClosed,
    CaseHandedOff,
    CaseOpened,
    CaseReferred,
    CaseReopened,
    CaseTriaged,
    ChildWelfareNotified,
    ContactAttempted,
    EventBase,
    FeedbackGiven,
    ReplySent,
    RequestRecorded,
    RequestSubmitted,
)
from shared.migrations import projection_series
from shared.regions import Regions
from shared.runtime import ServiceRuntime
from shared.staff import StaffRecord, directory_only
from shared.topics import directory_topic, network_topic

# The tracking tables, then the files of migrations/projection/.
MIGRATIONS = projection_series(Path(__file__).resolve().parent)
EVENING_ENDS = time(22)  # after office hours until this is 'evening', then 'night' until the office opens


def time_of_contact(local: datetime, working: WorkingDay = DEFAULT_DAY) -> str:
    """'office' (the region's office hours on a business day, 8–16 by default), 'evening' (from closing to 22),
    'night' (22 to opening), 'weekend' or 'holiday'."""
    if local.date().weekday() >= 5:
        return "weekend"
    if not is_business_day(local.date()):
        return "holiday"
    if working.is_office_hours(local):
        return "office"
    return "evening" if working.closes <= local.time() < EVENING_ENDS else "night"


def facts_of_request(event: CaseOpened, secret: bytes, working: WorkingDay = DEFAULT_DAY) -> dict[str, object]:
    """The facts a new request gives: categories and times only; the sealed part stays sealed.

    A contact staff recorded counts from when it came (a letter opened a day later came the day before) and
    under its channel; a request from the form is the button's. ``working`` is the region's working day.
    """
    p = event.payload
    received, channel = ((event.payload.contacted_at, event.payload.channel) if isinstance(event, RequestRecorded)
                         else (event.occurred_at, "button"))
    local = received.astimezone(HELSINKI)
    day = local.date()
    return {
        "case_id": event.case_id, "record_key": record_key(secret, event.case_id), "region": event.region,
        "municipality": event.municipality, "received_at": received, "local_date": day,
        "week": day - timedelta(days=day.weekday()), "month": day.replace(day=1), "local_hour": local.hour,
        "weekday": local.isoweekday(), "time_of_contact": time_of_contact(local, working), "language": p.language,
        "requester_role": p.requester_role, "child_age_group": p.child_age_group,
        "contact_method": p.contact_method, "anonymous": p.contact_method == "anonymous",
        "topic_family": p.topic, "topic": p.topic, "answer_due": p.answer_due, "due_at": end_of_day_utc(p.answer_due),
        "channel": channel,
    }


def first_response(received_at: datetime, at: datetime, day: WorkingDay = DEFAULT_DAY) -> dict[str, float]:
    """How long the family waited: working hours (the region's office hours on business days) and calendar hours."""
    return {"response_business_hours": round(day.hours_between(received_at, at), 2),
            "response_calendar_hours": round(max(0.0, (at - received_at).total_seconds() / 3600), 2)}


FACT_COLUMNS = (
    ("case_id", "uuid"), ("record_key", "int"), ("region", "text"), ("municipality", "text"),
    ("received_at", "timestamptz"), ("local_date", "date"), ("week", "date"), ("month", "date"),
    ("local_hour", "smallint"), ("weekday", "smallint"), ("time_of_contact", "text"), ("language", "text"),
    ("requester_role", "text"), ("child_age_group", "text"), ("contact_method", "text"), ("anonymous", "bool"),
    ("topic_family", "text"), ("topic", "text"), ("answer_due", "date"), ("due_at", "timestamptz"),
    ("channel", "text"),
)
# What later events change; everything else is set once, by the request.
CHANGING = (
    ("topic_triage", "text"), ("topic", "text"), ("urgency", "text"), ("child_welfare_concern", "bool"),
    ("child_welfare_notified", "bool"), ("team_id", "text"), ("first_response_at", "timestamptz"),
    ("first_response_kind", "text"), ("response_team", "text"), ("response_business_hours", "real"),
    ("response_calendar_hours", "real"), ("handoffs", "int"), ("referrals", "int"), ("referred_service", "text"),
    ("referred_kind", "text"), ("outcome", "text"), ("closed_at", "timestamptz"), ("reopened", "int"),
    ("feedback", "smallint"), ("contact_attempts", "int"), ("reached_after", "int"), *referral_facts.COLUMNS,
)
_CHANGED = (("case_id", "uuid"), *CHANGING)


def _with_rollups(ctes: str, rows: str) -> str:
    """One statement: ``ctes`` write the facts, then the rows they changed (``rows``, with a sign) go into the
    rollup's cells and the waits' histograms."""
    tenths, hours = waits.add_waits(rows)
    return f"WITH {ctes}, tenths AS ({tenths}), hours AS ({hours}) {cells.add_cells(rows)}"


# A batch's facts, one array per column, and from the rows written the rollup's cells (see cells.py) and the
# waits' histograms (waits.py): within one statement ``old`` still sees the facts as they were before ``upd``
# changed them.
INSERT_FACTS = _with_rollups(f"ins AS (INSERT INTO case_facts ({', '.join(c for c, _ in FACT_COLUMNS)})"
                             f" {from_arrays(FACT_COLUMNS)} ON CONFLICT (case_id) DO NOTHING RETURNING *)",
                             "SELECT 1 AS sign, * FROM ins")
UPDATE_FACTS = _with_rollups("old AS (SELECT * FROM case_facts WHERE case_id = ANY($1::uuid[])),"
                             f" upd AS (UPDATE case_facts f SET {', '.join(f'{c} = u.{c}' for c, _ in CHANGING)}"
                             f" FROM ({from_arrays(_CHANGED)}) u WHERE f.case_id = u.case_id RETURNING f.*)",
                             "SELECT -1 AS sign, * FROM old UNION ALL SELECT 1, * FROM upd")
DROP_EMPTY = f"{cells.DROP_EMPTY}; {waits.DROP_EMPTY}"
# A rebuild writes the facts alone, row by row (less work for this process than arrays), and fills the
# rollup and the histograms once at the end.
INSERT_FACT = (f"INSERT INTO case_facts ({', '.join(c for c, _ in FACT_COLUMNS)}) VALUES"
               f" ({', '.join(f'${i}' for i in range(1, len(FACT_COLUMNS) + 1))}) ON CONFLICT (case_id) DO NOTHING")
UPDATE_FACT = (f"UPDATE case_facts SET {', '.join(f'{c} = ${i}' for i, (c, _) in enumerate(CHANGING, start=2))}"
               " WHERE case_id = $1")
CHANGING_NAMES = tuple(c for c, _ in CHANGING)


def _responded(facts: dict[str, Any], at: datetime, kind: str, day: WorkingDay) -> None:
    if facts["first_response_at"] is not None:
        return  # answered before: the first answer is what counts
    facts.update(first_response_at=at, first_response_kind=kind, response_team=facts["team_id"],
                 **first_response(facts["received_at"], at, day))


def count_attempt(attempts: int, reached_after: int | None, result: str) -> dict[str, int | None]:
    """A case's contact attempts after one more, and the one that first reached the family: every attempt up to
    and including it counts, whatever its channel; later ones (a call after a follow-up) do not change it."""
    attempts += 1
    if reached_after is None and result == "reached":
        reached_after = attempts
    return {"contact_attempts": attempts, "reached_after": reached_after}


def evolve_facts(facts: dict[str, Any], event: EventBase, day: WorkingDay = DEFAULT_DAY) -> None:
    """What a later event of a case changes in its facts (in place), working hours counted in ``day`` (the
    case's region's); pure, and tested on its own."""
    if referral_facts.evolve_referral(facts, event, day):
        return
    if isinstance(event, RequestRecorded):
        if event.payload.answered_in_contact:  # answered in the call or visit itself: at once, in time
            _responded(facts, event.payload.contacted_at, "in_contact", day)
    elif isinstance(event, CaseTriaged):
        triage = event.payload
        facts.update(topic_triage=triage.topic,
                     topic=triage.topic if triage.topic is not None else facts["topic_family"], urgency=triage.urgency,
                     child_welfare_concern=facts["child_welfare_concern"] or triage.child_welfare_concern)
    elif isinstance(event, CaseAssigned | CaseHandedOff):
        to = event.payload
        team = to.team_id or (to.assignee_id if to.assignee_kind == "team" else None)
        facts.update(team_id=team or facts["team_id"],
                     handoffs=facts["handoffs"] + int(isinstance(event, CaseHandedOff)))
    elif isinstance(event, CaseReferred):
        facts.update(referrals=facts["referrals"] + 1, referred_service=event.payload.service_id,
                     referred_kind=event.payload.service_kind)
    elif isinstance(event, ContactAttempted):
        facts.update(count_attempt(facts["contact_attempts"], facts["reached_after"], event.payload.result))
        if event.payload.result == "reached":
            _responded(facts, event.occurred_at, event.payload.channel, day)
    elif isinstance(event, ReplySent):
        _responded(facts, event.occurred_at, "written", day)
    elif isinstance(event, CaseClosed):
        closing = event.payload
        facts.update(outcome=closing.outcome, closed_at=event.occurred_at,
                     referred_service=closing.referred_to if closing.referred_to is not None
                     else facts["referred_service"])
    elif isinstance(event, CaseReopened):
        facts.update(reopened=facts["reopened"] + 1, outcome=None, closed_at=None)
    elif isinstance(event, FeedbackGiven):
        facts.update(feedback=event.payload.score)
    elif isinstance(event, ChildWelfareNotified):
        facts.update(child_welfare_notified=True)


def batch_handler(secret: bytes, *, regions: Regions | None = None, with_cells: bool = True) -> BatchHandler:
    """The projection's batch handler; ``with_cells=False`` (a rebuild, which fills the rollup once at the end)
    writes the facts alone. ``regions`` give each case's working day (the defaults without)."""
    def day_of(region: str) -> WorkingDay:
        return regions.working_day(region) if regions is not None else DEFAULT_DAY

    async def write(conn: Conn, statement: str, row_by_row: str, rows: list[tuple[object, ...]]) -> None:
        if with_cells:
            await conn.execute(statement, *as_columns(rows, len(rows[0])))
        else:
            await conn.executemany(row_by_row, rows)

    async def apply_events(conn: Conn, events: list[EventBase]) -> None:
        """New requests are inserted; then each case's facts are read once, evolved in memory and written once."""
        new = [facts_of_request(e, secret, day_of(e.region)) for e in events
               if isinstance(e, RequestSubmitted | RequestRecorded)]
        if new:
            await write(conn, INSERT_FACTS, INSERT_FACT, [tuple(f[c] for c, _ in FACT_COLUMNS) for f in new])
        # A recorded contact goes on to its facts' changes too: one answered in the contact is answered then.
        later = [e for e in events if not isinstance(e, RequestSubmitted)]
        if not later:
            return
        await _apply_facts(conn, later)
        await apply_followups(conn, later)  # reads the first answers just written

    async def _apply_facts(conn: Conn, later: list[EventBase]) -> None:
        rows = await conn.fetch(f"SELECT case_id, received_at, topic_family, {', '.join(CHANGING_NAMES)}"
                                " FROM case_facts WHERE case_id = ANY($1::uuid[]) FOR UPDATE",
                                list({e.case_id for e in later}))
        facts = {r["case_id"]: dict(r) for r in rows}  # a case this projection never saw arrive has none
        before = {case_id: dict(f) for case_id, f in facts.items()}
        for event in later:
            if event.case_id in facts:
                evolve_facts(facts[event.case_id], event, day_of(event.region))
        changed = [(f["case_id"], *(f[c] for c in CHANGING_NAMES)) for case_id, f in facts.items()
                   if f != before[case_id]]
        if changed:
            await write(conn, UPDATE_FACTS, UPDATE_FACT, changed)
            if with_cells:
                await conn.execute(DROP_EMPTY)
    return apply_events


def handlers(secret: bytes, regions: Regions | None = None) -> dict[str, EventHandler]:
    """One event at a time (the consumer's careful path): the batch handler given one event."""
    return {name: one_at_a_time(batch_handler(secret, regions=regions)) for name in EVENT_TYPES}


# Who may have a statistics session: an account's role and region, whether it is active and when the person
# last signed out of the staff pages; no address.
on_staff_record = CompactedTable(
    table="staff_accounts", model=StaffRecord, what="a staff record",
    columns=(("account_id", "text"), ("region", "text"), ("role", "text"), ("active", "boolean"),
             ("signed_out_at", "timestamptz")),
    row=lambda staff: (staff.account_id, staff.region, staff.role, staff.active, staff.signed_out_at))


def projection(runtime: ServiceRuntime[ReportingSettings]) -> Projection:
    secret = runtime.settings.statistics_key
    return Projection(name="reporting", migrations=MIGRATIONS,
                      tables=["case_facts", "fact_cells", "wait_tenths", "wait_hours", "staff_accounts",
                              "followup_facts", "directory_services", *NETWORK_TABLES],
                      event_handlers=handlers(secret.encode(), runtime.regions),
                      batch_handler=batch_handler(secret.encode(), regions=runtime.regions),
                      replay_batch_handler=batch_handler(secret.encode(), regions=runtime.regions, with_cells=False),
                      after_replay=(*cells.REFILL, *waits.REFILL),
                      record_handlers={**{t: directory_only(on_staff_record) for t in runtime.staff_topics()},
                                       **{directory_topic(runtime.settings.topic_prefix, r.id): directory_handler(r.id)
                                          for r in runtime.regions},
                                       **{network_topic(runtime.settings.topic_prefix, r.id): on_network_record
                                          for r in runtime.regions}})

