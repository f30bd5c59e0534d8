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

    @property
    def subject_key(self) -> str:
        """What the record is keyed by on its topic (the outbox's partitioning): a case event's case."""
        return str(self.case_id)


# What a network event is about: one agent, a recruitment campaign, a task, a survey or a news item.
SubjectKind = Literal["agent", "campaign", "task", "survey", "news", "answer"]


class NetworkEventBase(Frozen):
    """The envelope of the change agents' network (``<prefix>.<region>.network``): like a case event's, but keyed
    by its subject, since nothing there belongs to a case (and nothing may join the network to one).

    A separate class rather than an optional ``case_id`` on :class:`EventBase`: case events keep their fields and
    their order, so they stay the same on the wire, and no case consumer has to ask whether a case is there.
    """

    event_id: uuid.UUID
    type: str
    schema_version: int
    subject_kind: SubjectKind
    subject_id: uuid.UUID
    region: str
    occurred_at: AwareDatetime
    actor: str = Field(description="'network', 'agent', or a staff id of a network coordinator")
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None

    @property
    def subject_key(self) -> str:
        return str(self.subject_id)


# Anything the outbox publishes as an event.
Envelope = EventBase | NetworkEventBase
