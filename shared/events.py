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

from pydantic import AwareDatetime, BaseModel, Field

from shared.event_base import AgeGroup as AgeGroup
from shared.event_base import ContactMethod as ContactMethod
from shared.event_base import EventBase as EventBase
from shared.event_base import Frozen
from shared.event_base import Language as Language
from shared.event_base import RequesterRole as RequesterRole
from shared.event_base import Topic as Topic
from shared.events_calls import CallbackCancelled as CallbackCancelled
from shared.events_calls import CallbackCancelledPayload as CallbackCancelledPayload
from shared.events_calls import CallbackScheduled as CallbackScheduled
from shared.events_calls import CallbackScheduledPayload as CallbackScheduledPayload
from shared.events_calls import NotReachedNotice as NotReachedNotice
from shared.events_calls import NotReachedNoticePayload as NotReachedNoticePayload
from shared.events_links import CaseLinked as CaseLinked
from shared.events_links import CaseLinkedPayload as CaseLinkedPayload
from shared.events_links import CaseUnlinked as CaseUnlinked
from shared.events_referrals import ReferralAccepted as ReferralAccepted
from shared.events_referrals import ReferralCompleted as ReferralCompleted
from shared.events_referrals import ReferralDeclined as ReferralDeclined
from shared.events_referrals import ReferralOverdue as ReferralOverdue
from shared.events_referrals import ReferralSent as ReferralSent
from shared.sealing import Sealed


class RequestSubmittedPayload(Frozen):
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


Channel = Literal["phone", "in_person", "letter"]


class RequestRecordedPayload(RequestSubmittedPayload):
    """A request as staff wrote it down; ``submission_id`` is the recording's own, made by the recording client."""

    channel: Channel = Field(description="how the family got in touch: by phone, in person or by letter")
    recorded_by: str = Field(description="the staff account id who recorded it")
    contacted_at: AwareDatetime = Field(description="when the contact came; the promised day counts from it")
    answered_in_contact: bool = Field(description="the family was already answered in the call or the visit")
    receipt: bool = Field(description="the worker chose to send the family a receipt (text message or e-mail)")


class RequestRecorded(EventBase):
    """A contact that came by phone, in person or by letter, recorded by staff: a case like a submitted one."""

    type: Literal["request.recorded"] = "request.recorded"
    schema_version: Literal[1] = 1
    payload: RequestRecordedPayload


class FamilyMessageAddedPayload(Frozen):
    message_id: uuid.UUID = Field(description="made by the client; a retried send carries the same id")
    message: Sealed


class FamilyMessageAdded(EventBase):
    """The family wrote more to the same case (from the status page)."""

    type: Literal["family.message_added"] = "family.message_added"
    schema_version: Literal[1] = 1
    payload: FamilyMessageAddedPayload


class ReplySentPayload(Frozen):
    reply_id: uuid.UUID
    text: Sealed = Field(description="the written reply, sealed with the case key")


class ReplySent(EventBase):
    """Staff answered in writing; the family reads it on the status page."""

    type: Literal["reply.sent"] = "reply.sent"
    schema_version: Literal[1] = 1
    payload: ReplySentPayload


Outcome = Literal["guidance_enough", "referred", "same_worker_continues", "not_reached", "not_a_request"]
# Or "duplicate" (case.closed v2), which only linking a case to the one kept gives: counted apart, as merged.
CaseOutcome = Literal["guidance_enough", "referred", "same_worker_continues", "not_reached", "not_a_request",
                      "duplicate"]


class CaseClosedPayload(Frozen):
    outcome: CaseOutcome = Field(description="v2 added 'duplicate'; v1 records read unchanged")
    referred_to: str | None = Field(default=None, description="service id from the region's directory")


class CaseClosed(EventBase):
    type: Literal["case.closed"] = "case.closed"
    schema_version: Literal[2] = 2
    payload: CaseClosedPayload


class FeedbackGivenPayload(Frozen):
    score: int = Field(ge=1, le=5, description="how much did this help, 1 (not at all) to 5 (very much)")
    comment: Sealed | None = None


class FeedbackGiven(EventBase):
    """The family answered the one optional question after the case was closed."""

    type: Literal["feedback.given"] = "feedback.given"
    schema_version: Literal[1] = 1
    payload: FeedbackGivenPayload


Urgency = Literal["normal", "urgent"]
AssigneeKind = Literal["professional", "team"]


class CaseTriagedPayload(Frozen):
    topic: Topic | None
    urgency: Urgency
    child_welfare_concern: bool


class CaseTriaged(EventBase):
    type: Literal["case.triaged"] = "case.triaged"
    schema_version: Literal[1] = 1
    payload: CaseTriagedPayload


class CaseAssignedPayload(Frozen):
    assignee_kind: AssigneeKind
    assignee_id: str = Field(description="a staff account id or a team id of the region")
    team_id: str | None = Field(default=None, description="the team that now owns the case")


class CaseAssigned(EventBase):
    type: Literal["case.assigned"] = "case.assigned"
    schema_version: Literal[1] = 1
    payload: CaseAssignedPayload


class CaseHandedOffPayload(CaseAssignedPayload):
    note: Sealed = Field(description="what the next person needs to know, sealed with the case key")


class CaseHandedOff(EventBase):
    """The case moved on with its history and a note: the family never explains twice."""

    type: Literal["case.handed_off"] = "case.handed_off"
    schema_version: Literal[1] = 1
    payload: CaseHandedOffPayload


class CaseReferredPayload(Frozen):
    service_id: str = Field(description="a service of the region's directory")
    service_kind: Literal["municipal", "county", "third_sector"]


class CaseReferred(EventBase):
    type: Literal["case.referred"] = "case.referred"
    schema_version: Literal[1] = 1
    payload: CaseReferredPayload


class ContactAttemptedPayload(Frozen):
    channel: Literal["phone", "sms", "email"]
    result: Literal["reached", "no_answer", "message_left"]


class ContactAttempted(EventBase):
    type: Literal["contact.attempted"] = "contact.attempted"
    schema_version: Literal[1] = 1
    payload: ContactAttemptedPayload


class InternalNoteAddedPayload(Frozen):
    note: Sealed


class InternalNoteAdded(EventBase):
    type: Literal["note.added"] = "note.added"
    schema_version: Literal[1] = 1
    payload: InternalNoteAddedPayload


class CaseReopenedPayload(Frozen):
    pass


class CaseReopened(EventBase):
    type: Literal["case.reopened"] = "case.reopened"
    schema_version: Literal[1] = 1
    payload: CaseReopenedPayload


class ChildWelfareNotifiedPayload(Frozen):
    how: Literal["notification_made", "contacted_together"] = Field(
        description="a child welfare notification (25 §), or contacting child welfare together with the family "
                    "(25 a §)")


class ChildWelfareNotified(EventBase):
    type: Literal["child_welfare.notified"] = "child_welfare.notified"
    schema_version: Literal[1] = 1
    payload: ChildWelfareNotifiedPayload


class ChildWelfareDuePayload(Frozen):
    flagged_at: AwareDatetime = Field(description="when triage flagged the child-welfare concern")
    due_at: AwareDatetime = Field(description="by when the region's rule expected the notification")


class ChildWelfareNotificationDue(EventBase):
    """Triage flagged a child-welfare concern and no notification was recorded by the region's limit: the
    coordinators and the case's worker are warned, once per case."""

    type: Literal["child_welfare.notification_due"] = "child_welfare.notification_due"
    schema_version: Literal[1] = 1
    payload: ChildWelfareDuePayload


class DeadlinePayload(Frozen):
    """Version 1: the first request's promised day only."""

    answer_due: date
    due_at: AwareDatetime


class FollowUpDeadlinePayload(DeadlinePayload):
    """Version 2: which promise the alert is about; version 1 records are upcast to follow-up 0."""

    followup: int = Field(ge=0, description="0 for the first request, n for the family's n-th follow-up")


class DeadlineWarning(EventBase):
    """A promise to the family is unanswered and its day is near (the region's warning time)."""

    type: Literal["deadline.warning"] = "deadline.warning"
    schema_version: Literal[2] = 2
    payload: FollowUpDeadlinePayload


class DeadlineMissed(EventBase):
    """A promise to the family passed unanswered: the first request's day, or a follow-up's."""

    type: Literal["deadline.missed"] = "deadline.missed"
    schema_version: Literal[2] = 2
    payload: FollowUpDeadlinePayload


ErasureReason = Literal["family_request", "retention", "entered_by_mistake", "legal_obligation"]


class PersonalDataErasedPayload(Frozen):
    reason: ErasureReason = Field(description="why: a category, never free text that could hold personal data")


class PersonalDataErased(EventBase):
    """The case's key is deleted: its sealed fields are unreadable wherever the stream reaches, and
    every projection scrubs its copies. The facts without personal data (statistics) stay."""

    type: Literal["personal_data.erased"] = "personal_data.erased"
    schema_version: Literal[1] = 1
    payload: PersonalDataErasedPayload


class NotificationPayload(Frozen):
    notification_id: uuid.UUID = Field(description="derived from the causing event, the recipient and the template")
    cause_event_id: uuid.UUID
    channel: Literal["email", "sms"]
    recipient: str = Field(description="'family', 'staff:<id>', 'team:<id>' or 'coordinators': never an address")
    template: str
    attempts: int


class NotificationSent(EventBase):
    type: Literal["notification.sent"] = "notification.sent"
    schema_version: Literal[1] = 1
    payload: NotificationPayload


class NotificationFailedPayload(NotificationPayload):
    reason: str = Field(description="why the last attempt failed, without any address or text")


class NotificationFailed(EventBase):
    """Every attempt failed; routing shows it on the case and the coordinators are told."""

    type: Literal["notification.failed"] = "notification.failed"
    schema_version: Literal[1] = 1
    payload: NotificationFailedPayload


ALL_EVENTS: tuple[type[EventBase], ...] = (
    RequestSubmitted, FamilyMessageAdded, ReplySent, CaseClosed, FeedbackGiven, CaseTriaged, CaseAssigned,
    CaseHandedOff, CaseReferred, ContactAttempted, InternalNoteAdded, CaseReopened, ChildWelfareNotified,
    DeadlineWarning, DeadlineMissed, NotificationSent, NotificationFailed, PersonalDataErased, CallbackScheduled,
    CallbackCancelled, NotReachedNotice, ChildWelfareNotificationDue, RequestRecorded, CaseLinked, CaseUnlinked,
    ReferralSent, ReferralAccepted, ReferralDeclined, ReferralCompleted, ReferralOverdue,
)
Event = Annotated[
    RequestSubmitted | FamilyMessageAdded | ReplySent | CaseClosed | FeedbackGiven | CaseTriaged | CaseAssigned
    | CaseHandedOff | CaseReferred | ContactAttempted | InternalNoteAdded | CaseReopened | ChildWelfareNotified
    | DeadlineWarning | DeadlineMissed | NotificationSent | NotificationFailed | PersonalDataErased
    | CallbackScheduled | CallbackCancelled | NotReachedNotice | ChildWelfareNotificationDue | RequestRecorded
    | CaseLinked | CaseUnlinked | ReferralSent | ReferralAccepted | ReferralDeclined | ReferralCompleted
    | ReferralOverdue,
    Field(discriminator="type"),
]
EVENT_TYPES: dict[str, type[EventBase]] = {cls.model_fields["type"].default: cls for cls in ALL_EVENTS}
CURRENT_VERSIONS: dict[str, int] = {name: cls.model_fields["schema_version"].default
                                    for name, cls in EVENT_TYPES.items()}

# The events that open a case: the family's own request, or one staff recorded for them.
CaseOpened = RequestSubmitted | RequestRecorded
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
