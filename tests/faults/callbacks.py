"""Calls to the families during the faults: scheduled, sometimes moved, made; each family told once per change.

A coordinator who works a case whose family left a phone number schedules a call for the next
business day before answering in writing; every second such call is moved once (the family hears
of the new time), and then the call is recorded as having reached the family, which also takes
back the caller's reminder. The rules of docs/notifications.md say what notify owes for each:
one message to the family per ``callback.scheduled`` (``callback_scheduled`` or, for a move,
``callback_changed``) and per ``callback.cancelled``.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from services.notify.projection import CHANNEL_BY_CONTACT, notification_id
from shared.businessdays import HELSINKI, add_business_days

if TYPE_CHECKING:
    from tests.faults.check import Event, Report
    from tests.faults.load import Submission

CALLBACK_TO_FAMILY = "a call's time to the family"  # the label of these notifications among the expected
CALLABLE = ("phone", "sms")
CALL_STEPS = ("schedule_callback", "move_callback", "record_contact")


def wants_callback(submission: Submission) -> bool:
    return submission.contact_method in CALLABLE


def moves_callback(submission: Submission, every: int) -> bool:
    return (submission.n // every) % 2 == 1


def callback_step(submission: Submission, timeline: list[str], every: int) -> str | None:
    """The call's next step on an assigned case, from its timeline; None when the call is behind it."""
    if not wants_callback(submission) or "contact.attempted" in timeline:
        return None
    scheduled = timeline.count("callback.scheduled")
    if scheduled == 0:
        return "schedule_callback"
    if scheduled == 1 and moves_callback(submission, every):
        return "move_callback"
    return "record_contact"


def callback_arguments(step: str) -> dict[str, Any]:
    """The command's arguments: tomorrow's (the next business day's) morning, or its afternoon once moved."""
    day = add_business_days(datetime.now(UTC).astimezone(HELSINKI).date(), 1).isoformat()
    if step == "schedule_callback":
        return {"day": day, "start": "10:00", "end": "11:00"}
    if step == "move_callback":
        return {"day": day, "start": "13:00", "end": "14:00"}
    return {"channel": "phone", "result": "reached"}


def expected_callback_notifications(events: list[Event], contact: dict[str, str]) -> dict[str, str]:
    """What notify owes the families for the calls among ``events`` (each event once): id -> label."""
    expected: dict[str, str] = {}
    for e in {e.event_id: e for e in events}.values():
        if not CHANNEL_BY_CONTACT.get(contact.get(e.case_id, "anonymous")):
            continue
        template = {"callback.cancelled": "callback_cancelled", "contact.not_reached_notice": "not_reached_notice"
                    }.get(e.type)
        if e.type == "callback.scheduled":
            template = "callback_changed" if e.payload.get("replaces") else "callback_scheduled"
        if template is not None:
            expected[str(notification_id(uuid.UUID(e.event_id), "family", template))] = CALLBACK_TO_FAMILY
    return expected


def judge_callbacks(report: Report, events: list[Event], plans: dict[str, bool], expected: dict[str, str],
                    received: set[str], twice: set[str]) -> None:
    """The calls' rows of the table; ``plans`` says of each worked case whether its call was to be moved,
    ``received`` and ``twice`` are notification ids from the sinks."""
    unique = list({e.event_id: e for e in events}.values())
    kinds = Counter(e.type for e in unique)
    moved = sum(1 for e in unique if e.type == "callback.scheduled" and e.payload.get("replaces"))
    report.add("calls scheduled / of which moved / attempts recorded",
               f"{kinds['callback.scheduled'] - moved}/{moved}/{kinds['contact.attempted']}")
    scheduled = Counter(e.case_id for e in unique if e.type == "callback.scheduled")
    attempts = Counter(e.case_id for e in unique if e.type == "contact.attempted")
    report.add("calls scheduled or recorded more often than the coordinator meant",
               sum(1 for case, n in scheduled.items() if n > (2 if plans.get(case) else 1))
               + sum(1 for n in attempts.values() if n > 1), must_be_zero=True)
    told = {nid for nid, label in expected.items() if label == CALLBACK_TO_FAMILY}
    report.add("call times expected to families (scheduled, moved, cancelled)", len(told))
    report.add("call times to families missing", len(told - received), must_be_zero=True)
    report.add("call times to families sent twice", len(told & twice), must_be_zero=True)
