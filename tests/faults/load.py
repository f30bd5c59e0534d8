"""Steady work while the faults happen: families sending requests, coordinators acting on some of them.

Families: ``rate`` new requests a second, each with a submission id of its own and an e-mail
address or a phone number, so that notify has something to send. A 201 or 200 is *accepted*;
a 503, a timeout or a refused connection is *refused*, and the same request (same submission
id) is sent again after ``Retry-After``, as the form does, until it is accepted.

Coordinators: every fifth accepted request is worked through triage, assignment to a team, a
call when the family left a phone number (scheduled, sometimes moved, made: ``callbacks.py``), a
written reply and closing. Each step is chosen from the case's timeline as routing shows it,
so a command whose answer was lost in a crash is never repeated blindly: the version check
refuses a stale one (409) and the next look shows what happened.

Follow-ups: every second case the coordinators reply to (of those whose family kept the pick-up
code of a 201) gets a later message from the family once the reply shows in routing, sent to
``POST /api/v1/status/messages`` with a message id of its own and retried like a request (the same
id, after ``Retry-After``, on a 503, a timeout or a refused connection); the coordinator waits for
it, answers it with a second reply, and only then closes the case.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.regions import Regions
from tests.faults.callbacks import CALL_STEPS, callback_arguments, callback_step
from tests.faults.coordinators import in_every_region, sign_in

MESSAGE = "Lapsemme nukkuu huonosti ja on ollut alakuloinen. Kenen kanssa voisimme puhua?"
TOPICS = ["finding_services", "family_change", "parent_coping", "child_emotions", "child_mental_wellbeing", "other"]


@dataclass
class Submission:
    n: int
    body: dict[str, Any]
    region: str
    created_at: float
    attempts: int = 0
    accepted_at: float | None = None
    accepted_with: int | None = None
    case_id: str | None = None
    case_ids: set[str] = field(default_factory=set)
    refusals: int = 0
    reference: str | None = None
    pickup_code: str | None = None  # only a 201 shows it

    @property
    def submission_id(self) -> str:
        return str(self.body["submission_id"])

    @property
    def contact_method(self) -> str:
        return str(self.body["contact"]["method"])


@dataclass
class FollowUp:
    """The family's later message on a case after the reply: one message id, however often it is sent."""

    case_id: str
    body: dict[str, Any]
    created_at: float
    attempts: int = 0
    accepted_at: float | None = None
    accepted_with: int | None = None
    refusals: int = 0
    gave_up: str | None = None  # an answer that is neither accepted nor worth sending again

    @property
    def message_id(self) -> str:
        return str(self.body["message_id"])

    @property
    def pending(self) -> bool:
        return self.accepted_at is None and self.gave_up is None


FOLLOW_UP = "Lapsi ei vieläkään nuku. Voisitteko soittaa jo tänään?"


@dataclass(frozen=True)
class Outcome:
    at: float
    kind: str  # "201", "200", "503", "connection", "other:<code>"
    took: float


class FamilyLoad:
    def __init__(self, intake: str, regions: Regions, rate: float, seed: int = 2026, max_in_flight: int = 60
                 ) -> None:
        self.intake = intake
        self.rate = rate
        self.random = random.Random(seed)
        self.places = [(r.id, m.id) for r in regions for m in r.municipalities]
        self.submissions: list[Submission] = []
        self.outcomes: list[Outcome] = []
        self.max_in_flight = max_in_flight
        self._tasks: set[asyncio.Task[None]] = set()
        self.giving_up_at: float | None = None
        self.skipped = 0
        self.followups: dict[str, FollowUp] = {}  # case id -> the family's follow-up on it
        self.followup_outcomes: list[Outcome] = []
        self._followup_tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None  # while ``run`` sends

    def new_submission(self) -> Submission:
        n = len(self.submissions)
        region, municipality = self.random.choice(self.places)
        kind = ("email", "sms", "phone")[n % 3]
        contact: dict[str, str] = {"method": kind, "name": "Testi Vanhempi"}
        if kind == "email":
            contact["email"] = f"perhe-{n}@example.fi"
        else:
            contact["phone"] = f"040 {n:07d}"
        body = {"submission_id": str(uuid.uuid4()), "municipality": municipality, "language": "fi",
                "requester_role": "parent", "topic": self.random.choice(TOPICS), "message": MESSAGE,
                "contact": contact}
        submission = Submission(n=n, body=body, region=region, created_at=time.monotonic())
        self.submissions.append(submission)
        return submission

    async def run(self, stop: asyncio.Event) -> None:
        """New requests at ``rate`` a second until ``stop``; refused ones keep being retried."""
        limits = httpx.Limits(max_connections=self.max_in_flight, max_keepalive_connections=20)
        async with httpx.AsyncClient(base_url=self.intake, timeout=15.0, limits=limits) as client:
            self._client = client
            started = time.monotonic()
            sent = 0
            while not stop.is_set():
                due = int((time.monotonic() - started) * self.rate) + 1
                while sent < due:
                    sent += 1
                    if len(self._tasks) >= self.max_in_flight:
                        self.skipped += 1  # that family waits: no backlog is built beyond what is in flight
                        continue
                    task = asyncio.create_task(self._until_accepted(client, self.new_submission()))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                await asyncio.sleep(0.02)
            self._client = None  # no new follow-up from here on; those under way are sent until accepted
            await self.drain(timeout=240)

    async def drain(self, timeout: float) -> None:
        """Wait until every request and follow-up sent is accepted (retries included)."""
        deadline = time.monotonic() + timeout
        while (self._tasks or self._followup_tasks) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        left = self._tasks | self._followup_tasks
        if left:
            self.giving_up_at = time.monotonic()
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)

    def follow_up(self, submission: Submission) -> bool:
        """The family writes again on its answered case (once per case); False while nothing is being sent."""
        if self._client is None or submission.case_id is None or submission.pickup_code is None:
            return False
        if submission.case_id in self.followups:
            return True
        body = {"reference": submission.reference, "pickup_code": submission.pickup_code,
                "message_id": str(uuid.uuid4()), "message": FOLLOW_UP}
        followup = FollowUp(case_id=submission.case_id, body=body, created_at=time.monotonic())
        self.followups[submission.case_id] = followup
        task = asyncio.create_task(self._follow_up_until_accepted(self._client, followup))
        self._followup_tasks.add(task)
        task.add_done_callback(self._followup_tasks.discard)
        return True

    def followup_pending(self, case_id: str) -> bool:
        """Whether the family's follow-up on the case is still being sent."""
        followup = self.followups.get(case_id)
        return followup is not None and followup.pending

    async def _follow_up_until_accepted(self, client: httpx.AsyncClient, followup: FollowUp) -> None:
        while True:
            followup.attempts += 1
            wait = 1.0
            sent_at = time.monotonic()
            try:
                response = await client.post("/api/v1/status/messages", json=followup.body)
            except httpx.HTTPError:
                self.followup_outcomes.append(Outcome(time.monotonic(), "connection", time.monotonic() - sent_at))
                followup.refusals += 1
            else:
                code = response.status_code
                kind = str(code) if code in (200, 201, 503) else f"other:{code}"
                self.followup_outcomes.append(Outcome(time.monotonic(), kind, time.monotonic() - sent_at))
                if code in (200, 201):
                    if followup.accepted_at is None:
                        followup.accepted_at = time.monotonic()
                        followup.accepted_with = code
                    return
                if code < 500 and code != 429:  # the case closed, the code refused: sending again changes nothing
                    followup.gave_up = kind
                    return
                followup.refusals += 1
                wait = float(response.headers.get("Retry-After", "1")) if code in (429, 503) else 1.0
            await asyncio.sleep(min(wait, 2.0) * self.random.uniform(0.5, 1.0))

    async def _until_accepted(self, client: httpx.AsyncClient, submission: Submission) -> None:
        while True:
            submission.attempts += 1
            wait = 1.0
            sent_at = time.monotonic()
            try:
                response = await client.post("/api/v1/requests", json=submission.body)
            except httpx.HTTPError:
                self.outcomes.append(Outcome(time.monotonic(), "connection", time.monotonic() - sent_at))
                submission.refusals += 1
            else:
                code = response.status_code
                if code in (200, 201):
                    body = response.json()
                    submission.case_ids.add(body["case_id"])
                    if submission.accepted_at is None:
                        submission.accepted_at = time.monotonic()
                        submission.accepted_with = code
                        submission.case_id = body["case_id"]
                        submission.reference = body["reference"]
                        submission.pickup_code = body.get("pickup_code")
                    self.outcomes.append(Outcome(time.monotonic(), str(code), time.monotonic() - sent_at))
                    return
                self.outcomes.append(Outcome(time.monotonic(), "503" if code == 503 else f"other:{code}",
                                             time.monotonic() - sent_at))
                submission.refusals += 1
                if code == 503:
                    wait = float(response.headers.get("Retry-After", "1"))
            # The form retries by itself a little later; here a little sooner than Retry-After asks.
            await asyncio.sleep(min(wait, 2.0) * self.random.uniform(0.5, 1.0))

    def accepted(self) -> list[Submission]:
        return [s for s in self.submissions if s.accepted_at is not None]

    def latency(self, share: float) -> float:
        """The answer time (s) of accepted attempts below which ``share`` of them fall."""
        took = sorted(o.took for o in self.outcomes if o.kind in ("201", "200"))
        return took[min(len(took) - 1, int(share * len(took)))] if took else 0.0

    def counts(self, t0: float = 0.0, t1: float = float("inf"), *, followups: bool = False) -> Counter[str]:
        """The answers requests (or with ``followups`` the follow-ups) got between ``t0`` and ``t1``."""
        return Counter(o.kind for o in (self.followup_outcomes if followups else self.outcomes) if t0 <= o.at <= t1)


@dataclass
class StaffCounts:
    commands: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)


class StaffWork:
    """The regions' coordinators work through every ``every``-th accepted request (from the ``first``-th on)."""

    def __init__(self, routing: str, load: FamilyLoad, regions: Regions, every: int = 5, first: int = 0) -> None:
        self.routing = routing
        self.load = load
        self.every = every
        self.first = first
        self.teams = {r.id: r.teams[0].id for r in regions}
        self.counts = StaffCounts()
        self.done: set[str] = set()
        self.worked: set[str] = set()

    async def run(self, stop: asyncio.Event) -> None:
        await in_every_region(self.routing, lambda region, client: self._work(region, client, stop))

    async def _sign_in(self, region: str, client: httpx.AsyncClient, stop: asyncio.Event) -> bool:
        return await sign_in(region, client, stop, self.counts.answers)

    def _queue(self, region: str) -> list[Submission]:
        """The cases to work, oldest first; one whose family is still sending its follow-up waits aside."""
        return [s for s in self.load.accepted()
                if s.n % self.every == self.first and s.region == region and s.case_id and s.case_id not in self.done
                and not self.load.followup_pending(s.case_id)]

    def wants_follow_up(self, submission: Submission) -> bool:
        """Every second case worked hears from the family again after the reply (if it kept the code)."""
        return (submission.n // self.every) % 2 == 0 and submission.pickup_code is not None

    async def _work(self, region: str, client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        if not await self._sign_in(region, client, stop):
            return
        while not stop.is_set():
            queue = self._queue(region)
            if not queue:
                await asyncio.sleep(0.3)
                continue
            for submission in queue[:5]:  # the oldest first, a few at a time
                if stop.is_set():
                    return
                answer = await self._step(region, client, submission)
                if answer == "unauthorized" and not await self._sign_in(region, client, stop):
                    return
                # A person, not a script: a moment between steps (a glance at a case still waiting is quicker).
                await asyncio.sleep(0.1 if answer == "waiting" else 0.5)

    def next_step(self, submission: Submission, timeline: list[str]) -> str | None:
        """What the case needs next, from its timeline's event types in order: None when closed, "wait" while a
        follow-up is owed and not yet in routing."""
        for step, kind in (("triage", "case.triaged"), ("assign", "case.assigned")):
            if kind not in timeline:
                return step
        call = callback_step(submission, timeline, self.every)  # a call to the family before the written answer
        if call is not None:
            return call
        if "reply.sent" not in timeline:
            return "reply"
        if "case.closed" in timeline:
            return None
        if self.wants_follow_up(submission):
            followup = self.load.followups.get(str(submission.case_id))
            if followup is None:
                self.load.follow_up(submission)
                return "wait"
            if followup.pending or (followup.accepted_at is not None and "family.message_added" not in timeline):
                return "wait"  # still being sent, or accepted by intake and not yet projected by routing
            last = {kind: i for i, kind in enumerate(timeline)}
            if last.get("family.message_added", -1) > last["reply.sent"]:
                return "reply"
        return "close"

    async def _step(self, region: str, client: httpx.AsyncClient, submission: Submission) -> str:
        """Look at the case and take its next step; returns what happened."""
        case_id = submission.case_id
        try:
            look = await client.get(f"/api/v1/cases/{case_id}")
        except httpx.HTTPError:
            self.counts.answers["look: connection"] += 1
            return "refused"
        if look.status_code != 200:
            self.counts.answers[f"look: {look.status_code}"] += 1
            return "unauthorized" if look.status_code == 401 else "later"
        case = look.json()
        self.worked.add(str(case_id))
        step = self.next_step(submission, [entry["type"] for entry in case["timeline"]])
        if step is None:
            self.done.add(str(case_id))
            return "done"
        if step == "wait":
            return "waiting"
        followed_up = any(entry["type"] == "family.message_added" for entry in case["timeline"])
        command = "schedule_callback" if step == "move_callback" else step  # a move schedules the call anew
        arguments: dict[str, Any] = callback_arguments(step) if step in CALL_STEPS else {
            "triage": {"urgency": "normal"},
            "assign": {"assignee_kind": "team", "assignee_id": self.teams[region]},
            "reply": {"text": "Kiitos viestistä, soitamme vielä tänään." if followed_up else
                      "Hei, soitamme teille huomenna aamupäivällä."},
            "close": {"outcome": "guidance_enough"},
        }[step]
        try:
            done = await client.post(f"/api/v1/cases/{case_id}/commands", json={
                "command": command, "expected_version": case["command_version"], "arguments": arguments})
        except httpx.HTTPError:
            self.counts.answers[f"{step}: connection"] += 1
            return "refused"
        self.counts.answers[f"{step}: {done.status_code}"] += 1
        if done.status_code == 200:
            self.counts.commands[step] += 1
            return "done"
        return "unauthorized" if done.status_code == 401 else "later"
