"""Accessibility feedback for the region's admins: the list with each answer date, one feedback opened (and
logged), the answer recorded; and its end, answered feedback erased once the region's retention has passed.

The records come from the region's compacted feedback topic (``on_feedback_record`` keeps them as the
``accessibility_feedback`` table); what is sealed opens with the feedback's own key from the key topic.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

import structlog
from pydantic import ValidationError

from services.routing.accounts import Account
from services.routing.audit import record_access
from shared.applier import PoisonRecord, RecordLike
from shared.db import Conn
from shared.errors import Conflict, InvalidCommand, NotFound
from shared.feedback import FeedbackRecord, answered, open_answer, open_content
from shared.keys import data_key
from shared.outbox import enqueue
from shared.regions import Region
from shared.sealing import Keyring
from shared.topics import feedback_topic, keys_topic

log = structlog.get_logger(__name__)
Status = Literal["open", "at_risk", "overdue", "answered"]
AT_RISK_DAYS = 3
COLUMNS = ("feedback_id", "region", "reference", "municipality", "language", "received_at", "answer_due",
           "answered_at", "record")
UPSERT = (f"INSERT INTO accessibility_feedback ({', '.join(COLUMNS)}) VALUES"
          f" ({', '.join(f'${i}' for i in range(1, len(COLUMNS) + 1))}) ON CONFLICT (feedback_id) DO UPDATE SET"
          f" {', '.join(f'{c} = EXCLUDED.{c}' for c in COLUMNS[1:])}")


async def on_feedback_record(conn: Conn, record: RecordLike) -> None:
    """The feedback topic as a table: a record upserts its feedback, a tombstone removes it."""
    if record.key is None:
        raise PoisonRecord("a feedback without a key")
    if record.value is None:
        await conn.execute("DELETE FROM accessibility_feedback WHERE feedback_id::text = $1", record.key.decode())
        return
    try:
        feedback = FeedbackRecord.model_validate_json(record.value)
    except ValidationError as exc:
        raise PoisonRecord(f"not a feedback: {exc.error_count()} problem(s)") from exc
    await conn.execute(UPSERT, feedback.feedback_id, feedback.region, feedback.reference, feedback.municipality,
                       feedback.language, feedback.received_at, feedback.answer_due, feedback.answered_at,
                       feedback.model_dump_json())


def status_of(answer_due: date, answered_at: datetime | None, today: date) -> Status:
    if answered_at is not None:
        return "answered"
    if today > answer_due:
        return "overdue"
    return "at_risk" if (answer_due - today).days <= AT_RISK_DAYS else "open"


@dataclass(frozen=True)
class FeedbackItem:
    feedback_id: uuid.UUID
    reference: str
    municipality: str
    received_at: datetime
    answer_due: date
    answered_at: datetime | None
    status: Status


@dataclass(frozen=True)
class FeedbackView:
    item: FeedbackItem
    language: str
    text: str | None  # None: erased
    contact: str | None
    answer: str | None
    answered_by: str | None


async def list_feedback(conn: Conn, region: str, today: date) -> list[FeedbackItem]:
    """Unanswered first, by their answer date; then the answered, newest first."""
    rows = await conn.fetch("SELECT feedback_id, reference, municipality, received_at, answer_due, answered_at"
                            " FROM accessibility_feedback WHERE region = $1"
                            " ORDER BY answered_at IS NOT NULL, answer_due, answered_at DESC", region)
    return [FeedbackItem(**dict(r), status=status_of(r["answer_due"], r["answered_at"], today)) for r in rows]


async def _record_of(conn: Conn, feedback_id: uuid.UUID, region: str) -> FeedbackRecord:
    raw = await conn.fetchval("SELECT record FROM accessibility_feedback WHERE feedback_id = $1 AND region = $2",
                              feedback_id, region)
    if raw is None:
        raise NotFound("no such feedback")
    return FeedbackRecord.model_validate_json(raw)


async def open_feedback(conn: Conn, *, admin: Account, feedback_id: uuid.UUID, keyring: Keyring, topic_prefix: str,
                        today: date) -> FeedbackView:
    """The feedback with its text and contact opened for an admin of its region; the look is in the access log."""
    record = await _record_of(conn, feedback_id, admin.region)
    key = await data_key(conn, feedback_id, keyring)
    async with conn.transaction():
        await record_access(conn, account=admin, case_id=feedback_id, region=admin.region, action="feedback_view",
                            topic_prefix=topic_prefix)
    text, contact = open_content(record, key) if key is not None else (None, None)
    item = FeedbackItem(feedback_id=record.feedback_id, reference=record.reference, municipality=record.municipality,
                        received_at=record.received_at, answer_due=record.answer_due, answered_at=record.answered_at,
                        status=status_of(record.answer_due, record.answered_at, today))
    return FeedbackView(item=item, language=record.language, text=text, contact=contact,
                        answer=open_answer(record, key) if key is not None else None, answered_by=record.answered_by)


async def answer_feedback(conn: Conn, *, admin: Account, feedback_id: uuid.UUID, note: str, keyring: Keyring,
                          topic_prefix: str, now: datetime | None = None) -> None:
    """Record that the feedback was answered, with a note of what was answered (sealed like the feedback)."""
    now = now or datetime.now(UTC)
    if not note.strip():
        raise InvalidCommand("write what was answered", field="note")
    record = await _record_of(conn, feedback_id, admin.region)
    if record.answered_at is not None:
        raise Conflict("the feedback was answered already")
    key = await data_key(conn, feedback_id, keyring)
    if key is None:
        raise NotFound("the feedback is erased")
    done = answered(record, at=now, by=admin.id, note=note[:4000], data_key=key)
    async with conn.transaction():
        await enqueue(conn, feedback_topic(topic_prefix, admin.region), str(feedback_id).encode(),
                      done.model_dump_json().encode(), [("type", "accessibility.feedback")])
        # Routing's own table at once (the record coming back from the topic writes the same).
        await conn.execute(UPSERT, done.feedback_id, done.region, done.reference, done.municipality, done.language,
                           done.received_at, done.answer_due, done.answered_at, done.model_dump_json())
    log.info("accessibility.feedback_answered", feedback_id=str(feedback_id), account_id=admin.id)


async def erase_answered(conn: Conn, region: Region, *, topic_prefix: str, now: datetime) -> int:
    """Answered feedback past the region's retention (``retention.days`` after the answer): its key and its record
    get their tombstones, and routing's row goes."""
    if region.retention is None:
        return 0
    cutoff = now - timedelta(days=region.retention.days)
    ids = [r["feedback_id"] for r in await conn.fetch(
        "SELECT feedback_id FROM accessibility_feedback WHERE region = $1 AND answered_at < $2", region.id, cutoff)]
    for feedback_id in ids:
        async with conn.transaction():
            await enqueue(conn, keys_topic(topic_prefix, region.id), str(feedback_id).encode(), None,
                          [("type", "case.key")])
            await enqueue(conn, feedback_topic(topic_prefix, region.id), str(feedback_id).encode(), None,
                          [("type", "accessibility.feedback")])
            await conn.execute("DELETE FROM accessibility_feedback WHERE feedback_id = $1", feedback_id)
            await conn.execute("DELETE FROM case_keys WHERE case_id = $1", feedback_id)
    if ids:
        log.info("accessibility.feedback_erased", count=len(ids), region=region.id)
    return len(ids)
