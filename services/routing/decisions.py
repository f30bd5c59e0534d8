"""What staff may do with a case: the commands, and the events each one decides from the case's state.

Pure, like the state it reads: the clock comes in as ``now``, the region's rules with the region.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime, time, timedelta
from typing import Literal, TypeGuard

from pydantic import BaseModel, ConfigDict, Field

from services.routing.domain import CaseState
from services.routing.referral_domain import RecordReferralAnswer, decide_answer, find
from services.routing.referral_targets import referral_target
from shared.callbacks import in_helsinki
from shared.directory import DirectoryService, ServiceKind
from shared.errors import InvalidCommand
from shared.events import (
    AssigneeKind,
    CallbackCancelled,
    CallbackCancelledPayload,
    CallbackScheduled,
    CallbackScheduledPayload,
    CaseAssigned,
    CaseAssignedPayload,
    CaseClosed,
    CaseClosedPayload,
    CaseHandedOff,
    CaseHandedOffPayload,
    CaseReopened,
    CaseReopenedPayload,
    CaseTriaged,
    CaseTriagedPayload,
    ChildWelfareNotified,
    ChildWelfareNotifiedPayload,
    ContactAttempted,
    ContactAttemptedPayload,
    EventBase,
    InternalNoteAdded,
    InternalNoteAddedPayload,
    NotReachedNotice,
    NotReachedNoticePayload,
    Outcome,
    ReplySent,
    ReplySentPayload,
    Topic,
    Urgency,
)
from shared.events_referrals import Consent, ReferralSent, ReferralSentPayload
from shared.regions import Region
from shared.sealing import Sealed
from shared.staff import Absence
from shared.text import Text, TextLine

MAX_TEXT = 4000


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TriageCase(_Command):
    topic: Topic | None = None
    urgency: Urgency = "normal"
    child_welfare_concern: bool = False


class AssignCase(_Command):
    assignee_kind: AssigneeKind
    assignee_id: TextLine = Field(min_length=1, max_length=100)
    confirm_absent: bool = Field(default=False, description="assign to a professional who is absent today anyway"
                                                            " (a hand-off to one is refused whatever this says)")


class HandOffCase(AssignCase):
    note: Text = Field(min_length=1, max_length=MAX_TEXT)


class ReferCase(_Command):
    """Refer the family to a service: only with their consent, and with a note for the service."""

    service_id: TextLine = Field(min_length=1, max_length=100)
    consent: Consent = Field(description="how the family consented to the referral and to the disclosure of their"
                                         " contact and the note: 'spoken' or 'written'; required")
    note: Text = Field(min_length=1, max_length=MAX_TEXT, description="what the receiving service needs to know")


class RecordContactAttempt(_Command):
    channel: Literal["phone", "sms", "email"] = "phone"
    result: Literal["reached", "no_answer", "message_left"]


class SendReply(_Command):
    text: Text = Field(min_length=1, max_length=MAX_TEXT)


class ScheduleCallback(_Command):
    """A call to the family on ``day`` between ``start`` and ``end``, Helsinki time; moves one already scheduled."""

    day: date
    start: time
    end: time
    caller: TextLine | None = Field(default=None, max_length=100,
                               description="the professional who calls; by default the case's professional")


class CancelCallback(_Command):
    pass


class SendNotReachedNotice(_Command):
    pass


class AddInternalNote(_Command):
    text: Text = Field(min_length=1, max_length=MAX_TEXT)


class CloseCase(_Command):
    outcome: Outcome
    referred_to: TextLine | None = None


class ReopenCase(_Command):
    pass


class RecordChildWelfareNotification(_Command):
    how: Literal["notification_made", "contacted_together"] = "notification_made"


# Two cases at once (links.py decides on both): the other case is named by its reference, as staff read it.
OTHER_REFERENCE = Field(min_length=1, max_length=40, description="the other case's reference; case, spaces and"
                                                                 " a missing dash do not matter")


class LinkCase(_Command):
    """This case is a duplicate of the other (and closes as one), or related to it."""

    kind: Literal["duplicate", "related"]
    other_reference: str = OTHER_REFERENCE


class UnlinkCase(_Command):
    other_reference: str = OTHER_REFERENCE


Command = (TriageCase | AssignCase | HandOffCase | ReferCase | RecordContactAttempt | SendReply | AddInternalNote
           | CloseCase | ReopenCase | RecordChildWelfareNotification | ScheduleCallback | CancelCallback
           | SendNotReachedNotice | LinkCase | UnlinkCase | RecordReferralAnswer)
# The name each command has in the API and on the case page's forms.
CommandName = Literal["triage", "assign", "hand_off", "refer", "record_contact", "reply", "add_note", "close",
                      "reopen", "record_child_welfare_notification", "schedule_callback", "cancel_callback",
                      "send_not_reached_notice", "link", "unlink", "record_referral_answer"]
COMMANDS: dict[str, type[Command]] = {
    "triage": TriageCase, "assign": AssignCase, "hand_off": HandOffCase, "refer": ReferCase,
    "record_contact": RecordContactAttempt, "reply": SendReply, "add_note": AddInternalNote, "close": CloseCase,
    "reopen": ReopenCase, "record_child_welfare_notification": RecordChildWelfareNotification,
    "schedule_callback": ScheduleCallback, "cancel_callback": CancelCallback,
    "send_not_reached_notice": SendNotReachedNotice, "link": LinkCase, "unlink": UnlinkCase,
    "record_referral_answer": RecordReferralAnswer,
}
CALLABLE = ("phone", "sms")  # the contact methods that left a number to call
LONGEST_WINDOW = timedelta(hours=4)
FURTHEST_CALLBACK = timedelta(days=60)


def is_command_name(name: str) -> TypeGuard[CommandName]:
    """Whether ``name`` names a command (a form's field says so, as text)."""
    return name in COMMANDS


Decision = list[tuple[type[EventBase], BaseModel]]
# Seals a text as the named payload field of the event type it goes into (shared/sealing.py binds it there).
Sealer = Callable[[str, str, str], Sealed]
TeamOf = Callable[[str], str | None]
# A professional's absence today, if any (services/routing/absences.py).
AbsentOf = Callable[[str], Absence | None]


def nobody_absent(account_id: str) -> Absence | None:
    return None


def offered_kind(service_id: str, region: Region,
                 directory: Mapping[str, DirectoryService] | None) -> ServiceKind | None:
    """The kind of a service staff may refer to: one the directory offers (``directory``, the services the command
    names that routing's directory projection holds and does not hide), or a whole service of the region's YAML."""
    if directory and service_id in directory:
        return directory[service_id].kind
    return next((s.kind for s in region.local_services if s.id == service_id and not s.hidden), None)


class AssigneeAbsent(InvalidCommand):
    """The professional is absent: assigning needs a confirmation, a hand-off is refused."""

    code = "assignee_absent"


def decide(state: CaseState, command: Command, *, region: Region, teams: Collection[str], seal: Sealer,
           team_of: TeamOf, now: datetime | None = None, absent_of: AbsentOf = nobody_absent,
           directory: Mapping[str, DirectoryService] | None = None) -> Decision:
    """The events ``command`` makes of ``state`` at ``now``, or InvalidCommand saying why not.

    Without ``now`` (a loader writing history) nothing is checked against the clock.
    """
    if state.erased_at is not None:
        raise InvalidCommand("the case's personal data is erased; nothing more is recorded on it")
    if state.closed and not isinstance(command, ReopenCase | AddInternalNote | RecordChildWelfareNotification
                                                 | RecordReferralAnswer):
        raise InvalidCommand("the case is closed; reopen it first")
    match command:
        case TriageCase():
            return [(CaseTriaged, CaseTriagedPayload(topic=command.topic, urgency=command.urgency,
                                                     child_welfare_concern=command.child_welfare_concern))]
        case HandOffCase():
            if state.status != "assigned":
                raise InvalidCommand("only an assigned case is handed off; assign it first")
            target = _assignee(command, region, teams, team_of)
            _not_absent(command, absent_of, confirmable=False)
            return [(CaseHandedOff, CaseHandedOffPayload(**target.model_dump(),
                                                         note=seal(command.note, "case.handed_off", "note")))]
        case AssignCase():
            target = _assignee(command, region, teams, team_of)
            _not_absent(command, absent_of, confirmable=True)
            return [(CaseAssigned, target)]
        case ReferCase():
            return [(ReferralSent, _referral(command, region, seal, directory))]
        case RecordContactAttempt():
            return [(ContactAttempted, ContactAttemptedPayload(channel=command.channel, result=command.result))]
        case SendReply():
            if state.channel != "button":  # recorded contacts: see services/routing/recorded.py
                raise InvalidCommand("a recorded contact has no status page to read a written reply on; answer the"
                                     " family by phone or as agreed, and record the contact")
            return [(ReplySent, ReplySentPayload(reply_id=uuid.uuid4(),
                                                 text=seal(command.text, "reply.sent", "text")))]
        case AddInternalNote():
            return [(InternalNoteAdded, InternalNoteAddedPayload(note=seal(command.text, "note.added", "note")))]
        case ScheduleCallback():
            return [(CallbackScheduled, _callback(state, command, region=region, team_of=team_of, now=now))]
        case CancelCallback():
            if state.callback_id is None:
                raise InvalidCommand("no call to the family is scheduled")
            return [(CallbackCancelled, CallbackCancelledPayload(callback_id=state.callback_id))]
        case SendNotReachedNotice():
            if state.unanswered_attempts < region.callbacks.attempts:
                raise InvalidCommand(f"the family is told they were not reached after {region.callbacks.attempts}"
                                     f" unanswered attempts; {state.unanswered_attempts} are recorded")
            if state.not_reached_notice_at is not None:
                raise InvalidCommand("the family was already told that they were not reached")
            return [(NotReachedNotice, NotReachedNoticePayload(attempts=state.unanswered_attempts))]
        case CloseCase():
            _may_close(state, command, region)
            if command.outcome == "referred":
                referred = command.referred_to or state.referred_to
                if referred is None or (referred != state.referred_to
                                        and offered_kind(referred, region, directory) is None):
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
        case RecordReferralAnswer():
            answer = command.as_answer()
            decided = decide_answer(find(state.referrals, command.referral_id), answer, erased=False,
                                    known_service=lambda s: referral_target(region, s, directory) is not None)
            # A decline of a case closed as referred puts it back in the worker's queue, as the service's own would.
            reopen = answer.answer == "decline" and state.closed
            return [decided, *([(CaseReopened, CaseReopenedPayload())] if reopen else [])]
        case LinkCase() | UnlinkCase():
            raise InvalidCommand("a link is decided on both cases at once (links.decide_link)")
    raise InvalidCommand(f"unknown command {type(command).__name__}")


def _referral(command: ReferCase, region: Region, seal: Sealer,
              directory: Mapping[str, DirectoryService] | None) -> ReferralSentPayload:
    """referral.sent, which replaces case.referred: the consent, the sealed note and an id the service answers by."""
    service = referral_target(region, command.service_id, directory)
    if service is None:
        raise InvalidCommand(f"no service '{command.service_id}' in the region's directory", field="service_id")
    return ReferralSentPayload(referral_id=uuid.uuid4(), service_id=service.id,
                               service_kind=service.kind,
                               consent=command.consent, note=seal(command.note, "referral.sent", "note"),
                               electronic=service.answers_by_link)


def _callback(state: CaseState, command: ScheduleCallback, *, region: Region, team_of: TeamOf,
              now: datetime | None) -> CallbackScheduledPayload:
    if state.contact_method not in CALLABLE:
        raise InvalidCommand("the family did not leave a phone number to call; answer them the way they asked")
    starts, ends = in_helsinki(command.day, command.start), in_helsinki(command.day, command.end)
    if ends <= starts:
        raise InvalidCommand("a call's window ends after it starts")
    if ends - starts > LONGEST_WINDOW:
        raise InvalidCommand("a call's window is at most four hours: the family waits by the phone")
    if now is not None and ends <= now:
        raise InvalidCommand("the window is already over; choose a time still to come")
    if now is not None and starts > now + FURTHEST_CALLBACK:
        raise InvalidCommand("a call is scheduled at most 60 days ahead")
    caller = command.caller or (state.assignee_id if state.assignee_kind == "professional" else None)
    if command.caller is not None and team_of(command.caller) is None:
        raise InvalidCommand(f"no professional '{command.caller}' in {region.id}")
    return CallbackScheduledPayload(callback_id=uuid.uuid4(), starts_at=starts, ends_at=ends, caller=caller,
                                    replaces=state.callback_id)


def _may_close(state: CaseState, command: CloseCase, region: Region) -> None:
    """A case closes only once nothing is left owed to the family, and 'not reached' only by the region's rule."""
    if state.callback_id is not None:
        raise InvalidCommand("a call to the family is scheduled; record how it went or cancel it first")
    if state.awaiting_since is not None and command.outcome != "not_a_request":
        raise InvalidCommand("the family wrote again and waits for an answer; reply or call them first")
    if command.outcome == "not_reached":
        needed = region.callbacks.attempts
        if state.unanswered_attempts < needed:
            raise InvalidCommand(f"a case closes as not reached after {needed} unanswered attempts;"
                                 f" {state.unanswered_attempts} are recorded")
        if state.not_reached_notice_at is None:
            raise InvalidCommand("tell the family first that they were not reached (they can write again)")


def _not_absent(command: AssignCase, absent_of: AbsentOf, *, confirmable: bool) -> None:
    """An absent professional gets a case only when the assigner confirms it, and never by a hand-off."""
    if command.assignee_kind != "professional":
        return
    away = absent_of(command.assignee_id)
    if away is None or (confirmable and command.confirm_absent):
        return
    substitute = f"{away.substitute_kind}:{away.substitute_id}" if away.substitute_id else None
    if confirmable:
        raise AssigneeAbsent(f"'{command.assignee_id}' is absent until {away.ends.isoformat()}; confirm to assign"
                             " anyway", field="assignee_id", until=away.ends.isoformat(), substitute=substitute)
    raise AssigneeAbsent(f"'{command.assignee_id}' is absent until {away.ends.isoformat()}; hand the case to"
                         " someone who is at work", field="assignee_id", until=away.ends.isoformat(),
                         substitute=substitute)


def _assignee(command: AssignCase, region: Region, teams: Collection[str], team_of: TeamOf) -> CaseAssignedPayload:
    if command.assignee_kind == "team":
        if command.assignee_id not in teams:
            raise InvalidCommand(f"no team '{command.assignee_id}' in {region.id}")
        return CaseAssignedPayload(assignee_kind="team", assignee_id=command.assignee_id, team_id=command.assignee_id)
    team = team_of(command.assignee_id)
    if team is None:
        raise InvalidCommand(f"no professional '{command.assignee_id}' in {region.id}")
    return CaseAssignedPayload(assignee_kind="professional", assignee_id=command.assignee_id, team_id=team)
