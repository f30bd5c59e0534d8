"""Notify's projection: which notifications are due, each under an id derived from its cause.

The id is a UUIDv5 of the causing event, the recipient and the template, so a replay or a
relay's duplicate lands on the same row and nothing is ever due twice.
"""

from __future__ import annotations

import uuid

from shared.consumer import TRACKING_DDL, EventHandler, Projection
from shared.db import Conn
from shared.events import EventBase, RequestSubmitted
from shared.runtime import ServiceRuntime

NOTIFICATION_NAMESPACE = uuid.UUID("2f0b8a59-55a4-4f5c-9d1b-6a1f3b2e7c01")

MIGRATIONS = [
    TRACKING_DDL
    + """
    CREATE TABLE notifications_due (
        notification_id uuid PRIMARY KEY,
        case_id uuid NOT NULL,
        cause_event_id uuid NOT NULL,
        region text NOT NULL,
        municipality text NOT NULL,
        recipient text NOT NULL,
        template text NOT NULL,
        channel text NOT NULL,
        language text NOT NULL,
        reference text NOT NULL,
        answer_due date,
        due_since timestamptz NOT NULL
    );
    CREATE INDEX notifications_due_case ON notifications_due (case_id);
    """
]

CHANNEL_BY_CONTACT = {"phone": "sms", "sms": "sms", "email": "email"}


def notification_id(cause_event_id: uuid.UUID, recipient: str, template: str) -> uuid.UUID:
    return uuid.uuid5(NOTIFICATION_NAMESPACE, f"{cause_event_id}/{recipient}/{template}")


async def on_request_submitted(conn: Conn, event: EventBase) -> None:
    """A family that left a contact gets a receipt (Act 13/2003: acknowledge without delay)."""
    assert isinstance(event, RequestSubmitted)
    p = event.payload
    channel = CHANNEL_BY_CONTACT.get(p.contact_method)
    if channel is None:
        return  # anonymous: the receipt page and the pick-up code are the acknowledgement
    await conn.execute(
        "INSERT INTO notifications_due (notification_id, case_id, cause_event_id, region, municipality,"
        " recipient, template, channel, language, reference, answer_due, due_since)"
        " VALUES ($1, $2, $3, $4, $5, 'family', 'request_receipt', $6, $7, $8, $9, $10)"
        " ON CONFLICT (notification_id) DO NOTHING",
        notification_id(event.event_id, "family", "request_receipt"), event.case_id, event.event_id,
        event.region, event.municipality, channel, p.language, p.reference, p.answer_due, event.occurred_at,
    )


HANDLERS: dict[str, EventHandler] = {"request.submitted": on_request_submitted}


def projection(runtime: ServiceRuntime) -> Projection:
    return Projection(name="notify", migrations=MIGRATIONS, tables=["notifications_due"],
                      event_handlers=HANDLERS)
