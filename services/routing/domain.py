"""A case as staff see it: its state, how events change it (evolve) and what commands decide.

Pure: no I/O, no clock. ``evolve`` serves both the command side (under a row lock, in the
command's transaction) and the projection (from the stream), so both agree by construction.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import singledispatch
from typing import Literal

from pydantic import BaseModel, ConfigDict

from services.routing.referral_domain import ReferralState, replaced
from shared.businessdays import answer_due as promised_day
from shared.events import (
    AssigneeKind,
    CallbackCancelled,
    CallbackScheduled,
    CaseAssigned,
    CaseClosed,
    CaseHandedOff,
    CaseLinked,
    CaseOpened,
    CaseOutcome,
    CaseReferred,
    CaseReopened,
    CaseTriaged,
    CaseUnlinked,
    ChildWelfareNotificationDue,
    ChildWelfareNotified,
    ContactAttempted,
    DeadlineMissed,
    DeadlineWarning,
    EventBase,
    FamilyMessageAdded,
    NotReachedNotice,
    PersonalDataErased,
    ReferralAccepted,
    ReferralCompleted,
    ReferralDeclined,
    ReferralOverdue,
    ReferralSent,
    ReplySent,
    RequestRecorded,
    Topic,
    Urgency,
)

Status = Literal["new", "triaged", "assigned", "closed"]


class CaseState(BaseModel):
    """What decisions about a case depend on; no personal data."""

    model_config = ConfigDict(frozen=True)

    case_id: uuid.UUID
    region: str
    municipality: str
    received_at: datetime
    answer_due: date
    contact_method: str
    status: Status = "new"
    version: int = 0
    topic: Topic | None = None
    urgency: Urgency = "normal"
    triaged: bool = False
    child_welfare_concern: bool = False
    child_welfare_flagged_at: datetime | None = None
    child_welfare_notified_at: datetime | None = None
    child_welfare_warned_at: datetime | None = None  # the region's limit for the notification passed
    assignee_kind: AssigneeKind | None = None
    assignee_id: str | None = None
    team_id: str | None = None
    first_response_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: CaseOutcome | None = None
    referred_to: str | None = None
    reopened: int = 0
    warned: bool = False
    missed: bool = False
    erased_at: datetime | None = None
    # Follow-ups: the family wrote again after being answered. The region's rule as the case got it counts
    # each follow-up's promised day; the rest says whether staff owe the family an answer now.
    deadline_business_days: int | None = None
    followups: int = 0
    awaiting_since: datetime | None = None
    unread_messages: int = 0
    followup_due: date | None = None
    # Calls: the one scheduled now (if any), the unanswered attempts since the family was last reached,
    # and when they were told "we tried to reach you".
    callback_id: uuid.UUID | None = None
    callback_starts_at: datetime | None = None
    callback_ends_at: datetime | None = None
    callback_caller: str | None = None
    unanswered_attempts: int = 0
    not_reached_notice_at: datetime | None = None
    # How the family got in touch: "button" (the form), or a contact staff recorded (phone, in person, letter).
    channel: str = "button"
    # Links to other cases of the region (links.py): the case this one duplicates, the cases that duplicate
    # this one, and related cases, each in the order they were linked.
    duplicate_of: uuid.UUID | None = None
    duplicates: tuple[uuid.UUID, ...] = ()
    related: tuple[uuid.UUID, ...] = ()
    # Referrals sent with the family's consent (referral.sent), in the order sent; see referral_domain.py.
    referrals: tuple[ReferralState, ...] = ()

    @property
    def closed(self) -> bool:
        return self.status == "closed"


def initial_state(event: CaseOpened) -> CaseState:
    p = event.payload
    state = CaseState(case_id=event.case_id, region=event.region, municipality=event.municipality,
                      received_at=event.occurred_at, answer_due=p.answer_due, contact_method=p.contact_method,
                      topic=p.topic, deadline_business_days=p.deadline_business_days, version=1)
    return recorded_state(state, event) if isinstance(event, RequestRecorded) else state


def recorded_state(state: CaseState, event: RequestRecorded) -> CaseState:
    """A recorded contact's case: received when the contact came (its day counts from then), and answered at that
    moment when the worker answered the family in the call or visit itself."""
    p = event.payload
    return state.model_copy(update={"received_at": p.contacted_at, "channel": p.channel,
                                    "first_response_at": p.contacted_at if p.answered_in_contact else None})


@singledispatch
def _apply(event: EventBase, state: CaseState) -> dict[str, object]:
    return {}  # events that change nothing staff decide on (a family's message, feedback)


@_apply.register
def _(event: CaseTriaged, state: CaseState) -> dict[str, object]:
    p = event.payload
    flagged = state.child_welfare_flagged_at or (event.occurred_at if p.child_welfare_concern else None)
    return {"topic": p.topic, "urgency": p.urgency, "child_welfare_concern": p.child_welfare_concern,
            "child_welfare_flagged_at": flagged, "triaged": True,
            "status": "triaged" if state.status == "new" else state.status}


@_apply.register(CaseAssigned)
@_apply.register(CaseHandedOff)
def _(event: CaseAssigned | CaseHandedOff, state: CaseState) -> dict[str, object]:
    p = event.payload
    return {"assignee_kind": p.assignee_kind, "assignee_id": p.assignee_id, "team_id": p.team_id,
            "status": "assigned"}


# An attempt uses up the scheduled call, whatever came of it.
NO_CALLBACK: dict[str, object] = {"callback_id": None, "callback_starts_at": None, "callback_ends_at": None,
                                  "callback_caller": None}


@_apply.register
def _(event: ContactAttempted, state: CaseState) -> dict[str, object]:
    if event.payload.result != "reached":
        return {**NO_CALLBACK, "unanswered_attempts": state.unanswered_attempts + 1}
    return {"first_response_at": state.first_response_at or event.occurred_at, **ANSWERED, **NO_CALLBACK,
            "unanswered_attempts": 0, "not_reached_notice_at": None}


@_apply.register
def _(event: CallbackScheduled, state: CaseState) -> dict[str, object]:
    p = event.payload
    return {"callback_id": p.callback_id, "callback_starts_at": p.starts_at, "callback_ends_at": p.ends_at,
            "callback_caller": p.caller}


@_apply.register
def _(event: CallbackCancelled, state: CaseState) -> dict[str, object]:
    return NO_CALLBACK if event.payload.callback_id == state.callback_id else {}


@_apply.register
def _(event: NotReachedNotice, state: CaseState) -> dict[str, object]:
    return {"not_reached_notice_at": event.occurred_at}


@_apply.register
def _(event: ReplySent, state: CaseState) -> dict[str, object]:
    return {"first_response_at": state.first_response_at or event.occurred_at, **ANSWERED}


# A reply, or a call that reached the family, answers whatever they wrote so far.
ANSWERED: dict[str, object] = {"awaiting_since": None, "unread_messages": 0, "followup_due": None}


@_apply.register
def _(event: FamilyMessageAdded, state: CaseState) -> dict[str, object]:
    """The family wrote again: unread until answered; after the first answer it is a follow-up with its own day.

    Before the first answer the first request's day still stands; while a follow-up waits, more messages
    count as unread but keep the day it was promised.
    """
    unread: dict[str, object] = {"unread_messages": state.unread_messages + 1}
    if state.first_response_at is None or state.awaiting_since is not None or state.closed:
        return unread
    days = state.deadline_business_days or 1
    return {**unread, "followups": state.followups + 1, "awaiting_since": event.occurred_at,
            "followup_due": promised_day(event.occurred_at, days)}


@_apply.register
def _(event: CaseReferred, state: CaseState) -> dict[str, object]:
    return {"referred_to": event.payload.service_id}


# A referral's life (referral_domain.py). case.referred (before consents and answers) still counts above: past
# streams hold it, and it names the service a case closed as "referred" went to.
@_apply.register
def _(event: ReferralSent, state: CaseState) -> dict[str, object]:
    p = event.payload
    if any(r.referral_id == p.referral_id for r in state.referrals):
        return {}
    referral = ReferralState(referral_id=p.referral_id, service_id=p.service_id, sent_at=event.occurred_at,
                             electronic=p.electronic)
    return {"referred_to": p.service_id, "referrals": (*state.referrals, referral)}


@_apply.register
def _(event: ReferralAccepted, state: CaseState) -> dict[str, object]:
    p = event.payload
    return {"referred_to": p.service_id, "referrals": replaced(
        state.referrals, p.referral_id, status="accepted", answered_at=event.occurred_at,
        accepted_at=event.occurred_at)}


@_apply.register
def _(event: ReferralDeclined, state: CaseState) -> dict[str, object]:
    """Declined: the case is the worker's again (a closed one reopens, see referral_commands.py), and a case
    closed as referred later no longer names the service that declined."""
    p = event.payload
    referred = None if state.referred_to == p.service_id else state.referred_to
    return {"referred_to": referred, "referrals": replaced(
        state.referrals, p.referral_id, status="declined", answered_at=event.occurred_at, reason=p.reason,
        better_service_id=p.better_service_id)}


@_apply.register
def _(event: ReferralCompleted, state: CaseState) -> dict[str, object]:
    p = event.payload
    return {"referrals": replaced(state.referrals, p.referral_id, status="completed", outcome=p.outcome)}


@_apply.register
def _(event: ReferralOverdue, state: CaseState) -> dict[str, object]:
    return {"referrals": replaced(state.referrals, event.payload.referral_id, overdue_at=event.occurred_at)}


@_apply.register
def _(event: CaseClosed, state: CaseState) -> dict[str, object]:
    return {"status": "closed", "closed_at": event.occurred_at, "outcome": event.payload.outcome,
            "referred_to": event.payload.referred_to or state.referred_to}


@_apply.register
def _(event: CaseReopened, state: CaseState) -> dict[str, object]:
    status: Status = "assigned" if state.assignee_id else ("triaged" if state.triaged else "new")
    return {"status": status, "closed_at": None, "outcome": None, "reopened": state.reopened + 1}


@_apply.register
def _(event: ChildWelfareNotified, state: CaseState) -> dict[str, object]:
    return {"child_welfare_notified_at": state.child_welfare_notified_at or event.occurred_at}


@_apply.register
def _(event: ChildWelfareNotificationDue, state: CaseState) -> dict[str, object]:
    return {"child_welfare_warned_at": state.child_welfare_warned_at or event.occurred_at}


@_apply.register
def _(event: DeadlineWarning, state: CaseState) -> dict[str, object]:
    return {"warned": True} if event.payload.followup == 0 else {}  # a follow-up's alerts live in its own row


@_apply.register
def _(event: DeadlineMissed, state: CaseState) -> dict[str, object]:
    return {"missed": True} if event.payload.followup == 0 else {}


@_apply.register
def _(event: PersonalDataErased, state: CaseState) -> dict[str, object]:
    return {"erased_at": state.erased_at or event.occurred_at}


@_apply.register
def _(event: CaseLinked, state: CaseState) -> dict[str, object]:
    p = event.payload
    if p.side == "duplicate":
        return {"duplicate_of": p.other_case_id}
    field = "duplicates" if p.side == "kept" else "related"
    known: tuple[uuid.UUID, ...] = getattr(state, field)
    return {} if p.other_case_id in known else {field: (*known, p.other_case_id)}


@_apply.register
def _(event: CaseUnlinked, state: CaseState) -> dict[str, object]:
    p = event.payload
    if p.side == "duplicate":
        return {"duplicate_of": None} if state.duplicate_of == p.other_case_id else {}
    field = "duplicates" if p.side == "kept" else "related"
    return {field: tuple(c for c in getattr(state, field) if c != p.other_case_id)}


def evolve(state: CaseState, event: EventBase) -> CaseState:
    """The state after ``event``; every event of the case counts towards its version."""
    return state.model_copy(update={**_apply(event, state), "version": state.version + 1})
