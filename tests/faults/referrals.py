"""Referrals during the faults: coordinators refer some families (with their consent) to perheneuvola, and the
service answers through its signed link: accepts and later reports done, or declines. Afterwards each referral is
on its case's stream once, each answer once, none lost and none twice, and notify made the service's mail due.

Requests numbered 9 (mod 10) are referred (the links' work takes 1, 3 and 7, the staff's every fifth); of them,
9 (mod 20) are accepted and done, 19 (mod 20) declined for lack of capacity. An answer whose reply was lost in a
crash is sent again: the second finds it answered (409), so the stream holds one. A referral whose reply was lost
is not sent again blindly: the worker looks at the case first, as a person would.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx

from services.notify.queue import notification_id
from shared.referral_links import ReferralLink, sign_link
from shared.sealing import Keyring
from shared.settings import DEVELOPMENT_KEK
from tests.faults.system import COORDINATORS, STAFF_PASSWORD

if TYPE_CHECKING:
    from tests.faults.check import Event, Report
    from tests.faults.load import FamilyLoad

DRAIN_S = 180.0
NOTE = "Perhe toivoo aikaa perheneuvolaan; taustat kerrottu puhelimessa."
# The KEK the fault suite's services run with (the development one): the service's link is signed under it.
KEYRING = Keyring(current="dev-1", keks={"dev-1": base64.b64decode(DEVELOPMENT_KEK)})


@dataclass
class Referral:
    case_id: str
    region: str
    answer: str  # "accept" (then "complete") or "decline"
    referral_id: str | None = None
    answered: list[str] = field(default_factory=list)  # the answers the service got a 200 or a 409 for

    @property
    def done(self) -> bool:
        wanted = ["accept", "complete"] if self.answer == "accept" else ["decline"]
        return self.answered == wanted


@dataclass
class ReferralWork:
    routing: str
    load: FamilyLoad
    referrals: dict[str, Referral] = field(default_factory=dict)
    answers: Counter[str] = field(default_factory=Counter)

    def planned(self) -> list[Referral]:
        for s in self.load.accepted():
            if s.case_id is not None and s.n % 10 == 9 and s.case_id not in self.referrals:
                self.referrals[s.case_id] = Referral(s.case_id, s.region, "accept" if s.n % 20 == 9 else "decline")
        return [r for r in self.referrals.values() if not r.done]

    async def run(self, stop: asyncio.Event) -> None:
        clients = {region: httpx.AsyncClient(base_url=self.routing, timeout=15.0) for region in COORDINATORS}
        service = httpx.AsyncClient(base_url=self.routing, timeout=15.0)  # the receiving service: no sign-in
        try:
            await asyncio.gather(*(self._work(region, client, service, stop) for region, client in clients.items()))
        finally:
            for client in (*clients.values(), service):
                await client.aclose()

    async def _sign_in(self, region: str, client: httpx.AsyncClient) -> bool:
        try:
            response = await client.post("/api/v1/session", json={"username": COORDINATORS[region],
                                                                   "password": STAFF_PASSWORD})
        except httpx.HTTPError:
            self.answers["sign-in connection"] += 1
            return False
        if response.status_code == 200:
            client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return response.status_code == 200

    async def _work(self, region: str, client: httpx.AsyncClient, service: httpx.AsyncClient,
                    stop: asyncio.Event) -> None:
        deadline: float | None = None
        signed_in = False
        while True:
            pending = [r for r in self.planned() if r.region == region]
            if stop.is_set():
                deadline = deadline or asyncio.get_running_loop().time() + DRAIN_S
                if not pending or asyncio.get_running_loop().time() > deadline:
                    return
            for referral in pending[:3]:
                signed_in = signed_in or await self._sign_in(region, client)
                if signed_in and await self._step(client, service, referral) == 401:
                    signed_in = False
                await asyncio.sleep(0.5)  # people, not scripts
            await asyncio.sleep(0.5)

    async def _step(self, client: httpx.AsyncClient, service: httpx.AsyncClient, referral: Referral) -> int:
        """One step of one referral: refer it, or give the service's next answer; the status, 0 without one."""
        try:
            look = await client.get(f"/api/v1/cases/{referral.case_id}")
            if look.status_code != 200:
                self.answers[f"look: {look.status_code}"] += 1
                return look.status_code
            view = look.json()
            if not view["referrals"]:
                done = await client.post(f"/api/v1/cases/{referral.case_id}/commands", json={
                    "command": "refer", "expected_version": view["command_version"],
                    "arguments": {"service_id": "perheneuvola", "consent": "spoken", "note": NOTE}})
                self.answers[f"refer: {done.status_code}"] += 1
                return done.status_code
            referral.referral_id = view["referrals"][0]["referral_id"]
            answer = (["accept", "complete"] if referral.answer == "accept" else ["decline"])[len(referral.answered)]
            token = sign_link(KEYRING, ReferralLink(
                referral_id=uuid.UUID(referral.referral_id), case_id=uuid.UUID(referral.case_id),
                service_id="perheneuvola", expires_at=(datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)))
            form = {"name": "Pirjo Perheneuvoja", "answer": answer, "lang": "fi",
                    **({"reason": "no_capacity"} if answer == "decline" else {}),
                    **({"outcome": "service_given"} if answer == "complete" else {})}
            given = await service.post(f"/referral/{token}/answer", data=form)
        except httpx.HTTPError:
            self.answers["connection"] += 1
            return 0
        self.answers[f"{answer}: {given.status_code}"] += 1
        if given.status_code in (200, 409):  # 409: answered before, its reply lost
            referral.answered.append(answer)
        return given.status_code


def expected_referral_notifications(events: list[Event]) -> dict[str, str]:
    """The service's mail, once per referral sent by link."""
    return {str(notification_id(uuid.UUID(e.event_id), f"service:{e.payload['service_id']}", "referral_sent")):
            "referral link to the service" for e in events if e.type == "referral.sent" and e.payload["electronic"]}


def judge_referrals(report: Report, events: list[Event], work: ReferralWork) -> None:
    unique = list({e.event_id: e for e in events}.values())
    sent = Counter(e.case_id for e in unique if e.type == "referral.sent")
    answered: Counter[tuple[str, str]] = Counter(
        (str(e.payload["referral_id"]), e.type) for e in unique if e.type.startswith("referral.")
        and e.type not in ("referral.sent", "referral.overdue"))
    made = [r for r in work.referrals.values() if r.referral_id is not None]
    done = Counter(r.answer for r in made if r.done)
    report.add("referrals sent / accepted and done / declined", f"{len(made)}/{done['accept']}/{done['decline']}")
    given = Counter(k.split(": ")[1] for k in work.answers.elements()
                    if k.split(": ")[0] in ("accept", "decline", "complete"))
    report.add("  referral answers 200 / 409 / other", f"{given['200']}/{given['409']}/"
               f"{sum(given.values()) - given['200'] - given['409']}")
    report.add("referrals planned and never made or answered", sum(not r.done for r in work.referrals.values()),
               must_be_zero=True)
    report.add("referrals sent twice to one case", sum(1 for n in sent.values() if n > 1), must_be_zero=True)
    lost = 0
    for r in made:
        wanted = (["referral.accepted", "referral.completed"] if r.answer == "accept" else ["referral.declined"])
        lost += sum(1 for kind in wanted[:len(r.answered)] if not answered[(r.referral_id or "", kind)])
    report.add("referral answers lost: answered, not on the case's stream", lost, must_be_zero=True)
    report.add("referral answers recorded twice", sum(1 for n in answered.values() if n > 1), must_be_zero=True)
    both = {rid for rid, kind in answered if kind == "referral.accepted"} & {
        rid for rid, kind in answered if kind == "referral.declined"}
    report.add("referrals both accepted and declined", len(both), must_be_zero=True)
