"""The fault suite's rows for recorded phone contacts: what notify owes for them, and what counts as lost or doubled."""

from __future__ import annotations

import uuid
from typing import Any

from services.notify.projection import notification_id
from tests.faults.check import Event, Report, expected_notifications
from tests.faults.recorded import RecordedContacts, RecordedFacts, judge_recorded


def event(kind: str, case_id: str, payload: dict[str, Any]) -> Event:
    return Event(event_id=str(uuid.uuid4()), type=kind, case_id=case_id, payload=payload, topic="t", partition=0,
                 offset=0)


def test_a_recorded_contact_owes_the_coordinators_word_and_a_receipt_only_when_asked() -> None:
    with_receipt = event("request.recorded", "a", {"contact_method": "sms", "receipt": True,
                                                   "answered_in_contact": False, "submission_id": "r1"})
    without = event("request.recorded", "b", {"contact_method": "sms", "receipt": False, "submission_id": "r2"})
    answered = event("request.recorded", "c", {"contact_method": "email", "receipt": True,
                                               "answered_in_contact": True, "submission_id": "r3"})
    expected = expected_notifications([with_receipt, without, answered, answered])
    ids = {e.event_id: uuid.UUID(e.event_id) for e in (with_receipt, without, answered)}
    assert set(expected) == {
        *(str(notification_id(cause, "coordinators", "staff_new_case")) for cause in ids.values()),
        str(notification_id(ids[with_receipt.event_id], "family", "contact_receipt")),
        str(notification_id(ids[answered.event_id], "family", "contact_receipt_answered"))}


def judged(recorder: RecordedContacts, events: list[Event], facts: RecordedFacts, routing: set[str]) -> dict[str, str]:
    report = Report()
    judge_recorded(report, events, facts, recorder, routing)
    return {row.label: row.value for row in report.rows if row.must_be_zero and not row.zero}


def test_lost_and_doubled_recordings_are_counted() -> None:
    recorder = RecordedContacts("http://routing")
    kept, doubled, lost = (recorder.new("varsinais-suomi") for _ in range(3))
    for recording, cases in ((kept, {"c1"}), (doubled, {"c2", "c3"}), (lost, {"c4"})):
        recording.accepted_with, recording.case_ids = 201, cases
    events = [event("request.recorded", case, {"submission_id": r.recording_id})
              for r, case in ((kept, "c1"), (doubled, "c2"), (doubled, "c3"))]
    facts = RecordedFacts(routing={kept.recording_id: "c1", doubled.recording_id: "c2"},
                          channels={"c1": "phone", "c2": "phone"})
    assert judged(recorder, events, facts, {"c1", "c2"}) == {
        "recorded contacts lost: not in routing's recordings": "1",
        "recorded contacts lost: not on the Kafka case topic": "1",
        "recorded contacts lost: not in routing's projection": "1",
        "recorded contacts lost: not counted by reporting as phone contacts": "1",
        "recorded contacts applied twice: two cases or two request.recorded for one recording": "1",
        "reporting: phone contacts minus recorded contacts accepted": "-1"}
    recorder.recordings = [kept]
    assert judged(recorder, events[:1], RecordedFacts({kept.recording_id: "c1"}, {"c1": "phone"}), {"c1"}) == {}
