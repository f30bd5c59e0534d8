"""Steady work while the faults happen: families sending requests, coordinators acting on some of them.

Families: ``rate`` new requests a second, each with a submission id of its own and an e-mail
address or a phone number, so that notify has something to send. A 201 or 200 is *accepted*;
a 503, a timeout or a refused connection is *refused*, and the same request (same submission
id) is sent again after ``Retry-After``, as the form does, until it is accepted.

Coordinators: every fifth accepted request is worked through triage, assignment to a team, a
written reply and closing. Each step is chosen from the case's timeline as routing shows it,
so a command whose answer was lost in a crash is never repeated blindly: the version check
refuses a stale one (409) and the next look shows what happened.
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
from tests.faults.system import COORDINATORS, STAFF_PASSWORD

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

    @property
    def submission_id(self) -> str:
        return str(self.body["submission_id"])

    @property
    def contact_method(self) -> str:
        return str(self.body["contact"]["method"])


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
            await self.drain(timeout=240)

    async def drain(self, timeout: float) -> None:
        """Wait until every request sent is accepted (retries included)."""
        deadline = time.monotonic() + timeout
        while self._tasks and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        if self._tasks:
            self.giving_up_at = time.monotonic()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

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

    def counts(self, t0: float = 0.0, t1: float = float("inf")) -> Counter[str]:
        return Counter(o.kind for o in self.outcomes if t0 <= o.at <= t1)


STEPS = ("triage", "assign", "reply", "close")


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
        clients = {region: httpx.AsyncClient(base_url=self.routing, timeout=15.0) for region in COORDINATORS}
        try:
            await asyncio.gather(*(self._work(region, client, stop) for region, client in clients.items()))
        finally:
            for client in clients.values():
                await client.aclose()

    async def _sign_in(self, region: str, client: httpx.AsyncClient, stop: asyncio.Event) -> bool:
        while not stop.is_set():
            try:
                response = await client.post("/api/v1/session", json={"username": COORDINATORS[region],
                                                                       "password": STAFF_PASSWORD})
                if response.status_code == 200:
                    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
                    return True
                self.counts.answers[f"sign-in {response.status_code}"] += 1
            except httpx.HTTPError:
                self.counts.answers["sign-in connection"] += 1
            await asyncio.sleep(1.0)
        return False

    def _queue(self, region: str) -> list[str]:
        return [s.case_id for s in self.load.accepted()
                if s.n % self.every == self.first and s.region == region and s.case_id and s.case_id not in self.done]

    async def _work(self, region: str, client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        if not await self._sign_in(region, client, stop):
            return
        while not stop.is_set():
            queue = self._queue(region)
            if not queue:
                await asyncio.sleep(0.3)
                continue
            for case_id in queue[:5]:  # the oldest first, a few at a time
                if stop.is_set():
                    return
                answer = await self._step(region, client, case_id)
                if answer == "unauthorized" and not await self._sign_in(region, client, stop):
                    return
                await asyncio.sleep(0.5)  # a person, not a script: a moment between steps

    async def _step(self, region: str, client: httpx.AsyncClient, case_id: str) -> str:
        """Look at the case and take its next step; returns what happened."""
        try:
            look = await client.get(f"/api/v1/cases/{case_id}")
        except httpx.HTTPError:
            self.counts.answers["look: connection"] += 1
            return "refused"
        if look.status_code != 200:
            self.counts.answers[f"look: {look.status_code}"] += 1
            return "unauthorized" if look.status_code == 401 else "later"
        case = look.json()
        self.worked.add(case_id)
        seen = {entry["type"] for entry in case["timeline"]}
        step = next((s for s, t in zip(STEPS, ("case.triaged", "case.assigned", "reply.sent", "case.closed"),
                                       strict=True) if t not in seen), None)
        if step is None:
            self.done.add(case_id)
            return "done"
        arguments: dict[str, Any] = {
            "triage": {"urgency": "normal"},
            "assign": {"assignee_kind": "team", "assignee_id": self.teams[region]},
            "reply": {"text": "Hei, soitamme teille huomenna aamupäivällä."},
            "close": {"outcome": "guidance_enough"},
        }[step]
        try:
            done = await client.post(f"/api/v1/cases/{case_id}/commands", json={
                "command": step, "expected_version": case["command_version"], "arguments": arguments})
        except httpx.HTTPError:
            self.counts.answers[f"{step}: connection"] += 1
            return "refused"
        self.counts.answers[f"{step}: {done.status_code}"] += 1
        if done.status_code == 200:
            self.counts.commands[step] += 1
            return "done"
        return "unauthorized" if done.status_code == 401 else "later"
