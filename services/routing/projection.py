"""Routing's case projection: apply events to SQL on the connection given, nothing else."""

from __future__ import annotations

import orjson

from services.routing.domain import CaseState, evolve, initial_state
from shared.businessdays import end_of_day_utc
from shared.consumer import TRACKING_DDL, EventHandler, PoisonRecord, Projection
from shared.db import Conn
from shared.events import EVENT_TYPES, EventBase, RequestSubmitted
from shared.keys import CASE_KEYS_DDL, on_case_key
from shared.runtime import ServiceRuntime

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
    """
    + CASE_KEYS_DDL,
    """
    ALTER TABLE cases ADD COLUMN state jsonb, ADD COLUMN urgency text NOT NULL DEFAULT 'normal',
        ADD COLUMN child_welfare_concern boolean NOT NULL DEFAULT false, ADD COLUMN assignee_kind text,
        ADD COLUMN assignee_id text, ADD COLUMN team_id text, ADD COLUMN first_response_at timestamptz,
        ADD COLUMN closed_at timestamptz, ADD COLUMN outcome text;
    CREATE INDEX cases_team ON cases (team_id) WHERE status <> 'closed';
    CREATE TABLE case_timeline (
        event_id uuid PRIMARY KEY,
        case_id uuid NOT NULL,
        at timestamptz NOT NULL,
        type text NOT NULL,
        actor text NOT NULL,
        data jsonb NOT NULL,
        sealed jsonb
    );
    CREATE INDEX case_timeline_case ON case_timeline (case_id, at);
    """,
]
# Payload fields that hold sealed personal data, per event type: kept apart from the plain data.
SEALED_FIELDS = {"request.submitted": "personal", "family.message_added": "message", "reply.sent": "text",
                 "case.handed_off": "note", "note.added": "note", "feedback.given": "comment"}


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
    await _store_state(conn, initial_state(event))
    await on_any(conn, event)


async def _store_state(conn: Conn, state: CaseState) -> None:
    await conn.execute(
        "UPDATE cases SET state = $2::jsonb, status = $3, version = $4, topic = $5, urgency = $6,"
        " child_welfare_concern = $7, assignee_kind = $8, assignee_id = $9, team_id = $10, first_response_at = $11,"
        " closed_at = $12, outcome = $13 WHERE case_id = $1",
        state.case_id, state.model_dump_json(), state.status, state.version, state.topic, state.urgency,
        state.child_welfare_concern, state.assignee_kind, state.assignee_id, state.team_id, state.first_response_at,
        state.closed_at, state.outcome)


async def on_any(conn: Conn, event: EventBase) -> None:
    """Every event of a case goes on its timeline: plain data, and its sealed part kept sealed."""
    payload = event.model_dump(mode="json")["payload"]
    sealed_field = SEALED_FIELDS.get(event.type)
    sealed = payload.pop(sealed_field, None) if sealed_field else None
    await conn.execute(
        "INSERT INTO case_timeline (event_id, case_id, at, type, actor, data, sealed)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb) ON CONFLICT (event_id) DO NOTHING",
        event.event_id, event.case_id, event.occurred_at, event.type, event.actor, orjson.dumps(payload).decode(),
        orjson.dumps(sealed).decode() if sealed is not None else None)


async def on_case_event(conn: Conn, event: EventBase) -> None:
    """A later event of a case: evolve its state, then add it to the timeline."""
    raw = await conn.fetchval("SELECT state FROM cases WHERE case_id = $1 FOR UPDATE", event.case_id)
    if raw is None:
        raise PoisonRecord(f"{event.type} for a case routing has never seen")
    await _store_state(conn, evolve(CaseState.model_validate_json(raw), event))
    await on_any(conn, event)


async def on_erased(conn: Conn, event: EventBase) -> None:
    """Personal data erased: the key goes, and so do the sealed copies (the timeline keeps what happened)."""
    await on_case_event(conn, event)
    await conn.execute("DELETE FROM case_keys WHERE case_id = $1", event.case_id)
    await conn.execute("UPDATE cases SET personal = NULL WHERE case_id = $1", event.case_id)
    await conn.execute(f"UPDATE case_timeline SET sealed = '{ERASED}'::jsonb WHERE case_id = $1 AND sealed IS NOT NULL",
                       event.case_id)


ERASED = '{"erased": true}'
HANDLERS: dict[str, EventHandler] = {
    name: on_request_submitted if name == "request.submitted" else on_case_event for name in EVENT_TYPES}
HANDLERS["personal_data.erased"] = on_erased


def projection(runtime: ServiceRuntime) -> Projection:
    return Projection(name="routing", migrations=MIGRATIONS, tables=["cases", "case_keys", "case_timeline"],
                      event_handlers=HANDLERS, record_handlers={t: on_case_key for t in runtime.keys_topics()})
