"""Accessibility feedback as a record of its region (Act 306/2019: answered within 14 days).

Intake writes it on the region's compacted ``feedback`` topic, keyed by its id: the text and the sender's contact
sealed with a data key of its own, which goes on the key topic like a case's. Routing lists it for the region's
admins and records the answer (the record again, answered); notify mails the region's accessibility contact. An
erasure (routing's retention job, the answer's retention having passed) is the key topic's tombstone, as for a
case, and a tombstone of the record.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict

from shared.businessdays import HELSINKI
from shared.places import FEEDBACK_ANSWER, FEEDBACK_CONTENT
from shared.sealing import Sealed, seal, unseal

ANSWER_DAYS = 14


class FeedbackRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    feedback_id: uuid.UUID
    reference: str
    region: str
    municipality: str
    language: str
    received_at: datetime
    answer_due: date
    content: Sealed  # {"text": …, "contact": … or None}
    answered_at: datetime | None = None
    answered_by: str | None = None
    answer: Sealed | None = None


def answer_due(received_at: datetime) -> date:
    """Fourteen calendar days after the day it arrived (the Act counts days, not business days)."""
    return received_at.astimezone(HELSINKI).date() + timedelta(days=ANSWER_DAYS)


def new_feedback(*, feedback_id: uuid.UUID, reference: str, region: str, municipality: str, language: str,
                 received_at: datetime, text: str, contact: str | None, data_key: bytes) -> FeedbackRecord:
    return FeedbackRecord(feedback_id=feedback_id, reference=reference, region=region, municipality=municipality,
                          language=language, received_at=received_at, answer_due=answer_due(received_at),
                          content=seal(data_key, feedback_id, {"text": text, "contact": contact}, FEEDBACK_CONTENT))


def answered(record: FeedbackRecord, *, at: datetime, by: str, note: str, data_key: bytes) -> FeedbackRecord:
    return record.model_copy(update={"answered_at": at, "answered_by": by,
                                     "answer": seal(data_key, record.feedback_id, note, FEEDBACK_ANSWER)})


def open_content(record: FeedbackRecord, data_key: bytes) -> tuple[str, str | None]:
    value = unseal(data_key, record.feedback_id, record.content, FEEDBACK_CONTENT)
    if not isinstance(value, dict):
        return "", None
    contact = value.get("contact")
    return str(value.get("text", "")), str(contact) if contact else None


def open_answer(record: FeedbackRecord, data_key: bytes) -> str | None:
    if record.answer is None:
        return None
    value = unseal(data_key, record.feedback_id, record.answer, FEEDBACK_ANSWER)
    return value if isinstance(value, str) else None
