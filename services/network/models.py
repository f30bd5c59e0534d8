"""What an applicant sends and what the network answers: one model whether it comes as JSON or as the form."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.blind_index import normalise_phone
from shared.event_base import Language
from shared.network_events import Sector, Theme
from shared.text import multi_line, single_line

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
                 AfterValidator(single_line)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254,
                                         pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$"), AfterValidator(single_line)]
PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ()-]{5,24}$")


def _phone(value: str) -> str:
    """Kept in E.164; the agent's own number, so any country's (Finland's when it has no country code)."""
    normalised = normalise_phone(value) if PHONE_CHARACTERS.match(value) else None
    if normalised is None:
        raise ValueError("write a phone number in digits, such as +358 40 123 4567")
    return normalised


Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), AfterValidator(_phone)]
Why = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
                AfterValidator(multi_line)]


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class Application(BaseModel):
    """An application to the network, as the form and ``POST /api/v1/applications`` send it."""

    model_config = ConfigDict(extra="forbid")

    submission_id: uuid.UUID = Field(description="made by the client; a retried send carries the same id")
    municipality: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,64}$")] = Field(
        description="the municipality the applicant works or lives in, by its id")
    language: Language = Field(description="the language the network writes to them in")
    name: Line
    email: Email
    phone: Phone | None = None
    organisation: Line
    sector: Sector
    themes: Annotated[list[Theme], Field(min_length=1, max_length=7), AfterValidator(_distinct)]
    languages: Annotated[list[Language], Field(min_length=1, max_length=3), AfterValidator(_distinct)]
    why: Why = Field(description="a few lines on why they join")
    consent: Literal[True] = Field(description="agrees to the consent text of the version the form showed")
    website: None = Field(default=None, description="left empty: a field people do not see, for robots")


class Profile(BaseModel):
    """What an agent may change of themselves through their personal link."""

    model_config = ConfigDict(extra="forbid")

    municipality: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,64}$")]
    language: Language
    name: Line
    email: Email
    phone: Phone | None = None
    organisation: Line
    sector: Sector
    themes: Annotated[list[Theme], Field(min_length=1, max_length=7), AfterValidator(_distinct)]
    languages: Annotated[list[Language], Field(min_length=1, max_length=3), AfterValidator(_distinct)]


class Applied(BaseModel):
    """The application is kept; a link to confirm the address is on its way."""

    agent_id: uuid.UUID
    status: Literal["applied", "confirmed", "active", "paused", "left"]
    confirm_by: datetime | None = Field(description="until when the mailed link confirms the address")


class CampaignInfo(BaseModel):
    region: str
    opens_at: datetime
    closes_at: datetime
    closing_day: str
    state: Literal["not_yet", "open", "closed"]
