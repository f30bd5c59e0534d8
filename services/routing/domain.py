"""A case as staff see it: its state, how events change it (evolve) and what commands decide.

Pure: no I/O, no clock. ``evolve`` serves both the command side (under a row lock, in the
command's transaction) and the projection (from the stream), so both agree by construction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from datetime import date, datetime
from functools import singledispatch
from typing import Literal, TypeGuard

from pydantic import BaseModel, ConfigDict, Field

from shared.businessdays import answer_due as promised_day
from shared.errors import InvalidCommand
from shared.events import (
    AssigneeKind,
    CaseAssigned,
    CaseAssignedPayload,
    CaseClosed,
    CaseClosedPayload,
    CaseHandedOff,
    CaseHandedOffPayload,
    CaseReferred,
    CaseReferredPayload,
    CaseReopened,
    CaseReopenedPayload,
    CaseTriaged,
    CaseTriagedPayload,
    ChildWelfareNotified,
    ChildWelfareNotifiedPayload,
    ContactAttempted,
    ContactAttemptedPayload,
    DeadlineMissed,
    DeadlineWarning,
    EventBase,
    FamilyMessageAdded,
    InternalNoteAdded,
    InternalNoteAddedPayload,
    Outcome,
    PersonalDataErased,
    ReplySent,
    ReplySentPayload,
    RequestSubmitted,
    Topic,
    Urgency,
)
from shared.regions import Region
from shared.sealing import Sealed

Status = Literal["new", "triaged", "assigned", "closed"]
MAX_TEXT = 4000


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
    assignee_kind: AssigneeKind | None = None
    assignee_id: str | None = None
    team_id: str | None = None
    first_response_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: Outcome | None = None
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

    @property
    def closed(self) -> bool:
        return self.status == "closed"


def initial_state(event: RequestSubmitted) -> CaseState:
    p = event.payload
    return CaseState(case_id=event.case_id, region=event.region, municipality=event.municipality,
                     received_at=event.occurred_at, answer_due=p.answer_due, contact_method=p.contact_method,
                     topic=p.topic, deadline_business_days=p.deadline_business_days, version=1)


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


@_apply.register
def _(event: ContactAttempted, state: CaseState) -> dict[str, object]:
    if event.payload.result != "reached":
        return {}
    return {"first_response_at": state.first_response_at or event.occurred_at, **ANSWERED}


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
def _(event: DeadlineWarning, state: CaseState) -> dict[str, object]:
    return {"warned": True} if event.payload.followup == 0 else {}  # a follow-up's alerts live in its own row


@_apply.register
def _(event: DeadlineMissed, state: CaseState) -> dict[str, object]:
    return {"missed": True} if event.payload.followup == 0 else {}


@_apply.register
def _(event: PersonalDataErased, state: CaseState) -> dict[str, object]:
    return {"erased_at": state.erased_at or event.occurred_at}


def evolve(state: CaseState, event: EventBase) -> CaseState:
    """The state after ``event``; every event of the case counts towards its version."""
    return state.model_copy(update={**_apply(event, state), "version": state.version + 1})


# Commands: what staff ask for, in the imperative.

class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TriageCase(_Command):
    topic: Topic | None = None
    urgency: Urgency = "normal"
    child_welfare_concern: bool = False


class AssignCase(_Command):
    assignee_kind: AssigneeKind
    assignee_id: str = Field(min_length=1, max_length=100)


class HandOffCase(AssignCase):
    note: str = Field(min_length=1, max_length=MAX_TEXT)


class ReferCase(_Command):
    service_id: str = Field(min_length=1, max_length=100)


class RecordContactAttempt(_Command):
    channel: Literal["phone", "sms", "email"] = "phone"
    result: Literal["reached", "no_answer", "message_left"]


class SendReply(_Command):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class AddInternalNote(_Command):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class CloseCase(_Command):
    outcome: Outcome
    referred_to: str | None = None


class ReopenCase(_Command):
    pass


class RecordChildWelfareNotification(_Command):
    how: Literal["notification_made", "contacted_together"] = "notification_made"


Command = (TriageCase | AssignCase | HandOffCase | ReferCase | RecordContactAttempt | SendReply | AddInternalNote
           | CloseCase | ReopenCase | RecordChildWelfareNotification)
# The name each command has in the API and on the case page's forms.
CommandName = Literal["triage", "assign", "hand_off", "refer", "record_contact", "reply", "add_note", "close",
                      "reopen", "record_child_welfare_notification"]
COMMANDS: dict[str, type[Command]] = {
    "triage": TriageCase, "assign": AssignCase, "hand_off": HandOffCase, "refer": ReferCase,
    "record_contact": RecordContactAttempt, "reply": SendReply, "add_note": AddInternalNote, "close": CloseCase,
    "reopen": ReopenCase, "record_child_welfare_notification": RecordChildWelfareNotification,
}


def is_command_name(name: str) -> TypeGuard[CommandName]:
    """Whether ``name`` names a command (a form's field says so, as text)."""
    return name in COMMANDS


Decision = list[tuple[type[EventBase], BaseModel]]
Sealer = Callable[[str], Sealed]
TeamOf = Callable[[str], str | None]


def decide(state: CaseState, command: Command, *, region: Region, teams: Collection[str], seal: Sealer,
           team_of: TeamOf) -> Decision:
    """The events ``command`` makes of ``state``, or InvalidCommand saying why not."""
    if state.erased_at is not None:
        raise InvalidCommand("the case's personal data is erased; nothing more is recorded on it")
    if state.closed and not isinstance(command, ReopenCase | AddInternalNote | RecordChildWelfareNotification):
        raise InvalidCommand("the case is closed; reopen it first")
    match command:
        case TriageCase():
            return [(CaseTriaged, CaseTriagedPayload(topic=command.topic, urgency=command.urgency,
                                                     child_welfare_concern=command.child_welfare_concern))]
        case HandOffCase():
            if state.status != "assigned":
                raise InvalidCommand("only an assigned case is handed off; assign it first")
            target = _assignee(command, region, teams, team_of)
            return [(CaseHandedOff, CaseHandedOffPayload(**target.model_dump(), note=seal(command.note)))]
        case AssignCase():
            return [(CaseAssigned, _assignee(command, region, teams, team_of))]
        case ReferCase():
            service = next((s for s in region.services if s.id == command.service_id), None)
            if service is None:
                raise InvalidCommand(f"no service '{command.service_id}' in the region's directory")
            return [(CaseReferred, CaseReferredPayload(service_id=service.id, service_kind=service.kind))]
        case RecordContactAttempt():
            return [(ContactAttempted, ContactAttemptedPayload(channel=command.channel, result=command.result))]
        case SendReply():
            return [(ReplySent, ReplySentPayload(reply_id=uuid.uuid4(), text=seal(command.text)))]
        case AddInternalNote():
            return [(InternalNoteAdded, InternalNoteAddedPayload(note=seal(command.text)))]
        case CloseCase():
            if command.outcome == "referred":
                referred = command.referred_to or state.referred_to
                if referred is None or all(s.id != referred for s in region.services):
                    raise InvalidCommand("a referred case names a service of the region's directory")
                return [(CaseClosed, CaseClosedPayload(outcome="referred", referred_to=referred))]
            return [(CaseClosed, CaseClosedPayload(outcome=command.outcome))]
        case ReopenCase():
            if not state.closed:
                raise InvalidCommand("the case is open")
            return [(CaseReopened, CaseReopenedPayload())]
        case RecordChildWelfareNotification():
            if not state.child_welfare_concern:
                raise InvalidCommand("no child welfare concern is recorded for this case")
            return [(ChildWelfareNotified, ChildWelfareNotifiedPayload(how=command.how))]
    raise InvalidCommand(f"unknown command {type(command).__name__}")


def _assignee(command: AssignCase, region: Region, teams: Collection[str], team_of: TeamOf) -> CaseAssignedPayload:
    if command.assignee_kind == "team":
        if command.assignee_id not in teams:
            raise InvalidCommand(f"no team '{command.assignee_id}' in {region.id}")
        return CaseAssignedPayload(assignee_kind="team", assignee_id=command.assignee_id, team_id=command.assignee_id)
    team = team_of(command.assignee_id)
    if team is None:
        raise InvalidCommand(f"no professional '{command.assignee_id}' in {region.id}")
    return CaseAssignedPayload(assignee_kind="professional", assignee_id=command.assignee_id, team_id=team)
