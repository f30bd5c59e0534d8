"""A contact that did not start at the button: what staff record, and the request it becomes.

A family may phone the team, come in person or write a letter. Staff record the contact as a new case on
the region's stream (``request.recorded``): the family's words and contact details sealed with a new case
key as intake seals a submitted request, the same promised day (the region's business days, counted from
when the contact came), the same queue and case page, and a reference the worker can tell the family.

Decisions, each with its reason:

* A family answered in the call or visit itself is recorded as answered at that moment (no deadline alert, and
  the statistics count it answered in time), and the case stays open in the queue: how it ended (guidance,
  a referral to which service, the same worker continuing) and a child-welfare concern are decided with the
  case page's own actions and rules, so there is one way of closing a case, not a second copy of it here.
* No pick-up code is made, so intake's status page does not open such a case: the family did not write,
  has no code to keep, and a code read out over the phone would be a secret spoken aloud. They are told the
  reference (and may get it in a receipt); a written reply, which only the status page shows, is refused for
  these cases (decisions.py), and staff answer as agreed in the contact.
* A professional who records a contact gets the case assigned to them, since a professional sees only their
  own and their team's cases; a coordinator's recording waits in the queue like any new request.

Pure: no I/O, no clock (``now`` comes in).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.blind_index import normalise_email, normalise_phone
from shared.businessdays import answer_due
from shared.contact_details import check_details_fit_method
from shared.errors import InvalidCommand
from shared.events import (
    AgeGroup,
    CaseAssigned,
    CaseAssignedPayload,
    Channel,
    ContactMethod,
    EventBase,
    Language,
    RequesterRole,
    RequestRecorded,
    RequestRecordedPayload,
    Topic,
)
from shared.phones import PhoneRefused, check_phone, purpose_of
from shared.regions import Region
from shared.sealing import Sealed

MAX_MESSAGE = 4000
# A letter may be opened days after it came; older than this is a mistyped date, not a contact to record now.
OLDEST_CONTACT = timedelta(days=31)
# The recording client's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)


def _written(value: str) -> str:
    if not value.strip():
        raise ValueError("the family's words are empty")
    return value


def _phone(value: str | None) -> str | None:
    if value is not None and normalise_phone(value) is None:
        raise ValueError("not a phone number")
    return value


def _email(value: str | None) -> str | None:
    if value is not None and normalise_email(value) is None:
        raise ValueError("not an e-mail address")
    return value


Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class RecordedContactDetails(BaseModel):
    """How the family wants to be answered, as in the form's request: anonymous carries no details."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: ContactMethod
    name: Short | None = None
    phone: Annotated[Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None,
                     AfterValidator(_phone)] = None
    email: Annotated[Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None,
                     AfterValidator(_email)] = None

    @model_validator(mode="after")
    def _details_fit_method(self) -> RecordedContactDetails:
        check_details_fit_method(self.method, name=self.name, phone=self.phone, email=self.email, what="contact")
        return self


class RecordContact(BaseModel):
    """A contact to record, from the API's body or the staff form alike."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    recording_id: uuid.UUID = Field(description="made by the client; a retried recording returns the same case")
    channel: Channel
    contacted_at: AwareDatetime | None = Field(default=None, description="when the contact came; now by default")
    municipality: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="the family's municipality, of the recorder's region")
    language: Language = "fi"
    requester_role: RequesterRole
    topic: Topic | None = None
    child_age_group: AgeGroup | None = None
    message: Annotated[str, StringConstraints(min_length=1, max_length=MAX_MESSAGE), AfterValidator(_written)] = (
        Field(description="the family's matter in their words, as the worker wrote it down; sealed"))
    contact: RecordedContactDetails
    answered_in_contact: bool = Field(default=False, description="the family was answered in the contact itself")
    receipt: bool = Field(default=False, description="send the family a receipt by text message or e-mail")

    @field_validator("receipt")
    @classmethod
    def _receipt_needs_an_address(cls, value: bool, info: ValidationInfo) -> bool:
        # The contact is judged on its own; a receipt only against a valid one.
        contact = info.data.get("contact")
        if value and isinstance(contact, RecordedContactDetails) and contact.method == "anonymous":
            raise ValueError("a receipt needs the family's phone number or e-mail address")
        return value


class ContactTimeRefused(InvalidCommand):
    """The contact's time is in the future or too long ago to be this contact."""


def contact_time(command: RecordContact, now: datetime) -> datetime:
    """When the contact came: as recorded, or ``now``; refused when ahead of now or over a month old."""
    at = command.contacted_at or now
    if at > now + CLOCK_SKEW:
        raise ContactTimeRefused("the contact's time is in the future", field="contacted_at")
    if at < now - OLDEST_CONTACT:
        raise ContactTimeRefused("the contact's time is over a month ago", field="contacted_at")
    return at


def promised_day(region: Region, contacted_at: datetime) -> date:
    """The day the family is answered by: the region's business days from the contact, as for the button."""
    return answer_due(contacted_at, region.deadline.business_days)


Opening = list[tuple[type[EventBase], BaseModel]]


def recorded_events(command: RecordContact, *, region: Region, municipality: str, reference: str,
                    recorded_by: str, recorder_team: str | None, personal: Sealed, now: datetime) -> Opening:
    """The events that open the case: the recorded request, and for a professional its assignment to them."""
    at = contact_time(command, now)
    payload = RequestRecordedPayload(
        submission_id=command.recording_id, reference=reference, language=command.language,
        requester_role=command.requester_role, topic=command.topic, child_age_group=command.child_age_group,
        contact_method=command.contact.method, answer_due=promised_day(region, at),
        deadline_business_days=region.deadline.business_days, personal=personal, channel=command.channel,
        recorded_by=recorded_by, contacted_at=at, answered_in_contact=command.answered_in_contact,
        receipt=command.receipt)
    events: Opening = [(RequestRecorded, payload)]
    if recorder_team is not None:
        events.append((CaseAssigned, CaseAssignedPayload(assignee_kind="professional", assignee_id=recorded_by,
                                                         team_id=recorder_team)))
    return events


def sealed_contents(command: RecordContact, region: Region) -> dict[str, object]:
    """What is sealed, in the shape intake seals a submitted request: the words and the contact details, the
    number in E.164 by the region's rule for numbers (shared/phones.py), as the family's form would keep it."""
    contact = command.contact.model_dump(exclude_none=True)
    if command.contact.phone:
        try:
            contact["phone"] = check_phone(command.contact.phone, purpose=purpose_of(command.contact.method),
                                           countries=region.contact.countries)
        except PhoneRefused as exc:
            raise InvalidCommand(f"the region does not use this number: {exc.problem}", field="contact.phone",
                                 problem=exc.problem) from None
    return {"message": command.message, "contact": contact}
