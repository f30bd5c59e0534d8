"""What every event shares: the envelope, and the vocabulary its payloads use (shared/events.py has the types)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Language = Literal["fi", "sv", "en"]
RequesterRole = Literal["parent", "child", "relative", "professional"]
Topic = Literal[
    "finding_services", "family_change", "parent_coping", "child_emotions", "child_mental_wellbeing", "other"
]
AgeGroup = Literal["0-2", "3-6", "7-12", "13-17"]
ContactMethod = Literal["phone", "sms", "email", "anonymous"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class EventBase(Frozen):
    """The envelope every event shares."""

    event_id: uuid.UUID
    type: str
    schema_version: int
    case_id: uuid.UUID
    region: str
    municipality: str
    occurred_at: AwareDatetime
    actor: str = Field(description="'family', a staff id, or a system component such as 'intake'")
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
