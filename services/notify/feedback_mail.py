"""Accessibility feedback: one e-mail to the region's accessibility contact per feedback, with its reference,
its answer date and the admin page's link, never its text or the sender's contact (what anyone wrote stays off
mail). Queued under an id derived from the feedback, so a replay or a second notify sends it once; a tombstone
(the feedback erased) withdraws a message not yet sent, and an answered feedback queues nothing."""

from __future__ import annotations

from pydantic import ValidationError

from services.notify.queue import notification_id
from shared.applier import PoisonRecord, RecordLike
from shared.db import Conn
from shared.feedback import FeedbackRecord
from shared.tracing import record_trace

TEMPLATE = "accessibility_feedback"
RECIPIENT = "accessibility"


async def on_feedback_record(conn: Conn, record: RecordLike) -> None:
    if record.key is None:
        raise PoisonRecord("a feedback without a key")
    if record.value is None:
        await conn.execute("UPDATE notifications_due SET withdrawn_at = now() WHERE case_id::text = $1"
                           " AND template = $2 AND withdrawn_at IS NULL AND notification_id NOT IN"
                           " (SELECT notification_id FROM deliveries)", record.key.decode(), TEMPLATE)
        return
    try:
        feedback = FeedbackRecord.model_validate_json(record.value)
    except ValidationError as exc:
        raise PoisonRecord(f"not a feedback: {exc.error_count()} problem(s)") from exc
    if feedback.answered_at is not None:
        return  # answered: the contact was told when it came
    await conn.execute(
        "INSERT INTO notifications_due (notification_id, case_id, cause_event_id, region, municipality, recipient,"
        " template, channel, language, reference, answer_due, due_since, traceparent, tracestate)"
        " VALUES ($1, $2, $2, $3, $4, $5, $6, 'email', $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (notification_id) DO NOTHING",
        notification_id(feedback.feedback_id, RECIPIENT, TEMPLATE), feedback.feedback_id, feedback.region,
        feedback.municipality, RECIPIENT, TEMPLATE, feedback.language, feedback.reference, feedback.answer_due,
        feedback.received_at, *record_trace())
