"""The event envelope and the event types on a region's stream.

Every event is a frozen pydantic model with a stable wire name in ``type`` (never a class
name) and a ``schema_version``. Producers build them from typed fields; consumers read them
tolerantly (unknown fields are ignored), so services can be deployed one at a time. A
published version is never edited: a new version gets an upcaster in :mod:`shared.codec`.
Personal data (the family's words, contact details) is only ever carried sealed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.sealing import Sealed

Language = Literal["fi", "sv", "en"]
RequesterRole = Literal["parent", "child", "relative", "professional"]
Topic = Literal[
    "finding_services", "family_change", "parent_coping", "child_emotions", "child_mental_wellbeing", "other"
]
AgeGroup = Literal["0-2", "3-6", "7-12", "13-17"]
ContactMethod = Literal["phone", "sms", "email", "anonymous"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class EventBase(_Frozen):
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


class RequestSubmittedPayload(_Frozen):
    submission_id: uuid.UUID
    reference: str
    language: Language
    requester_role: RequesterRole
    topic: Topic | None = None
    child_age_group: AgeGroup | None = None
    contact_method: ContactMethod
    answer_due: date = Field(description="last business day (Europe/Helsinki) by which the family is answered")
    deadline_business_days: int
    personal: Sealed = Field(description="the family's message and contact details, sealed with the case key")


class RequestSubmitted(EventBase):
    """A family pressed send and intake stored the request: the case exists from here on."""

    type: Literal["request.submitted"] = "request.submitted"
    schema_version: Literal[1] = 1
    payload: RequestSubmittedPayload


class FamilyMessageAddedPayload(_Frozen):
    message_id: uuid.UUID = Field(description="made by the client; a retried send carries the same id")
    message: Sealed


class FamilyMessageAdded(EventBase):
    """The family wrote more to the same case (from the status page)."""

    type: Literal["family.message_added"] = "family.message_added"
    schema_version: Literal[1] = 1
    payload: FamilyMessageAddedPayload


class ReplySentPayload(_Frozen):
    reply_id: uuid.UUID
    text: Sealed = Field(description="the written reply, sealed with the case key")


class ReplySent(EventBase):
    """Staff answered in writing; the family reads it on the status page."""

    type: Literal["reply.sent"] = "reply.sent"
    schema_version: Literal[1] = 1
    payload: ReplySentPayload


Outcome = Literal["guidance_enough", "referred", "same_worker_continues", "not_reached", "not_a_request"]


class CaseClosedPayload(_Frozen):
    outcome: Outcome
    referred_to: str | None = Field(default=None, description="service id from the region's directory")


class CaseClosed(EventBase):
    type: Literal["case.closed"] = "case.closed"
    schema_version: Literal[1] = 1
    payload: CaseClosedPayload


class FeedbackGivenPayload(_Frozen):
    score: int = Field(ge=1, le=5, description="how much did this help, 1 (not at all) to 5 (very much)")
    comment: Sealed | None = None


class FeedbackGiven(EventBase):
    """The family answered the one optional question after the case was closed."""

    type: Literal["feedback.given"] = "feedback.given"
    schema_version: Literal[1] = 1
    payload: FeedbackGivenPayload


Event = Annotated[
    RequestSubmitted | FamilyMessageAdded | ReplySent | CaseClosed | FeedbackGiven,
    Field(discriminator="type"),
]
EVENT_TYPES: dict[str, type[EventBase]] = {
    cls.model_fields["type"].default: cls
    for cls in (RequestSubmitted, FamilyMessageAdded, ReplySent, CaseClosed, FeedbackGiven)
}
CURRENT_VERSIONS: dict[str, int] = {name: cls.model_fields["schema_version"].default
                                    for name, cls in EVENT_TYPES.items()}

E = TypeVar("E", bound=EventBase)


def new_event(
    cls: type[E],
    *,
    case_id: uuid.UUID,
    region: str,
    municipality: str,
    actor: str,
    payload: BaseModel,
    correlation_id: uuid.UUID | None = None,
    causation: EventBase | None = None,
    occurred_at: datetime | None = None,
) -> E:
    """Build an event with a fresh id; a caused event inherits its cause's correlation id."""
    event_id = uuid.uuid4()
    if correlation_id is None:
        correlation_id = causation.correlation_id if causation is not None else event_id
    return cls.model_validate({
        "event_id": event_id,
        "case_id": case_id,
        "region": region,
        "municipality": municipality,
        "occurred_at": occurred_at or datetime.now(UTC),
        "actor": actor,
        "correlation_id": correlation_id,
        "causation_id": causation.event_id if causation is not None else None,
        "payload": payload,
    })
