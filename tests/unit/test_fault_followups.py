"""The fault suite's follow-ups: when the coordinators wait for one, and how the check counts them."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from shared.regions import Regions
from tests.faults.check import Event, Facts, Report, expected_notifications
from tests.faults.followups import doubled_replies, judge_followups, unanswered
from tests.faults.load import FamilyLoad, FollowUp, Outcome, StaffWork, Submission

OFFSETS = itertools.count()


def event(kind: str, case_id: str, payload: dict[str, Any] | None = None, event_id: str | None = None) -> Event:
    return Event(event_id=event_id or str(uuid.uuid4()), type=kind, case_id=case_id, payload=payload or {},
                 topic="t", partition=0, offset=next(OFFSETS))


def facts(events: list[Event], **overrides: Any) -> Facts:
    timeline: dict[str, set[str]] = {}
    for e in events:
        timeline.setdefault(e.case_id, set()).add(e.event_id)
    values: dict[str, Any] = {
        "events": events, "dead_letters": 0, "intake": {}, "routing_cases": set(timeline),
        "routing_timeline": timeline, "reporting_rows": [], "processed": {}, "due": {}, "deliveries": {},
        "received": [], "intake_messages": {}, "routing_waiting": set()}
    return Facts(**{**values, **overrides})


def rows(report: Report) -> dict[str, str]:
    return {row.label: row.value for row in report.rows}


def test_a_second_reply_counts_twice_only_when_no_family_message_came_between() -> None:
    answered, doubled = str(uuid.uuid4()), str(uuid.uuid4())
    events = [event("reply.sent", answered), event("family.message_added", answered), event("reply.sent", answered),
              event("reply.sent", doubled), event("reply.sent", doubled)]
    republished = event("reply.sent", answered, event_id=events[0].event_id)  # a relay's second copy
    assert doubled_replies([*events, republished]) == 1
    assert unanswered(events) == set()
    assert unanswered([*events, event("family.message_added", doubled)]) == {doubled}


def test_the_check_finds_a_follow_up_lost_doubled_unanswered_and_its_e_mail_missing() -> None:
    load = FamilyLoad("http://intake", Regions([]), rate=1.0)
    cases = [str(uuid.uuid4()) for _ in range(3)]
    ups = [FollowUp(case_id=c, body={"message_id": str(uuid.uuid4())}, created_at=0.0, accepted_at=1.0,
                    accepted_with=201) for c in cases]
    load.followups = {f.case_id: f for f in ups}
    load.followup_outcomes = [Outcome(1.0, "201", 0.1)] * 3 + [Outcome(1.0, "503", 0.1)]
    events = []
    for c in cases:
        events += [event("request.submitted", c, {"contact_method": "anonymous", "submission_id": c}),
                   event("case.assigned", c, {"assignee_kind": "team", "assignee_id": "t", "team_id": "t"}),
                   event("reply.sent", c)]
    # The first is answered; the second is on the topic twice and unanswered; the third never reached the topic.
    events += [event("family.message_added", cases[0], {"message_id": ups[0].message_id}),
               event("reply.sent", cases[0]),
               event("family.message_added", cases[1], {"message_id": ups[1].message_id}),
               event("family.message_added", cases[1], {"message_id": ups[1].message_id})]
    known = facts(events, intake_messages={f.message_id: f.case_id for f in ups}, routing_waiting={cases[0]})
    expected = expected_notifications(events)
    told = {nid for nid, label in expected.items() if label.startswith("the family wrote again")}
    report = Report()
    judge_followups(report, known, load, expected, received=set(list(told)[:1]), twice=set())
    got = rows(report)
    assert got["follow-ups accepted (201/200)"] == "3"
    assert got["  refused with 503 / no connection or timeout (retried)"] == "1/0"
    assert got["follow-ups lost: not on the Kafka case topic (family.message_added)"] == "1"
    assert got["follow-ups lost: not in intake's family_writes"] == "0"
    assert got["follow-ups applied twice: two events for one message id"] == "1"
    assert got["follow-ups answered by a second reply"] == "1"  # the third is lost, not answered
    assert got["follow-ups not answered when the load stopped"] == "1"
    assert got["follow-ups replied to afterwards that routing still shows waiting"] == "1"
    assert got["follow-ups not replied to that routing shows answered"] == "1"
    assert got["follow-up notifications expected (family_wrote_again)"] == "3"
    assert got["follow-up notifications missing"] == "2"
    assert sorted(p.rsplit(": ", 1)[0] for p in report.problems) == sorted([
        "follow-ups lost: not on the Kafka case topic (family.message_added)",
        "follow-ups applied twice: two events for one message id",
        "follow-ups replied to afterwards that routing still shows waiting",
        "follow-ups not replied to that routing shows answered", "follow-up notifications missing"])


def test_coordinators_wait_for_the_follow_up_answer_it_and_only_then_close() -> None:
    load = FamilyLoad("http://intake", Regions([]), rate=1.0)
    staff = StaffWork("http://routing", load, Regions([]), every=5)
    by_email = {"contact": {"method": "email"}}  # no number: no call before the written answer
    chosen = Submission(n=10, body=by_email, region="r", created_at=0.0, case_id="c1", pickup_code="CODE")
    other = Submission(n=5, body=by_email, region="r", created_at=0.0, case_id="c2", pickup_code="CODE")
    replied = ["request.submitted", "case.triaged", "case.assigned", "reply.sent"]
    assert staff.next_step(chosen, replied[:2]) == "assign"
    assert staff.next_step(other, replied) == "close"
    assert staff.next_step(chosen, replied) == "wait"  # the family is not sending (no load running): it waits
    load.followups["c1"] = FollowUp(case_id="c1", body={"message_id": "m"}, created_at=0.0)
    assert staff.next_step(chosen, replied) == "wait" and load.followup_pending("c1")
    load.followups["c1"].accepted_at = 1.0
    assert staff.next_step(chosen, replied) == "wait"  # accepted, not yet in routing's timeline
    assert staff.next_step(chosen, [*replied, "family.message_added"]) == "reply"
    assert staff.next_step(chosen, [*replied, "family.message_added", "reply.sent"]) == "close"
    assert staff.next_step(chosen, [*replied, "family.message_added", "reply.sent", "case.closed"]) is None
    load.followups["c1"] = FollowUp(case_id="c1", body={"message_id": "m"}, created_at=0.0, gave_up="other:409")
    assert staff.next_step(chosen, replied) == "close"
