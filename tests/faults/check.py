"""After the faults: read what every part holds and count what was lost, doubled or sent twice.

The sources are independent of each other: the families' own record of what was accepted
(the load generator), intake's table, the Kafka case topics read raw from offset 0, routing's
and reporting's projection tables read directly from PostgreSQL, notify's ledger, and the
journals of the SMTP server and the SMS gateway.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.notify.projection import CHANNEL_BY_CONTACT, notification_id
from shared.topics import cases_topic, dead_letter_topic
from tests.faults.callbacks import expected_callback_notifications, judge_callbacks, moves_callback
from tests.faults.followups import WROTE_AGAIN, doubled_replies, judge_followups
from tests.faults.links import LinkWork, judge_links
from tests.faults.load import FamilyLoad, StaffWork
from tests.faults.recorded import (
    RecordedContacts,
    RecordedFacts,
    expected_recorded_notifications,
    judge_recorded,
)
from tests.faults.referrals import ReferralWork, expected_referral_notifications, judge_referrals
from tests.faults.sinks import Received, read_journal
from tests.faults.system import System


@dataclass(frozen=True)
class Event:
    event_id: str
    type: str
    case_id: str
    payload: dict[str, Any]
    topic: str
    partition: int
    offset: int


@dataclass
class FaultRecord:
    """One fault: when it was injected, when the part came back, how long until all was well again."""

    name: str
    target: str
    injected_at: float  # monotonic
    injected_wall: float  # time.time() as the kill began, to compare with the sinks' journals
    broken_wall: float = 0.0  # time.time() once the kill had been done
    restored_at: float = 0.0
    down_s: float = 0.0
    recovered_s: float | None = None
    bound_s: float | None = None  # the longest recovery allowed, if the fault has a bound of its own
    accepted_while_down: int = 0
    refused_while_down: int = 0
    unavailable_while_down: int = 0  # 503 answers among the refused
    kafka_down_seen: int = 0  # intake's /readyz saying so while the broker was away
    outbox_depth_seen: int = 0  # the deepest intake's outbox was while the part was away
    lag_seen: dict[str, int] = field(default_factory=dict)  # the most /readyz showed after the restart
    notes: list[str] = field(default_factory=list)

    @property
    def over_bound(self) -> bool:
        """Recovered later than its bound allows, or never."""
        return self.bound_s is not None and (self.recovered_s is None or self.recovered_s > self.bound_s)


async def read_all(bootstrap: str, topics: list[str], timeout: float = 60.0) -> list[Any]:
    """Every record of ``topics`` from offset 0 to today's end offsets."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", max_partition_fetch_bytes=8 * 1024 * 1024)
    await consumer.start()
    try:
        parts = [TopicPartition(t, p) for t in topics for p in sorted(await _partitions(consumer, t))]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(parts)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"read {len(records)} records of {topics} and not reached the end")
            batch = await consumer.getmany(timeout_ms=500)
            for recs in batch.values():
                records.extend(recs)
        return records
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    for _ in range(50):
        found = consumer.partitions_for_topic(topic)
        if found:
            return set(found)
        await consumer._client.force_metadata_update()  # noqa: SLF001 - aiokafka has no public way
    raise RuntimeError(f"no partitions for {topic}")


@dataclass
class Facts:
    events: list[Event]
    dead_letters: int
    intake: dict[str, str]  # submission id -> case id
    routing_cases: set[str]
    routing_timeline: dict[str, set[str]]  # case id -> event ids
    reporting_rows: list[str]  # case ids, as many as there are rows
    processed: dict[str, int]  # projection schema -> processed event ids
    due: dict[str, tuple[str, str]]  # notification id -> (recipient, template)
    deliveries: dict[str, tuple[str, int]]  # notification id -> (status, attempts)
    received: list[Received]
    intake_messages: dict[str, str]  # the families' later messages intake stored: message id -> case id
    routing_waiting: set[str]  # cases routing shows waiting for staff because the family wrote
    reporting_counted: int = 0  # the requests reporting's rollup counts as contacts (dimension "all")
    reporting_merged: int = 0  # and as merged duplicates


async def collect(system: System, regions: list[str]) -> Facts:
    bootstrap = system.kafka.bootstrap
    raw = await read_all(bootstrap, [cases_topic(system.prefix, r) for r in regions])
    events = []
    for record in raw:
        value = json.loads(record.value)
        events.append(Event(event_id=value["event_id"], type=value["type"], case_id=value["case_id"],
                            payload=value.get("payload") or {}, topic=record.topic, partition=record.partition,
                            offset=record.offset))
    dead = await read_all(bootstrap, [dead_letter_topic(system.prefix, r) for r in regions])
    conn = await asyncpg.connect(system.dsn)
    try:
        intake = {str(r["submission_id"]): str(r["case_id"])
                  for r in await conn.fetch("SELECT submission_id, case_id FROM intake.requests")}
        routing_cases = {str(r["case_id"]) for r in await conn.fetch("SELECT case_id FROM routing_projection.cases")}
        intake_messages = {str(r["write_id"]): str(r["case_id"]) for r in await conn.fetch(
            "SELECT write_id, case_id FROM intake.family_writes WHERE kind = 'message' AND event_id IS NOT NULL")}
        routing_waiting = {str(r["case_id"]) for r in await conn.fetch(
            "SELECT case_id FROM routing_projection.cases WHERE awaiting_since IS NOT NULL OR unread_messages > 0")}
        timeline: dict[str, set[str]] = defaultdict(set)
        for r in await conn.fetch("SELECT case_id, event_id FROM routing_projection.case_timeline"):
            timeline[str(r["case_id"])].add(str(r["event_id"]))
        reporting_rows = [str(r["case_id"])
                          for r in await conn.fetch("SELECT case_id FROM reporting_projection.case_facts")]
        rollup = {r["dim"]: int(r["n"]) for r in await conn.fetch(
            "SELECT dim, sum(n) AS n FROM reporting_projection.fact_cells WHERE dim IN ('all', 'merged') GROUP BY 1")}
        processed = {}
        for service in ("intake", "routing", "notify", "reporting"):
            processed[service] = int(await conn.fetchval(f"SELECT count(*) FROM {service}_projection.processed_events"))
        due = {str(r["notification_id"]): (r["recipient"], r["template"]) for r in await conn.fetch(
            "SELECT notification_id, recipient, template FROM notify_projection.notifications_due"
            " WHERE due_since <= now() AND withdrawn_at IS NULL")}  # a reminder waits for its time or is taken back
        deliveries = {str(r["notification_id"]): (r["status"], int(r["attempts"])) for r in await conn.fetch(
            "SELECT notification_id, status, attempts FROM notify.deliveries")}
    finally:
        await conn.close()
    received = read_journal(system.mail_journal) + read_journal(system.sms_journal)
    return Facts(events=events, dead_letters=len(dead), intake=intake, routing_cases=routing_cases,
                 routing_timeline=dict(timeline), reporting_rows=reporting_rows, processed=processed, due=due,
                 deliveries=deliveries, received=received, intake_messages=intake_messages,
                 routing_waiting=routing_waiting, reporting_counted=rollup.get("all", 0),
                 reporting_merged=rollup.get("merged", 0))


def expected_notifications(events: list[Event]) -> dict[str, str]:
    """What notify must send for these events (id -> a label), by the rules in docs/notifications.md."""
    contact: dict[str, str] = {}
    expected: dict[str, str] = {}
    holder: dict[str, str] = {}  # who hears that the family wrote again: the assignee, else the team
    unique = {e.event_id: e for e in events}.values()
    for e in unique:
        if e.type == "request.submitted":
            contact[e.case_id] = e.payload["contact_method"]
    for e in unique:
        cause = uuid.UUID(e.event_id)
        if e.type == "request.submitted":
            if CHANNEL_BY_CONTACT.get(e.payload["contact_method"]):
                expected[str(notification_id(cause, "family", "request_receipt"))] = "receipt to the family"
            expected[str(notification_id(cause, "coordinators", "staff_new_case"))] = "new case to coordinators"
        elif e.type == "reply.sent" and CHANNEL_BY_CONTACT.get(contact.get(e.case_id, "anonymous")):
            expected[str(notification_id(cause, "family", "reply_waiting"))] = "reply waiting to the family"
        elif e.type in ("case.assigned", "case.handed_off"):
            kind, who = e.payload["assignee_kind"], e.payload["assignee_id"]
            recipient = f"staff:{who}" if kind == "professional" else f"team:{e.payload['team_id']}"
            expected[str(notification_id(cause, recipient, "staff_assigned"))] = "assignment to the team"
            holder[e.case_id] = recipient if kind == "professional" or e.payload.get("team_id") else "coordinators"
        elif e.type == "family.message_added":
            recipient = holder.get(e.case_id, "coordinators")
            expected[str(notification_id(cause, recipient, "family_wrote_again"))] = WROTE_AGAIN
    return (expected | expected_callback_notifications(events, contact) | expected_recorded_notifications(events)
            | expected_referral_notifications(events))


@dataclass
class Row:
    label: str
    value: str
    must_be_zero: bool = False
    zero: bool = True


# What the columns of the faults' table mean, under it.
FAULT_LEGEND = (
    "  (down: from the kill until the part was started again; recovered: from then until a killed",
    "   service's /readyz was 200 with its consumer assigned and it had applied every record and",
    "   published every outbox row there were at its restart; after Kafka or PostgreSQL, until every",
    "   service's /readyz, notify's after SMTP with no retry left, was 200 with consumer lag 0 and",
    "   outbox depth 0; bound: the longest recovery allowed;",
    "   accepted/refused: requests answered while the part was down)",
)


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    faults: list[FaultRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    explained: list[str] = field(default_factory=list)
    legend: tuple[str, ...] = FAULT_LEGEND

    def add(self, label: str, value: int | str, must_be_zero: bool = False) -> None:
        zero = not must_be_zero or value == 0
        self.rows.append(Row(label, str(value), must_be_zero, zero))
        if not zero:
            self.problems.append(f"{label}: {value}")

    def render(self, title: str) -> str:
        width = max(len(r.label) for r in self.rows) + 2
        lines = [title, "=" * len(title), ""]
        if self.faults:
            lines.append(f"{'fault':<34}{'down (s)':>10}{'recovered (s)':>15}{'bound (s)':>11}{'accepted':>10}"
                         f"{'refused':>9}")
            for f in self.faults:
                rec = f"{f.recovered_s:.1f}" if f.recovered_s is not None else "never"
                bound = "-" if f.bound_s is None else f"{f.bound_s:g}" + (" <--" if f.over_bound else "")
                lines.append(f"{f.name:<34}{f.down_s:>10.1f}{rec:>15}{bound:>11}{f.accepted_while_down:>10}"
                             f"{f.refused_while_down:>9}")
            lines.extend(self.legend)
            lines.append("")
        for r in self.rows:
            mark = "" if not r.must_be_zero else ("  ok" if r.zero else "  <-- must be 0")
            lines.append(f"{r.label:<{width}}{r.value:>10}{mark}")
        for f in self.faults:
            for note in f.notes:
                lines.append(f"note ({f.name}): {note}")
        for text in self.explained:
            lines.append(f"explained: {text}")
        if self.problems:
            lines.append("")
            lines.append("NOT ZERO: " + "; ".join(self.problems))
        return "\n".join(lines) + "\n"


def judge(facts: Facts, load: FamilyLoad, staff: StaffWork, faults: list[FaultRecord], seconds: float,
          recorded: tuple[RecordedContacts, RecordedFacts] | None = None, links: LinkWork | None = None,
          referrals: ReferralWork | None = None) -> Report:
    report = Report(faults=faults)
    accepted = load.accepted()
    counts = load.counts()
    report.add("faults injected", len(faults))
    report.add("load time (s)", f"{seconds:.0f}")
    report.add("requests sent (distinct submission ids)", len(load.submissions))
    report.add("requests accepted (201/200)", len(accepted))
    report.add("  answer time median / 95th percentile (s)", f"{load.latency(0.5):.2f}/{load.latency(0.95):.2f}")
    report.add("  answered 201 Created", counts["201"])
    report.add("  answered 200 (a retry of one stored before)", counts["200"])
    report.add("  refused with 503 + Retry-After (retried)", counts["503"])
    report.add("  refused: no connection or timeout (retried)", counts["connection"])
    others = sum(v for k, v in counts.items() if k.startswith("other:"))
    report.add("  other answers", others, must_be_zero=True)
    report.add("requests never accepted after retrying", len(load.submissions) - len(accepted), must_be_zero=True)

    # Lost: accepted, but missing somewhere it must be.
    submitted: dict[str, set[str]] = defaultdict(set)  # submission id -> case ids on the topic
    submitted_events: dict[str, set[str]] = defaultdict(set)
    for e in facts.events:
        if e.type == "request.submitted":
            submitted[e.payload["submission_id"]].add(e.case_id)
            submitted_events[e.payload["submission_id"]].add(e.event_id)
    lost_intake = [s for s in accepted if facts.intake.get(s.submission_id) != s.case_id]
    lost_topic = [s for s in accepted if s.case_id not in submitted.get(s.submission_id, set())]
    lost_routing = [s for s in accepted if s.case_id not in facts.routing_cases]
    reporting_ids = Counter(facts.reporting_rows)
    lost_reporting = [s for s in accepted if s.case_id not in reporting_ids]
    report.add("requests lost: not in intake's table", len(lost_intake), must_be_zero=True)
    report.add("requests lost: not on the Kafka case topic", len(lost_topic), must_be_zero=True)
    report.add("requests lost: not in routing's projection", len(lost_routing), must_be_zero=True)
    report.add("requests lost: not in reporting's case_facts", len(lost_reporting), must_be_zero=True)

    # Applied twice.
    two_cases = sum(1 for s in accepted if len(s.case_ids) > 1 or len(submitted.get(s.submission_id, ())) > 1)
    two_events = sum(1 for ids in submitted_events.values() if len(ids) > 1)
    report.add("requests applied twice: two case ids for one submission", two_cases, must_be_zero=True)
    report.add("requests applied twice: two request.submitted events", two_events, must_be_zero=True)
    report.add("reporting: cases counted more than once", sum(1 for n in reporting_ids.values() if n > 1),
               must_be_zero=True)
    report.add("reporting: case_facts rows", len(facts.reporting_rows))
    recordings = len(recorded[0].accepted()) if recorded else 0  # the coordinators' phone contacts, counted too
    report.add("reporting: rows minus requests and recorded contacts accepted",
               len(facts.reporting_rows) - len(accepted) - recordings, must_be_zero=True)
    republished = len(facts.events) - len({e.event_id for e in facts.events})
    report.add("records the relays published again (same event id)", republished)

    # Every event on the stream, in every projection, once.
    unique_events: dict[str, Event] = {e.event_id: e for e in facts.events}
    by_case: dict[str, set[str]] = defaultdict(set)
    for e in unique_events.values():
        by_case[e.case_id].add(e.event_id)
    timeline_missing = sum(len(ids - facts.routing_timeline.get(case, set())) for case, ids in by_case.items())
    timeline_extra = sum(len(ids - by_case.get(case, set())) for case, ids in facts.routing_timeline.items())
    report.add("events on the case topics (distinct)", len(unique_events))
    report.add("events missing from routing's case timelines", timeline_missing, must_be_zero=True)
    report.add("timeline entries with no event on the topic", timeline_extra, must_be_zero=True)
    for service, n in facts.processed.items():
        report.add(f"{service}: events processed minus events on the topics", n - len(unique_events),
                   must_be_zero=True)
    report.add("records in the dead-letter topics", facts.dead_letters, must_be_zero=True)
    steps = Counter(e.type for e in unique_events.values())
    report.add("staff commands that succeeded", sum(staff.counts.commands.values()))
    per_case_twice = doubled_replies(facts.events)  # a second reply answers the family's follow-up, or nothing
    for kind in ("case.triaged", "case.assigned", "case.closed"):
        per_case = Counter(e.case_id for e in unique_events.values() if e.type == kind)
        per_case_twice += sum(1 for n in per_case.values() if n > 1)
    report.add("staff commands applied twice (a step twice on a case)", per_case_twice, must_be_zero=True)
    report.add("  cases triaged / assigned / replied / closed",
               f"{steps['case.triaged']}/{steps['case.assigned']}/{steps['reply.sent']}/{steps['case.closed']}")
    conflicts = sum(v for k, v in staff.counts.answers.items() if k.endswith(": 409"))
    report.add("  staff commands refused as stale (409)", conflicts)

    # Notifications: what the rules say must go, against what the sinks received.
    expected = expected_notifications(facts.events)
    everything_due = set(expected) | set(facts.due)
    copies = Counter(r.id for r in facts.received)
    family = {nid for nid, label in expected.items() if label.endswith("to the family")}
    report.add("notifications expected to families (receipts, replies, call times)", len(family))
    report.add("notifications expected to staff mailboxes", len(expected) - len(family))
    report.add("other notifications notify made due (deadlines, failures)", len(set(facts.due) - set(expected)))
    report.add("messages the SMTP server and SMS gateway received", len(facts.received))
    missing = sorted(everything_due - set(copies))
    report.add("notifications missing", len(missing), must_be_zero=True)
    report.add("  of which to families", len(set(missing) & family), must_be_zero=True)
    not_due = sorted(set(expected) - set(facts.due))
    report.add("notifications notify never made due", len(not_due), must_be_zero=True)
    statuses = Counter(status for status, _ in facts.deliveries.values())
    report.add("notifications failed or expired in notify's ledger", statuses["failed"] + statuses["expired"],
               must_be_zero=True)
    unknown = sorted(set(copies) - everything_due)
    report.add("messages received that nobody ordered", len(unknown), must_be_zero=True)
    twice, resent = _classify_copies(facts.received, faults)
    report.add("notifications sent twice", len(twice), must_be_zero=True)
    report.add("resent once after a crash between send and bookkeeping", len(resent))
    judge_followups(report, facts, load, expected, set(copies), set(twice))
    if recorded is not None:
        judge_recorded(report, facts.events, recorded[1], recorded[0], facts.routing_cases)
    plans = {s.case_id: moves_callback(s, staff.every) for s in load.accepted() if s.case_id in staff.worked}
    judge_callbacks(report, facts.events, plans, expected, set(copies), set(twice))
    if links is not None:
        judge_links(report, facts, links)
    if referrals is not None:
        judge_referrals(report, facts.events, referrals)
    for nid, fault in resent:
        report.explained.append(
            f"notification {nid} reached the sink, then {fault} before notify recorded the delivery; it was "
            "sent again under the same Message-ID / Idempotency-Key (docs/notifications.md)")
    return report


def _classify_copies(received: list[Received], faults: list[FaultRecord]) -> tuple[list[str], list[tuple[str, str]]]:
    """Copies of a notification: a documented resend when the first copy arrived just before a crash of
    notify or its database (or the SMTP server went away mid-answer); anything else is a duplicate."""
    crashes = [f for f in faults if f.target in ("notify", "postgres", "smtp")]
    by_id: dict[str, list[float]] = defaultdict(list)
    for r in received:
        by_id[r.id].append(r.at)
    twice: list[str] = []
    resent: list[tuple[str, str]] = []
    for nid, times in by_id.items():
        if len(times) < 2:
            continue
        times.sort()
        # The first copy arrived in the last seconds before the part died (up to the moment the kill was
        # done: a message can land while SIGKILL is on its way), the second after.
        fault = next((f for f in crashes if f.injected_wall - 5.0 <= times[0] <= max(f.broken_wall, f.injected_wall)
                      and times[1] >= f.injected_wall), None)
        if len(times) == 2 and fault is not None:
            resent.append((nid, f"{fault.name}"))
        else:
            twice.append(nid)
    return twice, resent
