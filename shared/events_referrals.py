"""Referrals that close the loop: sent with the family's consent, answered by the service, overdue once.

A referral lives on its case's stream. ``referral.sent`` replaces ``case.referred`` for new referrals; the old
event stays readable (see services/routing/domain.py) because streams of past years hold it and it cannot be
upcast: it recorded neither a consent nor a note, and inventing either would falsify the record.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, Field

from shared.event_base import EventBase, Frozen
from shared.sealing import Sealed

ServiceKind = Literal["municipal", "county", "third_sector"]
# How the family agreed that their contact and the note go to the service (Act 703/2023 asks for consent).
Consent = Literal["spoken", "written"]
DeclineReason = Literal["not_our_service", "no_capacity", "better_elsewhere"]
# How the referral ended at the service: categories only, so that no free text about the family leaves it.
CompletedOutcome = Literal["service_given", "family_did_not_come", "family_declined", "moved_elsewhere"]
DECLINE_REASONS: tuple[DeclineReason, ...] = DeclineReason.__args__  # type: ignore[attr-defined]
COMPLETED_OUTCOMES: tuple[CompletedOutcome, ...] = CompletedOutcome.__args__  # type: ignore[attr-defined]


class ReferralSentPayload(Frozen):
    referral_id: uuid.UUID
    service_id: str = Field(description="a service of the region's directory")
    service_kind: ServiceKind
    consent: Consent = Field(description="how the family consented to the referral and to the disclosure")
    note: Sealed = Field(description="what the receiving service needs to know, sealed with the case key")
    electronic: bool = Field(description="the service gets a link to answer; otherwise staff tell it themselves")


class ReferralSent(EventBase):
    """A worker referred the family to a service with their consent; notify mails the service a link."""

    type: Literal["referral.sent"] = "referral.sent"
    schema_version: Literal[1] = 1
    payload: ReferralSentPayload


class ReferralAcceptedPayload(Frozen):
    referral_id: uuid.UUID
    service_id: str


class ReferralAccepted(EventBase):
    """The service took the family on (actor ``service:<id>``)."""

    type: Literal["referral.accepted"] = "referral.accepted"
    schema_version: Literal[1] = 1
    payload: ReferralAcceptedPayload


class ReferralDeclinedPayload(Frozen):
    referral_id: uuid.UUID
    service_id: str
    reason: DeclineReason
    better_service_id: str | None = Field(default=None, description="with 'better_elsewhere': which service")


class ReferralDeclined(EventBase):
    """The service did not take the family; the case returns to its worker's queue with the reason."""

    type: Literal["referral.declined"] = "referral.declined"
    schema_version: Literal[1] = 1
    payload: ReferralDeclinedPayload


class ReferralCompletedPayload(Frozen):
    referral_id: uuid.UUID
    service_id: str
    outcome: CompletedOutcome


class ReferralCompleted(EventBase):
    """The service reported the accepted referral done, with how it ended."""

    type: Literal["referral.completed"] = "referral.completed"
    schema_version: Literal[1] = 1
    payload: ReferralCompletedPayload


class ReferralOverduePayload(Frozen):
    referral_id: uuid.UUID
    service_id: str
    answer_by: AwareDatetime = Field(description="by when the region's rule expected the service's answer")


class ReferralOverdue(EventBase):
    """The service did not answer by the region's limit; the case's worker is told, once per referral."""

    type: Literal["referral.overdue"] = "referral.overdue"
    schema_version: Literal[1] = 1
    payload: ReferralOverduePayload


REFERRAL_EVENTS: tuple[type[EventBase], ...] = (ReferralSent, ReferralAccepted, ReferralDeclined, ReferralCompleted,
                                                ReferralOverdue)
