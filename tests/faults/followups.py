"""The families' follow-ups after the faults: each accepted one on the stream and in routing once, answered, told.

A follow-up is the family's later message on a case the coordinators answered (``load.FollowUp``).
The families' own record says which were accepted; intake's ``family_writes``, the case topics read
raw and routing's timeline and case rows say what became of them; notify's bookkeeping
(``check.expected_notifications``) owes each one e-mail to whoever has the case.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.faults.check import Event, Facts, Report
    from tests.faults.load import FamilyLoad

WROTE_AGAIN = "the family wrote again, to staff"  # the label of a follow-up's e-mail among the notifications


def in_order(events: list[Event]) -> dict[str, list[Event]]:
    """Each case's events, each event once (its first copy), in the order of its partition."""
    first: dict[str, Event] = {}
    for e in sorted(events, key=lambda e: (e.topic, e.partition, e.offset)):
        first.setdefault(e.event_id, e)
    by_case: dict[str, list[Event]] = defaultdict(list)
    for e in first.values():
        by_case[e.case_id].append(e)
    return by_case


def doubled_replies(events: list[Event]) -> int:
    """Cases with a reply that answers nothing: a second ``reply.sent`` with no family message since the first."""
    doubled = 0
    for case_events in in_order(events).values():
        replied = False
        for e in case_events:
            if e.type == "family.message_added":
                replied = False
            elif e.type == "reply.sent":
                if replied:
                    doubled += 1
                    break
                replied = True
    return doubled


def unanswered(events: list[Event]) -> set[str]:
    """Cases whose family wrote after the last reply (no ``reply.sent`` after their last message)."""
    waiting: set[str] = set()
    for case_id, case_events in in_order(events).items():
        for e in case_events:
            if e.type == "family.message_added":
                waiting.add(case_id)
            elif e.type == "reply.sent":
                waiting.discard(case_id)
    return waiting


def judge_followups(report: Report, facts: Facts, load: FamilyLoad, expected: dict[str, str],
                    received: set[str], twice: set[str]) -> None:
    """The follow-ups' rows of the table; ``received`` and ``twice`` are notification ids from the sinks."""
    followups = list(load.followups.values())
    accepted = [f for f in followups if f.accepted_at is not None]
    answers = Counter(o.kind for o in load.followup_outcomes)
    report.add("follow-ups sent (distinct message ids)", len(followups))
    report.add("follow-ups accepted (201/200)", len(accepted))
    report.add("  answered 201 Created / 200 (a retry of one stored before)", f"{answers['201']}/{answers['200']}")
    report.add("  refused with 503 / no connection or timeout (retried)", f"{answers['503']}/{answers['connection']}")
    report.add("  other answers to follow-ups", sum(v for k, v in answers.items() if k.startswith("other:")),
               must_be_zero=True)
    report.add("follow-ups never accepted after retrying", len(followups) - len(accepted), must_be_zero=True)

    on_topic: dict[str, set[str]] = defaultdict(set)  # message id -> event ids of family.message_added
    message_case: dict[str, str] = {}
    for e in facts.events:
        if e.type == "family.message_added":
            on_topic[str(e.payload["message_id"])].add(e.event_id)
            message_case[str(e.payload["message_id"])] = e.case_id
    lost_intake = [f for f in accepted if facts.intake_messages.get(f.message_id) != f.case_id]
    lost_topic = [f for f in accepted if message_case.get(f.message_id) != f.case_id]
    lost_routing = [f for f in accepted if not on_topic.get(f.message_id, set())
                    <= facts.routing_timeline.get(f.case_id, set())]
    report.add("follow-ups lost: not in intake's family_writes", len(lost_intake), must_be_zero=True)
    report.add("follow-ups lost: not on the Kafka case topic (family.message_added)", len(lost_topic),
               must_be_zero=True)
    report.add("follow-ups lost: on the topic, not in routing's timeline", len(lost_routing), must_be_zero=True)
    report.add("follow-ups applied twice: two events for one message id",
               sum(1 for ids in on_topic.values() if len(ids) > 1), must_be_zero=True)
    sent_ids = {f.message_id for f in followups}
    report.add("family messages on the topic that no family sent", len(set(on_topic) - sent_ids), must_be_zero=True)

    waiting = unanswered(facts.events)
    cases = {f.case_id for f in accepted if f.message_id in message_case}  # on the topic (else counted lost)
    report.add("follow-ups answered by a second reply", len(cases - waiting))
    report.add("follow-ups not answered when the load stopped", len(cases & waiting))
    report.add("follow-ups replied to afterwards that routing still shows waiting",
               len((cases - waiting) & facts.routing_waiting), must_be_zero=True)
    report.add("follow-ups not replied to that routing shows answered", len(cases & waiting - facts.routing_waiting),
               must_be_zero=True)

    told = {nid for nid, label in expected.items() if label == WROTE_AGAIN}
    report.add("follow-up notifications expected (family_wrote_again)", len(told))
    report.add("follow-up notifications missing", len(told - received), must_be_zero=True)
    report.add("follow-up notifications sent twice", len(told & twice), must_be_zero=True)
