"""Routing's case projection: apply events to SQL on the connection given, nothing else."""

from __future__ import annotations

from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from shared.businessdays import end_of_day_utc
from shared.consumer import TRACKING_DDL, EventHandler, PoisonRecord, Projection
from shared.db import Conn
from shared.events import EventBase, RequestSubmitted
from shared.runtime import ServiceRuntime
from shared.sealing import WrappedKey

MIGRATIONS = [
    TRACKING_DDL
    + """
    CREATE TABLE cases (
        case_id uuid PRIMARY KEY,
        region text NOT NULL,
        municipality text NOT NULL,
        reference text NOT NULL,
        language text NOT NULL,
        requester_role text NOT NULL,
        topic text,
        child_age_group text,
        contact_method text NOT NULL,
        received_at timestamptz NOT NULL,
        answer_due date NOT NULL,
        due_at timestamptz NOT NULL,
        status text NOT NULL,
        personal jsonb,
        version int NOT NULL,
        updated_at timestamptz NOT NULL
    );
    CREATE INDEX cases_queue ON cases (region, status, due_at);
    CREATE TABLE case_keys (
        case_id uuid PRIMARY KEY,
        region text NOT NULL,
        kek_id text NOT NULL,
        nonce text NOT NULL,
        wrapped text NOT NULL
    );
    """
]


async def on_request_submitted(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, RequestSubmitted)
    p = event.payload
    await conn.execute(
        "INSERT INTO cases (case_id, region, municipality, reference, language, requester_role, topic,"
        " child_age_group, contact_method, received_at, answer_due, due_at, status, personal, version, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'new', $13::jsonb, 1, $10)"
        " ON CONFLICT (case_id) DO NOTHING",
        event.case_id, event.region, event.municipality, p.reference, p.language, p.requester_role, p.topic,
        p.child_age_group, p.contact_method, event.occurred_at, p.answer_due, end_of_day_utc(p.answer_due),
        p.personal.model_dump_json(),
    )


async def on_case_key(conn: Conn, record: ConsumerRecord[bytes, bytes]) -> None:
    """The key topic: a wrapped data key, or a tombstone that erases the case's key."""
    if record.value is None:
        if record.key is not None:
            await conn.execute("DELETE FROM case_keys WHERE case_id = $1::uuid", record.key.decode())
        return
    try:
        key = WrappedKey.model_validate_json(record.value)
    except ValidationError as exc:
        raise PoisonRecord(f"not a wrapped key: {exc.error_count()} problem(s)") from exc
    await conn.execute(
        "INSERT INTO case_keys (case_id, region, kek_id, nonce, wrapped) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (case_id) DO UPDATE SET kek_id = EXCLUDED.kek_id, nonce = EXCLUDED.nonce,"
        " wrapped = EXCLUDED.wrapped",
        key.case_id, key.region, key.kek_id, key.nonce, key.wrapped,
    )


HANDLERS: dict[str, EventHandler] = {"request.submitted": on_request_submitted}


def projection(runtime: ServiceRuntime) -> Projection:
    return Projection(name="routing", migrations=MIGRATIONS, tables=["cases", "case_keys"],
                      event_handlers=HANDLERS, record_handlers={t: on_case_key for t in runtime.keys_topics()})
