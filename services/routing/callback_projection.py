"""The ``callbacks`` table: each call scheduled to a family and what became of it, from the case stream.

Called by the case projection with each event and the case's state just before it, so that an attempt
knows which call it used up. Only SQL on the connection given; time from the event. The table holds no
personal data (staff ids, the case's team, the window), so an erasure leaves it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.routing.domain import CaseState
from shared.db import Conn
from shared.events import (
    CallbackCancelled,
    CallbackScheduled,
    CaseAssigned,
    CaseHandedOff,
    ContactAttempted,
    EventBase,
)

SCHEDULE = ("INSERT INTO callbacks (callback_id, case_id, region, team_id, caller, starts_at, ends_at, status,"
            " scheduled_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'scheduled', $8, $8)"
            " ON CONFLICT (callback_id) DO NOTHING")
# A call's end is set once: a later event about the same call (a relay's copy) changes nothing.
END = "UPDATE callbacks SET status = $2, updated_at = $3 WHERE callback_id = $1 AND status = 'scheduled'"
MOVE_TEAM = ("UPDATE callbacks SET team_id = $2, updated_at = $3 WHERE case_id = $1 AND status = 'scheduled'"
             " AND team_id IS DISTINCT FROM $2")


@dataclass(frozen=True)
class CallbackWrite:
    """One statement and its arguments, in stream order."""

    sql: str
    args: tuple[object, ...]


def callback_writes(event: EventBase, before: CaseState) -> list[CallbackWrite]:
    """What ``event`` changes in the callbacks table, given the case as it was just before it."""
    at = event.occurred_at
    if isinstance(event, CallbackScheduled):
        p = event.payload
        writes = []
        moved = p.replaces or before.callback_id
        if moved is not None:
            writes.append(CallbackWrite(END, (moved, "replaced", at)))
        writes.append(CallbackWrite(SCHEDULE, (p.callback_id, event.case_id, event.region, before.team_id, p.caller,
                                               p.starts_at, p.ends_at, at)))
        return writes
    if isinstance(event, CallbackCancelled):
        return [CallbackWrite(END, (event.payload.callback_id, "cancelled", at))]
    if isinstance(event, ContactAttempted) and before.callback_id is not None:
        status = "reached" if event.payload.result == "reached" else "attempted"
        return [CallbackWrite(END, (before.callback_id, status, at))]
    if isinstance(event, CaseAssigned | CaseHandedOff) and before.callback_id is not None:
        # Whoever has the case now has its call: the team's list follows the case.
        return [CallbackWrite(MOVE_TEAM, (event.case_id, event.payload.team_id, at))]
    return []


async def apply_callback_writes(conn: Conn, writes: list[CallbackWrite]) -> None:
    """Run the writes in order; calls are few, so one statement each is enough."""
    for write in writes:
        await conn.execute(write.sql, *write.args)
