"""A planned case of the demo year: what the family sent, and what staff do about it, step by step.

:mod:`deploy.demo.model` draws these plans; the driver (:mod:`deploy.demo.drive`) sends them through the real
APIs and :mod:`deploy.demo.events` turns them into events without HTTP. Each step is one staff command as
routing's API takes it. Pure: no I/O, no clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

from shared.events import AgeGroup, ContactMethod, Language, Outcome, RequesterRole, Topic

COORDINATOR = "coordinator"  # steps the region's coordinator takes; other steps name a professional
# What a demo worker writes to the service a family is referred to (their consent given on the phone).
REFERRAL_NOTE = "Perhe toivoo yhteydenottoa arki-iltaisin. Taustat kerrottu puhelimessa, perhe odottaa soittoa."


@dataclass(frozen=True)
class Step:
    """One staff command as routing's API takes it, with when and by whom."""

    at: datetime
    by: str  # COORDINATOR or a professional's username
    command: str
    arguments: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Triage:
    at: datetime
    topic: Topic
    urgency: Literal["normal", "urgent"]
    child_welfare_concern: bool


@dataclass(frozen=True)
class Assignment:
    at: datetime
    by: str
    kind: Literal["team", "professional"]
    assignee: str  # a team id of the region, or a professional's username
    team: str  # the team that has the case
    holder: str  # who acts on the case from now on: the professional, a member of the team, or COORDINATOR


@dataclass(frozen=True)
class HandOff:
    assignment: Assignment
    note: str


@dataclass(frozen=True)
class Attempt:
    at: datetime
    by: str
    channel: Literal["phone", "sms", "email"]
    result: Literal["reached", "no_answer", "message_left"]


@dataclass(frozen=True)
class Response:
    """The first response: a written reply (``text``) or a phone call that reached the family."""

    at: datetime
    by: str
    kind: Literal["reply", "phone"]
    text: str | None = None


@dataclass(frozen=True)
class Closing:
    at: datetime
    by: str
    outcome: Outcome
    referred_to: str | None = None


@dataclass(frozen=True)
class Reopening:
    """The family wrote again after the closing: reopened, answered and closed again."""

    at: datetime
    reply: Response
    closing: Closing


@dataclass(frozen=True)
class Feedback:
    at: datetime
    score: int
    comment: str | None = None


@dataclass(frozen=True)
class Again:
    """The family wrote a second time about the same matter; the coordinator linked it to this case as a
    duplicate (deploy/demo/contacts.py)."""

    received_at: datetime
    submission_id: uuid.UUID
    message: str
    linked_at: datetime


AGAIN = "again"  # the step that sends the family's second request and links it (the case's version moves by one)


@dataclass(frozen=True)
class PlannedCase:
    received_at: datetime
    region: str
    municipality: str
    language: Language
    requester_role: RequesterRole
    topic: Topic | None
    child_age_group: AgeGroup | None
    contact: Mapping[str, Any]  # intake's contact object: method, the phone or e-mail, call windows
    message: str
    submission_id: uuid.UUID
    answer_due: date
    triage: Triage | None = None
    assignment: Assignment | None = None
    hand_off: HandOff | None = None
    attempts: tuple[Attempt, ...] = ()  # contact attempts that did not reach the family
    first_response: Response | None = None
    child_welfare_notified_at: datetime | None = None
    referral: tuple[datetime, str] | None = None  # when, and the service id
    not_reached_notice: datetime | None = None  # "we tried to reach you", before closing unreached
    closing: Closing | None = None
    reopening: Reopening | None = None
    feedback: Feedback | None = None
    # How the contact came: the button, or a phone call, visit or letter the coordinator recorded.
    channel: Literal["button", "phone", "in_person", "letter"] = "button"
    answered_in_contact: bool = False  # a recorded contact answered in the call or visit itself
    again: Again | None = None
    # The services' answers to its referrals and what follows a decline (deploy/demo/referrals.py), by time.
    referral_steps: tuple[Step, ...] = ()

    @property
    def contact_method(self) -> ContactMethod:
        method: ContactMethod = self.contact["method"]
        return method

    @property
    def final_closing(self) -> Closing | None:
        if self.reopening is not None:
            return self.reopening.closing
        return self.closing

    @property
    def holder(self) -> str:
        """Who works on the case once it is assigned (the coordinator before that)."""
        if self.hand_off is not None:
            return self.hand_off.assignment.holder
        return self.assignment.holder if self.assignment is not None else COORDINATOR

    def steps(self) -> list[Step]:
        """The staff commands in the order they happen (every command moves the case's version by one)."""
        holder = self.holder
        steps: list[Step] = []
        if self.triage:
            t = self.triage
            steps.append(Step(t.at, COORDINATOR, "triage", {"topic": t.topic, "urgency": t.urgency,
                                                            "child_welfare_concern": t.child_welfare_concern}))
        if self.assignment:
            a = self.assignment
            steps.append(Step(a.at, a.by, "assign", {"assignee_kind": a.kind, "assignee_id": a.assignee}))
        if self.hand_off:
            h = self.hand_off.assignment
            steps.append(Step(h.at, h.by, "hand_off", {"assignee_kind": h.kind, "assignee_id": h.assignee,
                                                       "note": self.hand_off.note}))
        for attempt in self.attempts:
            steps.append(Step(attempt.at, attempt.by, "record_contact",
                              {"channel": attempt.channel, "result": attempt.result}))
        if self.first_response:
            steps.append(_response_step(self.first_response, self.contact_method))
        if self.child_welfare_notified_at:
            steps.append(Step(self.child_welfare_notified_at, holder, "record_child_welfare_notification",
                              {"how": "contacted_together"}))
        if self.referral:
            steps.append(Step(self.referral[0], holder, "refer", {"service_id": self.referral[1], "consent": "spoken",
                                                                  "note": REFERRAL_NOTE}))
        if self.not_reached_notice:
            steps.append(Step(self.not_reached_notice, holder, "send_not_reached_notice"))
        if self.closing:
            steps.append(_closing_step(self.closing))
        if self.reopening:
            steps.append(Step(self.reopening.at, COORDINATOR, "reopen"))
            steps.append(_response_step(self.reopening.reply, self.contact_method))
            steps.append(_closing_step(self.reopening.closing))
        for extra in self.referral_steps:
            steps.insert(next((i for i, s in enumerate(steps) if s.at > extra.at), len(steps)), extra)
        if self.again:
            linked = self.again.linked_at
            steps.insert(next((i for i, s in enumerate(steps) if s.at > linked), len(steps)),
                         Step(linked, COORDINATOR, AGAIN))
        return steps


def _response_step(response: Response, method: ContactMethod) -> Step:
    if response.kind == "reply":
        return Step(response.at, response.by, "reply", {"text": response.text or ""})
    return Step(response.at, response.by, "record_contact", {"channel": "phone", "result": "reached"})


def _closing_step(closing: Closing) -> Step:
    arguments: dict[str, object] = {"outcome": closing.outcome}
    if closing.referred_to:
        arguments["referred_to"] = closing.referred_to
    return Step(closing.at, closing.by, "close", arguments)


LATER = ("triage", "assignment", "hand_off", "attempts", "first_response", "child_welfare_notified_at", "referral",
         "not_reached_notice", "closing", "reopening", "feedback")  # a case's path, in the order it happens


def _when(part: object) -> datetime:
    match part:
        case datetime():
            return part
        case HandOff():
            return part.assignment.at
        case Reopening():
            return part.closing.at  # a reopening happens whole or not at all
        case (datetime() as at, str()):
            return at
        case Triage() | Assignment() | Response() | Closing() | Feedback():
            return part.at
    raise TypeError(f"no time for {part!r}")


def cut(plan: PlannedCase, stop: datetime) -> PlannedCase:
    """The case as it stands at ``stop``: nothing that would happen then or later has happened."""
    for index, name in enumerate(LATER):
        value = getattr(plan, name)
        if name == "attempts":
            kept = tuple(a for a in plan.attempts if a.at < stop)
            if len(kept) < len(plan.attempts):
                return replace(plan, attempts=kept, **_nothing(LATER[index + 1:]))
        elif value is not None and _when(value) >= stop:
            return replace(plan, **_nothing(LATER[index:]))
    return plan


def _nothing(names: Sequence[str]) -> dict[str, Any]:
    return {name: () if name == "attempts" else None for name in names}
