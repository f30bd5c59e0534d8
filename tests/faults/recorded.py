"""Phone contacts recorded by the coordinators while the faults happen, and what the suite's table says of them.

Each region's coordinator records a phone contact every ``every_s`` seconds (``POST /api/v1/contacts``), every
second one with a receipt to the family by text message. A refused recording (a 503, a timeout, a refused
connection) is sent again with the same ``recording_id`` until it is accepted, as the staff form's page would be
sent again: a 201 or a 200 is accepted. The table counts them, and checks that each accepted recording is one
``request.recorded`` on the stream, one case in routing, one phone contact in reporting and its notifications.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from services.notify.projection import CHANNEL_BY_CONTACT, notification_id
from tests.faults.system import COORDINATORS, STAFF_PASSWORD

MUNICIPALITY = {"varsinais-suomi": "raisio", "pohjois-pohjanmaa": "oulu"}
GIVE_UP_S = 240.0  # as long as the families' requests are retried after the load stops
WORDS = "Isä soitti: poika ei ole käynyt koulussa viikkoon. Toivoo soittoa iltapäivällä."


@dataclass
class Recording:
    n: int
    region: str
    body: dict[str, Any]
    attempts: int = 0
    accepted_with: int | None = None
    gave_up: bool = False
    case_ids: set[str] = field(default_factory=set)
    refusals: Counter[str] = field(default_factory=Counter)

    @property
    def recording_id(self) -> str:
        return str(self.body["recording_id"])


class RecordedContacts:
    """The coordinators' phone contacts, recorded through routing's API under the faults."""

    def __init__(self, routing: str, every_s: float = 3.0, seed: int = 19) -> None:
        self.routing = routing
        self.every_s = every_s
        self.random = random.Random(seed)
        self.recordings: list[Recording] = []

    def new(self, region: str) -> Recording:
        n = len(self.recordings)
        body = {"recording_id": str(uuid.uuid4()), "channel": "phone", "municipality": MUNICIPALITY[region],
                "requester_role": "parent", "message": WORDS, "receipt": n % 2 == 0,
                "contact": {"method": "sms", "name": "Testi Isä", "phone": f"040 9{n:06d}"}}
        recording = Recording(n=n, region=region, body=body)
        self.recordings.append(recording)
        return recording

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(self._region(region, stop) for region in COORDINATORS))

    async def _region(self, region: str, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=self.routing, timeout=15.0) as client:
            signed_in = False
            while not stop.is_set():
                if not signed_in:
                    signed_in = await self._sign_in(region, client)
                    if not signed_in:
                        await asyncio.sleep(1.0)
                        continue
                recording = self.new(region)
                signed_in = await self._until_accepted(client, recording, region)
                await asyncio.sleep(self.every_s * self.random.uniform(0.5, 1.5))

    async def _sign_in(self, region: str, client: httpx.AsyncClient) -> bool:
        try:
            response = await client.post("/api/v1/session", json={"username": COORDINATORS[region],
                                                                   "password": STAFF_PASSWORD})
        except httpx.HTTPError:
            return False
        if response.status_code != 200:
            return False
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return True

    async def _until_accepted(self, client: httpx.AsyncClient, recording: Recording, region: str) -> bool:
        """Send until accepted (a new session when routing forgot the old one); whether still signed in."""
        deadline = time.monotonic() + GIVE_UP_S
        while True:
            if time.monotonic() > deadline:
                recording.gave_up = True
                return True
            recording.attempts += 1
            wait = 1.0
            try:
                response = await client.post("/api/v1/contacts", json=recording.body)
            except httpx.HTTPError:
                recording.refusals["connection"] += 1
            else:
                code = response.status_code
                if code in (200, 201):
                    recording.case_ids.add(response.json()["case_id"])
                    if recording.accepted_with is None:
                        recording.accepted_with = code
                    return True
                recording.refusals[str(code)] += 1
                if code == 401 and not await self._sign_in(region, client):
                    wait = 1.0
                elif code == 503:
                    wait = float(response.headers.get("Retry-After", "1"))
            await asyncio.sleep(min(wait, 2.0) * self.random.uniform(0.5, 1.0))

    def accepted(self) -> list[Recording]:
        return [r for r in self.recordings if r.accepted_with is not None]


@dataclass(frozen=True)
class RecordedFacts:
    routing: dict[str, str]  # recording id -> case id, routing's own table
    channels: dict[str, str]  # case id -> channel, reporting's facts of the cases routing has as recorded


async def collect_recorded(dsn: str) -> RecordedFacts:
    conn = await asyncpg.connect(dsn)
    try:
        routing = {str(r["recording_id"]): str(r["case_id"])
                   for r in await conn.fetch("SELECT recording_id, case_id FROM routing.recorded_contacts")}
        channels = {str(r["case_id"]): r["channel"] for r in await conn.fetch(
            "SELECT case_id, channel FROM reporting_projection.case_facts WHERE channel <> 'button'")}
    finally:
        await conn.close()
    return RecordedFacts(routing=routing, channels=channels)


def expected_recorded_notifications(events: list[Any]) -> dict[str, str]:
    """What notify owes for recorded contacts: word to the coordinators, and a receipt where one was asked for."""
    expected: dict[str, str] = {}
    for e in {e.event_id: e for e in events if e.type == "request.recorded"}.values():
        cause = uuid.UUID(e.event_id)
        expected[str(notification_id(cause, "coordinators", "staff_new_case"))] = "new case to coordinators"
        if e.payload.get("receipt") and CHANNEL_BY_CONTACT.get(e.payload["contact_method"]):
            template = "contact_receipt_answered" if e.payload.get("answered_in_contact") else "contact_receipt"
            expected[str(notification_id(cause, "family", template))] = "receipt of a recorded contact to the family"
    return expected


def judge_recorded(report: Any, events: list[Any], facts: RecordedFacts, recorded: RecordedContacts,
                   routing_cases: set[str]) -> None:
    """The table's rows for the recorded phone contacts."""
    accepted = recorded.accepted()
    on_topic: dict[str, set[str]] = {}
    event_ids: dict[str, set[str]] = {}
    for e in events:
        if e.type == "request.recorded":
            on_topic.setdefault(e.payload["submission_id"], set()).add(e.case_id)
            event_ids.setdefault(e.payload["submission_id"], set()).add(e.event_id)
    refusals = sum((r.refusals for r in recorded.recordings), Counter())
    report.add("phone contacts recorded by coordinators (accepted)", len(accepted))
    report.add("  refused while a part was down (sent again): " + (", ".join(
        f"{kind} {n}" for kind, n in sorted(refusals.items())) or "none"), sum(refusals.values()))
    report.add("  answered 200 (a retry of one recorded before)", sum(r.accepted_with == 200 for r in accepted))
    report.add("recorded contacts never accepted after retrying", len(recorded.recordings) - len(accepted),
               must_be_zero=True)
    report.add("recorded contacts lost: not in routing's recordings",
               sum(1 for r in accepted if facts.routing.get(r.recording_id) not in r.case_ids), must_be_zero=True)
    report.add("recorded contacts lost: not on the Kafka case topic",
               sum(1 for r in accepted if not r.case_ids & on_topic.get(r.recording_id, set())), must_be_zero=True)
    report.add("recorded contacts lost: not in routing's projection",
               sum(1 for r in accepted if not r.case_ids & routing_cases), must_be_zero=True)
    report.add("recorded contacts lost: not counted by reporting as phone contacts",
               sum(1 for r in accepted if not any(facts.channels.get(c) == "phone" for c in r.case_ids)),
               must_be_zero=True)
    report.add("recorded contacts applied twice: two cases or two request.recorded for one recording",
               sum(1 for r in accepted if len(r.case_ids) > 1 or len(on_topic.get(r.recording_id, ())) > 1
                   or len(event_ids.get(r.recording_id, ())) > 1), must_be_zero=True)
    report.add("reporting: phone contacts minus recorded contacts accepted",
               sum(1 for c in facts.channels.values() if c == "phone") - len(accepted), must_be_zero=True)
