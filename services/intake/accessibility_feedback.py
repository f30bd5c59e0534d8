"""Accessibility feedback as a record of its region: sealed, on the region's feedback topic, erasable.

The text and the sender's contact are sealed with a data key of the feedback's own, wrapped with the region's KEK
and put on the key topic like a case's, so erasing it (routing's retention) is one tombstone there. Nothing of it
stays in intake's tables: the outbox carries both records out and the relay deletes them once sent.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog

from services.intake.settings import IntakeSettings
from shared.feedback import new_feedback
from shared.outbox import enqueue
from shared.regions import Municipality, Region
from shared.sealing import new_data_key
from shared.topics import feedback_topic, keys_topic

if TYPE_CHECKING:  # the type only: the use cases do not depend on the web framework that shared.app serves
    from shared.app import UnitOfWork

log = structlog.get_logger(__name__)


async def record_feedback(*, uow: UnitOfWork, region: Region, municipality: Municipality, language: str, text: str,
                          contact: str | None, reference: str, settings: IntakeSettings,
                          received_at: datetime | None = None) -> uuid.UUID:
    """Queue the feedback and its key for the region's streams; returns its id."""
    feedback_id = uuid.uuid4()
    data_key = new_data_key()
    wrapped = settings.keyring.wrap(feedback_id, region.id, data_key)
    record = new_feedback(feedback_id=feedback_id, reference=reference, region=region.id,
                          municipality=municipality.id, language=language, received_at=received_at or datetime.now(UTC),
                          text=text, contact=contact, data_key=data_key)
    async with uow.transaction() as conn:
        # The key first: a reader that sees the feedback can then open it.
        await enqueue(conn, keys_topic(settings.topic_prefix, region.id), str(feedback_id).encode(),
                      wrapped.model_dump_json().encode(), [("type", "case.key")])
        await enqueue(conn, feedback_topic(settings.topic_prefix, region.id), str(feedback_id).encode(),
                      record.model_dump_json().encode(), [("type", "accessibility.feedback")])
    log.info("accessibility.feedback_received", feedback_id=str(feedback_id), region=region.id)
    return feedback_id
