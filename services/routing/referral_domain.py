"""A referral's life on its case: sent, then accepted or declined, an accepted one later done; overdue once.

Pure like domain.py: the state a case keeps of each referral, and what the receiving service's answers decide.
The case's row lock (commands.py, referral_commands.py) makes two answers to one referral impossible: the second
finds it answered and is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.errors import Conflict, InvalidCommand
from shared.events import EventBase
from shared.events_referrals import (
    CompletedOutcome,
    DeclineReason,
    ReferralAccepted,
    ReferralAcceptedPayload,
    ReferralCompleted,
    ReferralCompletedPayload,
    ReferralDeclined,
    ReferralDeclinedPayload,
)

ReferralStatus = Literal["sent", "accepted", "declined", "completed"]


class ReferralState(BaseModel):
    """One referral as the case keeps it: no personal data (the note stays sealed on the stream)."""

    model_config = ConfigDict(frozen=True)

    referral_id: uuid.UUID
    service_id: str
    sent_at: datetime
    electronic: bool = True
    status: ReferralStatus = "sent"
    answered_at: datetime | None = None
    accepted_at: datetime | None = None
    reason: DeclineReason | None = None
    better_service_id: str | None = None
    outcome: CompletedOutcome | None = None
    overdue_at: datetime | None = None


class AcceptReferral(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    answer: Literal["accept"]


class DeclineReferral(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    answer: Literal["decline"]
    reason: DeclineReason
    better_service_id: str | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _better_only_when_elsewhere(self) -> DeclineReferral:
        if self.reason == "better_elsewhere" and self.better_service_id is None:
            raise ValueError("name the better service (better_service_id) when the family is better served"
                             " elsewhere")
        if self.reason != "better_elsewhere" and self.better_service_id is not None:
            raise ValueError("better_service_id goes only with the reason 'better_elsewhere'")
        return self


class CompleteReferral(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    answer: Literal["complete"]
    outcome: CompletedOutcome


# Told apart by "answer", so that a refusal names the field of the answer given (a form's, the API's).
Answer = Annotated[AcceptReferral | DeclineReferral | CompleteReferral, Field(discriminator="answer")]


class RecordReferralAnswer(BaseModel):
    """Staff record the service's answer themselves (a service that answers by phone or letter): the same rules
    as the service's own answer behind its link."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    referral_id: uuid.UUID
    answer: Literal["accept", "decline", "complete"]
    reason: DeclineReason | None = None
    better_service_id: str | None = Field(default=None, min_length=1, max_length=100)
    outcome: CompletedOutcome | None = None

    @model_validator(mode="after")
    def _fits_the_answer(self) -> RecordReferralAnswer:
        try:
            self.as_answer()  # a reason without a decline, a decline without one, and so on: refused here
        except ValidationError as exc:
            error = exc.errors()[0]
            raise ValueError(f"{'.'.join(map(str, error['loc'])) or 'answer'}: {error['msg']}") from None
        return self

    def as_answer(self) -> Answer:
        fields = self.model_dump(exclude={"referral_id"}, exclude_none=True)
        match self.answer:
            case "accept":
                return AcceptReferral.model_validate(fields)
            case "decline":
                return DeclineReferral.model_validate(fields)
        return CompleteReferral.model_validate(fields)


def find(referrals: tuple[ReferralState, ...], referral_id: uuid.UUID) -> ReferralState | None:
    return next((r for r in referrals if r.referral_id == referral_id), None)


def decide_answer(referral: ReferralState | None, answer: Answer, *, erased: bool,
                  known_service: Callable[[str], bool]) -> tuple[type[EventBase], BaseModel]:
    """The event the service's answer makes, or InvalidCommand saying why not. ``known_service`` says whether the
    region's directory has a service (the better one a decline names)."""
    if referral is None:
        raise InvalidCommand("no such referral on this case")
    if erased:
        raise InvalidCommand("the case's personal data is erased; the referral can no longer be answered")
    ids = {"referral_id": referral.referral_id, "service_id": referral.service_id}
    match answer:
        case AcceptReferral():
            _unanswered(referral)
            return ReferralAccepted, ReferralAcceptedPayload(**ids)
        case DeclineReferral():
            _unanswered(referral)
            better = answer.better_service_id
            if better is not None and (better == referral.service_id
                                       or not known_service(better)):
                raise InvalidCommand("the better service is another service of the region's directory",
                                     field="better_service_id")
            return ReferralDeclined, ReferralDeclinedPayload(**ids, reason=answer.reason, better_service_id=better)
        case CompleteReferral():
            if referral.status == "sent":
                raise InvalidCommand("only an accepted referral is reported done; accept it first")
            if referral.status != "accepted":
                raise Conflict(f"the referral is already {referral.status}", status=referral.status)
            return ReferralCompleted, ReferralCompletedPayload(**ids, outcome=answer.outcome)
    raise InvalidCommand("unknown answer")


def _unanswered(referral: ReferralState) -> None:
    if referral.status != "sent":  # 409: someone at the service answered it first, or this is a resend
        raise Conflict(f"the referral is already {referral.status}", status=referral.status)


def replaced(referrals: tuple[ReferralState, ...], referral_id: uuid.UUID,
             **changes: object) -> tuple[ReferralState, ...]:
    """The referrals with one of them changed (evolve's helper)."""
    return tuple(r.model_copy(update=changes) if r.referral_id == referral_id else r for r in referrals)
