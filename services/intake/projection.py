"""Intake's projection: what a family sees on the status page, rebuilt from the stream.

Sealed texts are kept sealed; they open with the case key only when the family looks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from services.intake.referrals import HANDLERS as referral_handlers
from shared.applier import EventHandler, PoisonRecord, Projection, RecordLike
from shared.db import Conn
from shared.directory_projection import directory_handler
from shared.events import (
    CallbackCancelled,
    CallbackScheduled,
    CaseClosed,
    CaseReopened,
    ContactAttempted,
    EventBase,
    FamilyMessageAdded,
    FeedbackGiven,
    NotReachedNotice,
    ReplySent,
    RequestSubmitted,
)
from shared.migrations import projection_series
from shared.runtime import ServiceRuntime
from shared.sealing import WrappedKey
from shared.topics import directory_topic

# The tracking tables, then the files of migrations/projection/.
MIGRATIONS = projection_series(Path(__file__).resolve().parent)


async def _timeline(conn: Conn, event: EventBase, from_staff: bool, sealed_json: str) -> None:
    # The event's type is kept with the sealed text: it opens only as what it was sealed as (shared/sealing.py).
    await conn.execute(
        "INSERT INTO family_timeline (event_id, case_id, at, from_staff, sealed, sealed_in)"
        " VALUES ($1, $2, $3, $4, $5::jsonb, $6) ON CONFLICT (event_id) DO NOTHING",
        event.event_id, event.case_id, event.occurred_at, from_staff, sealed_json, event.type,
    )


async def on_request_submitted(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, RequestSubmitted)
    await conn.execute("INSERT INTO family_case_state (case_id) VALUES ($1) ON CONFLICT DO NOTHING", event.case_id)
    await _timeline(conn, event, False, event.payload.personal.model_dump_json())


async def on_family_message(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, FamilyMessageAdded)
    await _timeline(conn, event, False, event.payload.message.model_dump_json())


async def _answered(conn: Conn, event: EventBase) -> None:
    """Staff answered the family at this moment: what they wrote before it is answered."""
    await conn.execute(
        "INSERT INTO family_case_state (case_id, last_answer_at) VALUES ($1, $2)"
        " ON CONFLICT (case_id) DO UPDATE SET last_answer_at = EXCLUDED.last_answer_at", event.case_id,
        event.occurred_at)


async def on_reply(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, ReplySent)
    await _timeline(conn, event, True, event.payload.text.model_dump_json())
    await _answered(conn, event)


async def on_contact(conn: Conn, event: EventBase) -> None:
    """A call that reached the family answers them too (it shows as no text: the call was the answer).

    Any attempt uses up the scheduled call, as routing counts it: the page no longer promises it.
    """
    assert isinstance(event, ContactAttempted)
    if event.payload.result == "reached":
        await _answered(conn, event)
    await conn.execute("DELETE FROM family_callbacks WHERE case_id = $1", event.case_id)


async def on_callback_scheduled(conn: Conn, event: EventBase) -> None:
    """The family's page shows the one call ahead: a new time (a move or not) replaces the one before."""
    assert isinstance(event, CallbackScheduled)
    await conn.execute(
        "INSERT INTO family_callbacks (case_id, callback_id, starts_at, ends_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (case_id) DO UPDATE SET callback_id = EXCLUDED.callback_id, starts_at = EXCLUDED.starts_at,"
        " ends_at = EXCLUDED.ends_at", event.case_id, event.payload.callback_id, event.payload.starts_at,
        event.payload.ends_at)


async def on_callback_cancelled(conn: Conn, event: EventBase) -> None:
    # Only the call it names: a cancellation of one already replaced leaves the new time in place.
    assert isinstance(event, CallbackCancelled)
    await conn.execute("DELETE FROM family_callbacks WHERE case_id = $1 AND callback_id = $2", event.case_id,
                       event.payload.callback_id)


async def on_not_reached_notice(conn: Conn, event: EventBase) -> None:
    """'We tried to reach you': an entry of the staff's in the family's timeline, in the page's language."""
    assert isinstance(event, NotReachedNotice)
    await conn.execute("INSERT INTO family_notices (event_id, case_id, at, kind) VALUES ($1, $2, $3, $4)"
                       " ON CONFLICT (event_id) DO NOTHING", event.event_id, event.case_id, event.occurred_at,
                       "not_reached_notice")


async def on_closed(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, CaseClosed)
    await conn.execute(
        "INSERT INTO family_case_state (case_id, closed, closed_at, outcome, referred_to) VALUES ($1, true, $2, $3, $4)"
        " ON CONFLICT (case_id) DO UPDATE SET closed = true, closed_at = EXCLUDED.closed_at,"
        " outcome = EXCLUDED.outcome, referred_to = EXCLUDED.referred_to",
        event.case_id, event.occurred_at, event.payload.outcome, event.payload.referred_to,
    )


async def on_reopened(conn: Conn, event: EventBase) -> None:
    """Reopened: the family may write again, and the page no longer says it is closed."""
    assert isinstance(event, CaseReopened)
    await conn.execute("UPDATE family_case_state SET closed = false, closed_at = NULL, outcome = NULL,"
                       " referred_to = NULL WHERE case_id = $1", event.case_id)


async def on_feedback(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, FeedbackGiven)
    await conn.execute(
        "INSERT INTO family_case_state (case_id, feedback_given) VALUES ($1, true)"
        " ON CONFLICT (case_id) DO UPDATE SET feedback_given = true", event.case_id)


async def on_erased(conn: Conn, event: EventBase) -> None:
    """Personal data erased: the family's and staff's words here, the key, the pick-up code, open sessions."""
    await conn.execute("UPDATE family_timeline SET sealed = '{\"erased\": true}'::jsonb WHERE case_id = $1",
                       event.case_id)
    # When a call was to be made says when someone is at home: it goes with the rest.
    await conn.execute("DELETE FROM family_callbacks WHERE case_id = $1", event.case_id)
    for table in ("family_sessions", "pickup_codes", "case_keys"):  # intake's own tables
        await conn.execute(f"DELETE FROM {table} WHERE case_id = $1", event.case_id)
    await conn.execute("UPDATE family_writes SET sealed = NULL WHERE case_id = $1", event.case_id)


HANDLERS: dict[str, EventHandler] = {
    "personal_data.erased": on_erased,
    "request.submitted": on_request_submitted,
    "family.message_added": on_family_message,
    "reply.sent": on_reply,
    "case.closed": on_closed,
    "case.reopened": on_reopened,
    "contact.attempted": on_contact,
    "feedback.given": on_feedback,
    "callback.scheduled": on_callback_scheduled,
    "callback.cancelled": on_callback_cancelled,
    "contact.not_reached_notice": on_not_reached_notice,
}


async def on_case_key(conn: Conn, record: RecordLike) -> None:
    """A key rewrapped under another KEK (routing's ``keys rewrap``) replaces intake's copy of it.

    Intake writes each case's key itself when it accepts the request; from the key topic it takes only
    newer wrappings of keys it holds, never a key it does not (an erased case's stays gone)."""
    if record.key is None:
        raise PoisonRecord("a wrapped key without a key")
    if record.value is None:  # the erasure's tombstone; the erasure event drops the key too
        await conn.execute("DELETE FROM case_keys WHERE case_id::text = $1", record.key.decode())
        return
    try:
        key = WrappedKey.model_validate_json(record.value)
    except ValidationError as exc:
        raise PoisonRecord(f"not a wrapped key: {exc.error_count()} problem(s)") from exc
    await conn.execute("UPDATE case_keys SET kek_id = $2, nonce = $3, wrapped = $4 WHERE case_id = $1",
                       key.case_id, key.kek_id, key.nonce, key.wrapped)


def projection(runtime: ServiceRuntime[Any]) -> Projection:
    return Projection(name="intake", migrations=MIGRATIONS, tables=["family_timeline", "family_case_state",
                                                                  "family_callbacks", "family_notices",
                                                                  "family_referrals", "directory_services"],
                      event_handlers={**HANDLERS, **referral_handlers},
                      record_handlers={**{t: on_case_key for t in runtime.keys_topics()},
                                       # The services a family is referred to, for their status page.
                                       **{directory_topic(runtime.settings.topic_prefix, r.id): directory_handler(r.id)
                                          for r in runtime.regions}})
