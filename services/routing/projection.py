"""Routing's case projection: apply events to SQL on the connection given, nothing else."""

from __future__ import annotations

import uuid

import orjson

from services.routing.domain import CaseState, evolve, initial_state
from shared.businessdays import end_of_day_utc
from shared.consumer import TRACKING_DDL, EventHandler, PoisonRecord, Projection, one_at_a_time
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


CASE_COLUMNS = ("case_id", "region", "municipality", "reference", "language", "requester_role", "topic",
                "child_age_group", "contact_method", "received_at", "answer_due", "due_at", "status", "personal",
                "version", "updated_at")
INSERT_CASE = (f"INSERT INTO cases ({', '.join(CASE_COLUMNS)}) VALUES"
               f" ({', '.join(f'${i}' for i in range(1, len(CASE_COLUMNS) + 1))}) ON CONFLICT (case_id) DO NOTHING")
STORE_STATE = ("UPDATE cases SET state = $2::jsonb, status = $3, version = $4, topic = $5, urgency = $6,"
               " child_welfare_concern = $7, assignee_kind = $8, assignee_id = $9, team_id = $10,"
               " first_response_at = $11, closed_at = $12, outcome = $13 WHERE case_id = $1")
INSERT_TIMELINE = ("INSERT INTO case_timeline (event_id, case_id, at, type, actor, data, sealed)"
                   " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb) ON CONFLICT (event_id) DO NOTHING")
ERASED = '{"erased": true}'


def case_row(event: RequestSubmitted) -> tuple[object, ...]:
    p = event.payload
    return (event.case_id, event.region, event.municipality, p.reference, p.language, p.requester_role, p.topic,
            p.child_age_group, p.contact_method, event.occurred_at, p.answer_due, end_of_day_utc(p.answer_due), "new",
            p.personal.model_dump_json(), 1, event.occurred_at)


def state_row(state: CaseState) -> tuple[object, ...]:
    return (state.case_id, state.model_dump_json(), state.status, state.version, state.topic, state.urgency,
            state.child_welfare_concern, state.assignee_kind, state.assignee_id, state.team_id,
            state.first_response_at, state.closed_at, state.outcome)


def timeline_row(event: EventBase) -> tuple[object, ...]:
    """Every event of a case goes on its timeline: plain data, and its sealed part kept sealed."""
    payload = event.model_dump(mode="json")["payload"]
    sealed_field = SEALED_FIELDS.get(event.type)
    sealed = payload.pop(sealed_field, None) if sealed_field else None
    return (event.event_id, event.case_id, event.occurred_at, event.type, event.actor, orjson.dumps(payload).decode(),
            orjson.dumps(sealed).decode() if sealed is not None else None)


async def apply_events(conn: Conn, events: list[EventBase]) -> None:
    """A batch of new events, in stream order: each case's state evolved in memory, then written once.

    A request starts its case; every later event evolves the state routing's commands decide on
    and goes on the timeline. An erasure also drops the key and scrubs the sealed copies, after
    this batch's timeline rows are in, so that none escapes.
    """
    started = {e.case_id for e in events if isinstance(e, RequestSubmitted)}
    known = list({e.case_id for e in events} - started)
    states: dict[uuid.UUID, CaseState] = {}
    if known:
        rows = await conn.fetch("SELECT case_id, state FROM cases WHERE case_id = ANY($1::uuid[]) FOR UPDATE", known)
        states = {r["case_id"]: CaseState.model_validate_json(r["state"]) for r in rows if r["state"] is not None}
    new_cases, timeline, erased = [], [], []
    for event in events:
        if isinstance(event, RequestSubmitted):
            new_cases.append(case_row(event))
            states[event.case_id] = initial_state(event)
        elif event.case_id in states:
            states[event.case_id] = evolve(states[event.case_id], event)
        else:
            raise PoisonRecord(f"{event.type} for a case routing has never seen")
        timeline.append(timeline_row(event))
        if event.type == "personal_data.erased":
            erased.append(event.case_id)
    if new_cases:
        await conn.executemany(INSERT_CASE, new_cases)
    touched = {e.case_id for e in events}
    await conn.executemany(STORE_STATE, [state_row(states[case_id]) for case_id in touched])
    await conn.executemany(INSERT_TIMELINE, timeline)
    if erased:
        await conn.execute("DELETE FROM case_keys WHERE case_id = ANY($1::uuid[])", erased)
        await conn.execute("UPDATE cases SET personal = NULL WHERE case_id = ANY($1::uuid[])", erased)
        await conn.execute(f"UPDATE case_timeline SET sealed = '{ERASED}'::jsonb"
                           " WHERE case_id = ANY($1::uuid[]) AND sealed IS NOT NULL", erased)


HANDLERS: dict[str, EventHandler] = {name: one_at_a_time(apply_events) for name in EVENT_TYPES}


def projection(runtime: ServiceRuntime) -> Projection:
    return Projection(name="routing", migrations=MIGRATIONS, tables=["cases", "case_keys", "case_timeline"],
                      event_handlers=HANDLERS, record_handlers={t: on_case_key for t in runtime.keys_topics()},
                      batch_handler=apply_events)
