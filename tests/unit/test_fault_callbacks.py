"""The fault suite's calls: when a coordinator schedules, moves and makes one, and how the check counts them."""

from __future__ import annotations

import uuid

from services.notify.projection import notification_id
from shared.regions import Regions
from tests.faults.callbacks import CALLBACK_TO_FAMILY, callback_arguments, judge_callbacks
from tests.faults.check import Report, expected_notifications
from tests.faults.load import FamilyLoad, StaffWork, Submission
from tests.unit.test_fault_followups import event, rows

ASSIGNED = ["request.submitted", "case.triaged", "case.assigned"]


def submission(n: int, method: str) -> Submission:
    return Submission(n=n, body={"contact": {"method": method}}, region="r", created_at=0.0, case_id=f"c{n}")


def test_a_family_with_a_number_is_called_before_the_written_answer_and_every_second_call_is_moved() -> None:
    staff = StaffWork("http://routing", FamilyLoad("http://intake", Regions([]), rate=1.0), Regions([]), every=5)
    moved, kept, by_email = submission(5, "phone"), submission(10, "sms"), submission(15, "email")
    assert staff.next_step(moved, ASSIGNED) == "schedule_callback"
    assert staff.next_step(moved, [*ASSIGNED, "callback.scheduled"]) == "move_callback"
    assert staff.next_step(moved, [*ASSIGNED, "callback.scheduled", "callback.scheduled"]) == "record_contact"
    assert staff.next_step(kept, [*ASSIGNED, "callback.scheduled"]) == "record_contact"
    assert staff.next_step(kept, [*ASSIGNED, "callback.scheduled", "contact.attempted"]) == "reply"
    assert staff.next_step(by_email, ASSIGNED) == "reply"
    first, second = callback_arguments("schedule_callback"), callback_arguments("move_callback")
    assert first["day"] == second["day"] and first["start"] != second["start"]
    assert callback_arguments("record_contact") == {"channel": "phone", "result": "reached"}


def test_the_check_owes_each_call_change_to_the_family_once_and_finds_one_missing_or_doubled() -> None:
    phone, anonymous = str(uuid.uuid4()), str(uuid.uuid4())
    scheduled = event("callback.scheduled", phone, {"callback_id": "a", "replaces": None})
    moved = event("callback.scheduled", phone, {"callback_id": "b", "replaces": "a"})
    cancelled = event("callback.cancelled", phone, {"callback_id": "b"})
    events = [event("request.submitted", phone, {"contact_method": "phone"}),
              event("request.submitted", anonymous, {"contact_method": "anonymous"}), scheduled, moved, cancelled,
              event("contact.not_reached_notice", anonymous, {"attempts": 3})]
    expected = expected_notifications(events)
    calls = {nid for nid, label in expected.items() if label == CALLBACK_TO_FAMILY}
    assert calls == {str(notification_id(uuid.UUID(scheduled.event_id), "family", "callback_scheduled")),
                     str(notification_id(uuid.UUID(moved.event_id), "family", "callback_changed")),
                     str(notification_id(uuid.UUID(cancelled.event_id), "family", "callback_cancelled"))}
    doubled = str(notification_id(uuid.UUID(moved.event_id), "family", "callback_changed"))
    report = Report()
    judge_callbacks(report, [*events, event("callback.scheduled", phone, {"replaces": "b"})], {phone: True},
                    expected, received=calls - {doubled} | {doubled}, twice={doubled})
    got = rows(report)
    assert got["call times expected to families (scheduled, moved, cancelled)"] == "3"
    assert got["call times to families missing"] == "0"
    assert got["call times to families sent twice"] == "1"
    assert got["calls scheduled or recorded more often than the coordinator meant"] == "1"  # three for one move
    assert len(report.problems) == 2
