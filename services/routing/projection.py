"""Routing's case projection: apply events to SQL on the connection given, nothing else."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from services.routing import search_index
from services.routing.callback_projection import CallbackWrite, apply_callback_writes, callback_writes
from services.routing.domain import CaseState, evolve, initial_state
from services.routing.feedback import on_feedback_record
from services.routing.template_projection import on_template_record
from shared.applier import EventHandler, PoisonRecord, Projection, one_at_a_time
from shared.businessdays import end_of_day_utc
from shared.db import Conn, as_columns, from_arrays
from shared.directory_projection import directory_handler
from shared.events import EVENT_TYPES, CaseOpened, EventBase, RequestRecorded, RequestSubmitted
from shared.keys import on_case_key
from shared.migrations import projection_series

# Payload fields that hold sealed personal data, per event type: kept apart from the plain data.
from shared.places import SEALED_FIELDS
from shared.runtime import ServiceRuntime
from shared.topics import directory_topic, feedback_topic, templates_topic

# The tracking tables, then the files of migrations/projection/.
MIGRATIONS = projection_series(Path(__file__).resolve().parent)


# Set once, by the request.
CASE_COLUMNS = (("case_id", "uuid"), ("region", "text"), ("municipality", "text"), ("reference", "text"),
                ("language", "text"), ("requester_role", "text"), ("child_age_group", "text"),
                ("contact_method", "text"), ("received_at", "timestamptz"), ("answer_due", "date"),
                ("due_at", "timestamptz"), ("personal", "jsonb"), ("updated_at", "timestamptz"),
                ("channel", "text"))
# What evolving the state changes.
STATE_COLUMNS = (("state", "jsonb"), ("status", "text"), ("version", "int"), ("topic", "text"), ("urgency", "text"),
                 ("child_welfare_concern", "bool"), ("assignee_kind", "text"), ("assignee_id", "text"),
                 ("team_id", "text"), ("first_response_at", "timestamptz"), ("closed_at", "timestamptz"),
                 ("outcome", "text"), ("followups", "int"), ("awaiting_since", "timestamptz"),
                 ("unread_messages", "int"), ("followup_due", "date"), ("followup_due_at", "timestamptz"))
TIMELINE_COLUMNS = (("event_id", "uuid"), ("case_id", "uuid"), ("at", "timestamptz"), ("type", "text"),
                    ("actor", "text"), ("data", "jsonb"), ("sealed", "jsonb"))
_NEW_CASE = (*CASE_COLUMNS, *STATE_COLUMNS)
# A request that came again under its case id starts the case over, as evolving it from the start would.
INSERT_CASES = (f"INSERT INTO cases ({', '.join(c for c, _ in _NEW_CASE)}) {from_arrays(_NEW_CASE)}"
                f" ON CONFLICT (case_id) DO UPDATE SET"
                f" {', '.join(f'{c} = EXCLUDED.{c}' for c, _ in STATE_COLUMNS)}")
_STATE = (("case_id", "uuid"), *STATE_COLUMNS)
STORE_STATES = (f"UPDATE cases c SET {', '.join(f'{c} = u.{c}' for c, _ in STATE_COLUMNS)}"
                f" FROM ({from_arrays(_STATE)}) u WHERE c.case_id = u.case_id")
INSERT_TIMELINE = (f"INSERT INTO case_timeline ({', '.join(c for c, _ in TIMELINE_COLUMNS)})"
                   f" {from_arrays(TIMELINE_COLUMNS)} ON CONFLICT (event_id) DO NOTHING")
ERASED = '{"erased": true}'


def case_row(event: CaseOpened) -> tuple[object, ...]:
    p = event.payload
    # A recorded contact was received when it came, not when someone wrote it down.
    received, channel = ((event.payload.contacted_at, event.payload.channel) if isinstance(event, RequestRecorded)
                         else (event.occurred_at, "button"))
    return (event.case_id, event.region, event.municipality, p.reference, p.language, p.requester_role,
            p.child_age_group, p.contact_method, received, p.answer_due, end_of_day_utc(p.answer_due),
            p.personal.model_dump_json(), event.occurred_at, channel)


def state_row(state: CaseState) -> tuple[object, ...]:
    return (state.model_dump_json(), state.status, state.version, state.topic, state.urgency,
            state.child_welfare_concern, state.assignee_kind, state.assignee_id, state.team_id,
            state.first_response_at, state.closed_at, state.outcome, state.followups, state.awaiting_since,
            state.unread_messages, state.followup_due,
            end_of_day_utc(state.followup_due) if state.followup_due is not None else None)


def timeline_row(event: EventBase) -> tuple[object, ...]:
    """Every event of a case goes on its timeline: plain data, and its sealed part kept sealed."""
    sealed_field = SEALED_FIELDS.get(event.type)
    payload: BaseModel = event.payload  # type: ignore[attr-defined]  # each event type declares its own
    sealed = getattr(payload, sealed_field, None) if sealed_field else None
    data = payload.model_dump_json(exclude={sealed_field} if sealed_field else None)
    return (event.event_id, event.case_id, event.occurred_at, event.type, event.actor, data,
            sealed.model_dump_json() if isinstance(sealed, BaseModel) else None)


async def apply_events(conn: Conn, events: list[EventBase]) -> None:
    """A batch of new events, in stream order: each case's state evolved in memory, then written once.

    A request starts its case; every later event evolves the state routing's commands decide on
    and goes on the timeline. An erasure also drops the key and scrubs the sealed copies, after
    this batch's timeline rows are in, so that none escapes.
    """
    started = {e.case_id: e for e in events if isinstance(e, RequestSubmitted | RequestRecorded)}
    known = list({e.case_id for e in events} - started.keys())
    states: dict[uuid.UUID, CaseState] = {}
    if known:
        rows = await conn.fetch("SELECT case_id, state FROM cases WHERE case_id = ANY($1::uuid[]) FOR UPDATE", known)
        states = {r["case_id"]: CaseState.model_validate_json(r["state"]) for r in rows if r["state"] is not None}
    timeline, erased = [], []
    calls: list[CallbackWrite] = []
    for event in events:
        if isinstance(event, RequestSubmitted | RequestRecorded):
            states[event.case_id] = initial_state(event)
        elif event.case_id in states:
            calls += callback_writes(event, states[event.case_id])
            states[event.case_id] = evolve(states[event.case_id], event)
        else:
            raise PoisonRecord(f"{event.type} for a case routing has never seen")
        timeline.append(timeline_row(event))
        if event.type == "personal_data.erased":
            erased.append(event.case_id)
    if started:
        rows_new = [(*case_row(e), *state_row(states[case_id])) for case_id, e in started.items()]
        await conn.execute(INSERT_CASES, *as_columns(rows_new, len(_NEW_CASE)))
    if known:
        rows_known = [(case_id, *state_row(states[case_id])) for case_id in known]
        await conn.execute(STORE_STATES, *as_columns(rows_known, len(_STATE)))
    await conn.execute(INSERT_TIMELINE, *as_columns(timeline, len(TIMELINE_COLUMNS)))
    await apply_callback_writes(conn, calls)
    if erased:
        await conn.execute("DELETE FROM case_keys WHERE case_id = ANY($1::uuid[])", erased)
        await conn.execute("UPDATE cases SET personal = NULL WHERE case_id = ANY($1::uuid[])", erased)
        await conn.execute(f"UPDATE case_timeline SET sealed = '{ERASED}'::jsonb"
                           " WHERE case_id = ANY($1::uuid[]) AND sealed IS NOT NULL", erased)


HANDLERS: dict[str, EventHandler] = {name: one_at_a_time(apply_events) for name in EVENT_TYPES}


def projection(runtime: ServiceRuntime[Any]) -> Projection:
    # The reply templates come from each region's compacted templates topic (template_projection).
    templates = {templates_topic(runtime.settings.topic_prefix, r.id): on_template_record for r in runtime.regions}
    feedback = {feedback_topic(runtime.settings.topic_prefix, r.id): on_feedback_record for r in runtime.regions}
    directory = {directory_topic(runtime.settings.topic_prefix, r.id): directory_handler(r.id) for r in runtime.regions}
    cases = Projection(name="routing", migrations=MIGRATIONS,
                       tables=["cases", "case_keys", "case_timeline", "reply_templates", "callbacks",
                               "accessibility_feedback", "directory_services"],
                       event_handlers=HANDLERS,
                       record_handlers={**{t: on_case_key for t in runtime.keys_topics()}, **templates,
                                        **feedback, **directory},
                       batch_handler=apply_events)
    # The contacts' blind index beside the cases, made where the request and its key are both at hand.
    return search_index.indexed(cases, keyring=runtime.settings.keyring, keys_topics=runtime.keys_topics(),
                                countries={r.id: r.country for r in runtime.regions})
