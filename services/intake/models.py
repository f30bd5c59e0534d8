"""What a family sends and what intake answers."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from shared.events import AgeGroup, ContactMethod, Language, RequesterRole, Topic

MAX_MESSAGE = 4000
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{5,24}$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254,
                                         pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")]


class Contact(BaseModel):
    """How the family wants to be answered; ``anonymous`` carries no contact details at all."""

    model_config = ConfigDict(extra="forbid")

    method: ContactMethod
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    phone: Phone | None = None
    email: Email | None = None
    call_times: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None

    @model_validator(mode="after")
    def _details_fit_method(self) -> Contact:
        if self.method in ("phone", "sms") and not self.phone:
            raise ValueError(f"a phone number is needed to answer by {self.method}")
        if self.method == "email" and not self.email:
            raise ValueError("an e-mail address is needed to answer by e-mail")
        if self.method == "anonymous" and (self.name or self.phone or self.email):
            raise ValueError("an anonymous request carries no name, phone or e-mail")
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
                    "call_times": "arkisin klo 16-18"},
    }]})

    submission_id: uuid.UUID = Field(description="made by the client once per form; a retry sends the same id")
    municipality: Annotated[str, StringConstraints(max_length=64, pattern=r"^[a-z0-9-]+$")]
    language: Language = "fi"
    requester_role: RequesterRole
    topic: Topic | None = None
    child_age_group: AgeGroup | None = None
    message: Annotated[str, StringConstraints(min_length=1, max_length=MAX_MESSAGE)]
    contact: Contact
    website: str | None = Field(default=None, description="a honeypot: people leave it empty, some robots do not")

    @field_validator("website")
    @classmethod
    def _honeypot_empty(cls, value: str | None) -> str | None:
        if value:
            raise ValueError("leave this field empty")
        return None

    @field_validator("message")
    @classmethod
    def _message_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the message is empty")
        return value


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
