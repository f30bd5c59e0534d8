"""What a family sends and what intake answers, one model per message whether it comes as JSON or as a form."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.callbacks import WEEKDAYS, CallWindow, window_values
from shared.contact_details import check_details_fit_method
from shared.events import AgeGroup, CaseOutcome, ContactMethod, Language, RequesterRole, Topic
from shared.phones import check_phone, purpose_of
from shared.references import normalise_reference
from shared.text import multi_line, single_line

MAX_MESSAGE = 4000
MAX_COMMENT = 1000
MessageText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_MESSAGE), AfterValidator(multi_line)]
# One line the family types (a name, a note on when to call): no control or direction characters.
Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(single_line)]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("the message is empty")
    return value


# A message with something written in it: spaces and line breaks alone are not one.
WrittenMessage = Annotated[MessageText, AfterValidator(_not_blank)]
PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ()-]{5,24}$")


def _phone_characters(value: str) -> str:
    # Only the characters here; whether the region texts or calls the number is intake's service's rule
    # (shared/phones.py), since it depends on the region's countries.
    if not PHONE_CHARACTERS.match(value) or not any(c.isdigit() for c in value):
        raise ValueError("write a phone number in digits, such as +358 40 123 4567")
    return value


Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), AfterValidator(_phone_characters)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254,
                                         pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$"), AfterValidator(single_line)]
# Five weekdays of three bands: more than that is not a family's choice but a client's mistake.
MAX_CALL_WINDOWS = 15


def _call_windows(values: list[str] | None) -> list[str] | None:
    """Each window as the form writes it ('tue-16-18'), once, in the week's order; none chosen is None."""
    windows: set[CallWindow] = set()
    for value in values or []:
        try:
            windows.add(CallWindow.parse(value))
        except ValueError:
            raise ValueError(f"'{value[:20]}' is not a call window such as 'tue-16-18'") from None
    if len(windows) > MAX_CALL_WINDOWS:
        raise ValueError(f"at most {MAX_CALL_WINDOWS} call windows")
    ordered = sorted(windows, key=lambda w: (WEEKDAYS.index(w.weekday), w.start, w.end))
    return [w.value for w in ordered] or None


CallWindows = Annotated[list[Annotated[str, StringConstraints(max_length=20)]] | None,
                        AfterValidator(_call_windows)]


def windows_outside(windows: Sequence[str] | None, bands: Sequence[tuple[int, int]]) -> list[str]:
    """The windows among ``windows`` that the region's ``bands`` do not offer (a form offers only those)."""
    offered = set(window_values(list(bands)))
    return [w for w in windows or [] if w not in offered]


def contact_phone(contact: Contact, countries: Sequence[str]) -> str | None:
    """The contact's number in E.164 if the region may use it for what the family chose (a text message needs a
    mobile); None without a number; :class:`shared.phones.PhoneRefused` saying why otherwise."""
    if contact.phone is None:
        return None
    return check_phone(contact.phone, purpose=purpose_of(contact.method), countries=countries)


class Contact(BaseModel):
    """How the family wants to be answered; ``anonymous`` carries no contact details at all."""

    model_config = ConfigDict(extra="forbid")

    method: ContactMethod
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100),
                    AfterValidator(single_line)] | None = None
    phone: Phone | None = None
    email: Email | None = None
    call_times: Line | None = None
    call_windows: CallWindows = Field(
        default=None, description="when a call suits the family: weekday and the region's time band, Helsinki "
                                  "time ('tue-16-18'); only with phone or sms, sealed like the other details")

    @field_validator("call_windows")
    @classmethod
    def _windows_need_a_phone(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        # An invalid method is reported on its own; the windows are judged only against a valid one.
        method = info.data.get("method")
        if value and method is not None and method not in ("phone", "sms"):
            raise ValueError("call windows go only with an answer by phone or text message")
        return value

    @model_validator(mode="after")
    def _details_fit_method(self) -> Contact:
        check_details_fit_method(self.method, name=self.name, phone=self.phone, email=self.email, what="request")
        return self


class NewRequest(BaseModel):
    """A family's request as the form (or any client) posts it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "submission_id": "6f1c2a7e-8d7b-4b8e-9a59-3c1f0e4d2b10",
        "municipality": "raisio",
        "language": "fi",
        "requester_role": "parent",
        "topic": "child_emotions",
        "child_age_group": "7-12",
        "message": "Lapseni on ollut pitkään alakuloinen. Mistä saisimme apua?",
        "contact": {"method": "phone", "name": "Maija", "phone": "+358 40 123 4567",
                    "call_windows": ["tue-16-18", "thu-8-12"], "call_times": "mieluiten ennen kuutta"},
    }]})

    submission_id: uuid.UUID = Field(description="made by the client once per form; a retry sends the same id")
    municipality: Annotated[str, StringConstraints(max_length=64, pattern=r"^[a-z0-9-]+$")]
    language: Language = "fi"
    requester_role: RequesterRole
    topic: Topic | None = None
    child_age_group: AgeGroup | None = None
    message: WrittenMessage
    contact: Contact
    website: str | None = Field(default=None, description="a honeypot: people leave it empty, some robots do not")

    @field_validator("website")
    @classmethod
    def _honeypot_empty(cls, value: str | None) -> str | None:
        if value:
            raise ValueError("leave this field empty")
        return None


class Accepted(BaseModel):
    """The receipt: the request is stored and will be answered by ``answer_due``."""

    case_id: uuid.UUID
    reference: str
    region: str
    municipality: str
    answer_due: date
    deadline_business_days: int
    pickup_code: str | None = Field(
        default=None, description="shown once, only when the request is new: with the reference it opens the "
                                  "status page (anonymous families need it to read the answer)")


# Typed back as people read it (spaces, lower case, no dash): normalised before it is looked up.
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=20),
                      AfterValidator(single_line), AfterValidator(normalise_reference)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=40),
                 AfterValidator(single_line)]


# The reference and the pick-up code that open a case's status (no docstring: it would become the API's text).
class StatusQuery(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"reference": "K7M4-2Q9X",
                                                        "pickup_code": "7HQ2M-XK4PD-9TRWA-3NVCE"}]}}

    reference: Reference
    pickup_code: Code


class TimelineEntry(BaseModel):
    at: datetime
    author: str = Field(description="'family' or 'staff'")
    text: str | None = Field(description="null when the case's personal data has been erased")
    kind: Literal["message", "not_reached_notice"] = Field(
        default="message", description="'not_reached_notice': staff tried to call and could not reach the family "
                                       "(the text is the notice in the case's language)")


class CallbackSlot(BaseModel):
    starts_at: datetime = Field(description="when the window in which staff will call opens")
    ends_at: datetime


class CaseStatus(BaseModel):
    reference: str
    answer_due: date = Field(description="the day the request was promised an answer by")
    closed: bool
    feedback_given: bool
    timeline: list[TimelineEntry]
    outcome: CaseOutcome | None = Field(default=None, description="how the case ended, once closed; 'duplicate':"
                                        " the matter continues in another request of the family's")
    referred_to: str | None = Field(default=None, description="the region's service the family was referred to")
    callback: CallbackSlot | None = Field(default=None, description="the call staff have scheduled, while it is "
                                                                    "still ahead; null when none is")


class FamilyMessage(BaseModel):
    """A later message to the same case: the API's and the status page's."""

    message_id: uuid.UUID = Field(description="made by the client; a retried send carries the same id")
    message: MessageText


class FeedbackAnswer(BaseModel):
    """How much it helped, once the case is closed: the API's and the status page's."""

    score: int = Field(ge=1, le=5)
    comment: Annotated[str, StringConstraints(max_length=MAX_COMMENT), AfterValidator(multi_line)] | None = None


# The API's bodies carry the reference and the code too (listed first); the pages have a session instead.
class NewFamilyMessage(FamilyMessage, StatusQuery):
    model_config = {"json_schema_extra": {"examples": [{
        "reference": "K7M4-2Q9X", "pickup_code": "7HQ2M-XK4PD-9TRWA-3NVCE",
        "message_id": "0b7d3c1e-5f1a-4e2b-9c8d-2a6f4e1b3c5d", "message": "Unohdin kertoa, että lapsi on 8-vuotias."}]}}


class Feedback(FeedbackAnswer, StatusQuery):
    model_config = {"json_schema_extra": {"examples": [{
        "reference": "K7M4-2Q9X", "pickup_code": "7HQ2M-XK4PD-9TRWA-3NVCE", "score": 5,
        "comment": "Saimme vastauksen jo seuraavana päivänä."}]}}
