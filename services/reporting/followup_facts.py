"""Follow-ups in reporting's projection: a row per time a family wrote again after being answered.

A family's message is a follow-up when the case had its first answer before it and no earlier follow-up
waits; it is promised an answer by the region's rule as the case was (as many business days after the
message as the request had), and a reply or a call that reached the family answers it. The same rules as
routing's domain, kept apart here because reporting holds no case state of routing's. Only times and
categories: the message stays sealed in the event.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from shared.businessdays import HELSINKI, answer_due, end_of_day_utc, is_business_day
from shared.db import Conn
from shared.events import ContactAttempted, EventBase, FamilyMessageAdded, ReplySent


def business_days_promised(received_at: datetime, promised: date) -> int:
    """How many business days after its arrival a request was promised (the region's rule as it was then)."""
    day, counted = received_at.astimezone(HELSINKI).date(), 0
    while day < promised:
        day += timedelta(days=1)
        counted += is_business_day(day)
    return max(1, counted)


def followup_row(case: dict[str, Any], number: int, written_at: datetime) -> dict[str, Any]:
    """The facts of a case's ``number``-th follow-up, written at ``written_at``."""
    days = business_days_promised(case["received_at"], case["answer_due"])
    promised = answer_due(written_at, days)
    local = written_at.astimezone(HELSINKI).date()
    return {"case_id": case["case_id"], "followup": number, "record_key": case["record_key"],
            "region": case["region"], "municipality": case["municipality"], "written_at": written_at,
            "local_date": local, "month": local.replace(day=1), "promised_day": promised,
            "due_at": end_of_day_utc(promised)}


def _answers(event: EventBase) -> bool:
    return isinstance(event, ReplySent) or (isinstance(event, ContactAttempted) and event.payload.result == "reached")


COLUMNS = ("case_id", "followup", "record_key", "region", "municipality", "written_at", "local_date", "month",
           "promised_day", "due_at")
INSERT = (f"INSERT INTO followup_facts ({', '.join(COLUMNS)}) VALUES"
          f" ({', '.join(f'${i}' for i in range(1, len(COLUMNS) + 1))}) ON CONFLICT DO NOTHING")


async def apply_followups(conn: Conn, events: list[EventBase]) -> None:
    """A batch's follow-ups, after its facts are written: new ones inserted, answered ones closed, in stream order.

    Whether a message came after the first answer is read from the times (the first answer's moment is
    in the facts), so it does not matter where in the batch that answer was.
    """
    relevant = [e for e in events if isinstance(e, FamilyMessageAdded) or _answers(e)]
    if not relevant:
        return
    case_ids = list({e.case_id for e in relevant})
    cases = {r["case_id"]: dict(r) for r in await conn.fetch(
        "SELECT case_id, record_key, region, municipality, received_at, answer_due, first_response_at"
        " FROM case_facts WHERE case_id = ANY($1::uuid[])", case_ids)}
    known = await conn.fetch("SELECT case_id, max(followup) AS last, max(followup) FILTER (WHERE answered_at IS NULL)"
                             " AS waiting FROM followup_facts WHERE case_id = ANY($1::uuid[]) GROUP BY 1", case_ids)
    last: dict[uuid.UUID, int] = {r["case_id"]: r["last"] for r in known}
    waiting: dict[uuid.UUID, int] = {r["case_id"]: r["waiting"] for r in known if r["waiting"] is not None}
    for event in relevant:
        case = cases.get(event.case_id)
        if case is None:
            continue  # a case this projection never saw arrive
        if isinstance(event, FamilyMessageAdded):
            first = case["first_response_at"]
            if first is None or first > event.occurred_at or event.case_id in waiting:
                continue  # before the first answer, or while a follow-up already waits: no new promise
            number = last.get(event.case_id, 0) + 1
            row = followup_row(case, number, event.occurred_at)
            await conn.execute(INSERT, *(row[c] for c in COLUMNS))
            last[event.case_id] = waiting[event.case_id] = number
        elif event.case_id in waiting:
            await conn.execute("UPDATE followup_facts SET answered_at = $3 WHERE case_id = $1 AND followup = $2",
                               event.case_id, waiting.pop(event.case_id), event.occurred_at)
