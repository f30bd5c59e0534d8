"""Reporting's projection: one row per case, only what statistics need (no personal data)."""

from __future__ import annotations

from shared.businessdays import HELSINKI, is_business_day
from shared.consumer import TRACKING_DDL, EventHandler, Projection
from shared.db import Conn
from shared.events import EventBase, RequestSubmitted
from shared.runtime import ServiceRuntime

MIGRATIONS = [
    TRACKING_DDL
    + """
    CREATE TABLE contacts (
        case_id uuid PRIMARY KEY,
        region text NOT NULL,
        municipality text NOT NULL,
        received_at timestamptz NOT NULL,
        local_date date NOT NULL,
        local_hour int NOT NULL,
        after_hours boolean NOT NULL,
        requester_role text NOT NULL,
        topic text,
        contact_method text NOT NULL,
        anonymous boolean NOT NULL
    );
    CREATE INDEX contacts_region_date ON contacts (region, local_date);
    """
]


def after_hours(local_hour: int, business_day: bool) -> bool:
    """Evenings, nights, weekends and holidays: outside 8-16 on a business day."""
    return not business_day or local_hour < 8 or local_hour >= 16


async def on_request_submitted(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, RequestSubmitted)
    p = event.payload
    local = event.occurred_at.astimezone(HELSINKI)
    await conn.execute(
        "INSERT INTO contacts (case_id, region, municipality, received_at, local_date, local_hour, after_hours,"
        " requester_role, topic, contact_method, anonymous) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        " ON CONFLICT (case_id) DO NOTHING",
        event.case_id, event.region, event.municipality, event.occurred_at, local.date(), local.hour,
        after_hours(local.hour, is_business_day(local.date())), p.requester_role, p.topic, p.contact_method,
        p.contact_method == "anonymous",
    )


HANDLERS: dict[str, EventHandler] = {"request.submitted": on_request_submitted}


def projection(runtime: ServiceRuntime) -> Projection:
    return Projection(name="reporting", migrations=MIGRATIONS, tables=["contacts"], event_handlers=HANDLERS)
