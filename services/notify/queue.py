"""Queueing a notification in notify's projection, under an id derived from its cause.

The id is a UUIDv5 of the causing event, the recipient and the template, so a replay or a
relay's duplicate lands on the same row and nothing is ever due twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from shared.db import Conn
from shared.events import EventBase
from shared.tracing import record_trace

NOTIFICATION_NAMESPACE = uuid.UUID("2f0b8a59-55a4-4f5c-9d1b-6a1f3b2e7c01")
CHANNEL_BY_CONTACT = {"phone": "sms", "sms": "sms", "email": "email"}


def notification_id(cause_event_id: uuid.UUID, recipient: str, template: str) -> uuid.UUID:
    return uuid.uuid5(NOTIFICATION_NAMESPACE, f"{cause_event_id}/{recipient}/{template}")


@dataclass(frozen=True)
class CallWindow:
    """The call a message is about: which callback, and its window (aware datetimes)."""

    callback_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


async def queue(conn: Conn, event: EventBase, *, recipient: str, template: str, channel: str,
                answer_due: date | None = None, due_at: datetime | None = None,
                call: CallWindow | None = None) -> None:
    """Queue one notification of ``event``: due when the event happened, or at ``due_at`` (a reminder ahead of
    its time); ``answer_due`` when the promised day is not the request's; ``call`` when it names a call."""
    case = await conn.fetchrow("SELECT reference, language, answer_due FROM case_contacts WHERE case_id = $1",
                               event.case_id)
    if case is None:
        return  # a case this region's notify never saw arrive: nobody to tell about it
    await conn.execute(
        "INSERT INTO notifications_due (notification_id, case_id, cause_event_id, region, municipality,"
        " recipient, template, channel, language, reference, answer_due, due_since, callback_id,"
        " window_starts_at, window_ends_at, traceparent, tracestate)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        " ON CONFLICT (notification_id) DO NOTHING",
        notification_id(event.event_id, recipient, template), event.case_id, event.event_id, event.region,
        event.municipality, recipient, template, channel, case["language"], case["reference"],
        answer_due or case["answer_due"], due_at or event.occurred_at,
        call.callback_id if call else None, call.starts_at if call else None, call.ends_at if call else None,
        *record_trace(),  # the sending continues the trace of the event that made it due
    )
