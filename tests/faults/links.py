"""Linked cases during the faults: coordinators link some families' second requests to their first as duplicates,
and some requests to another as related; afterwards each link is on both cases' streams once, each duplicate
closed once, raising no deadline alert after it, and counted in reporting as merged, never as a contact.

The requests the coordinators of ``load.StaffWork`` work (every fifth) are left alone: a call scheduled there
would (rightly) refuse a duplicate. Of the others, in each region, a request numbered 3 (mod 10) is linked as a
duplicate of the latest earlier request numbered 1 (mod 10), and one numbered 7 (mod 20) as related to it. A link
whose answer was lost in a crash is sent again: linking is idempotent, so the second answer is 200 with nothing
new, and the streams show one link.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from tests.faults.coordinators import in_every_region, sign_in

if TYPE_CHECKING:
    from tests.faults.check import Event, Facts, Report
    from tests.faults.load import FamilyLoad, Submission


DRAIN_S = 180.0


@dataclass
class Link:
    case_id: str
    other_case_id: str
    other_reference: str
    kind: str  # "duplicate" or "related"
    region: str
    done: bool = False
    attempts: int = 0


@dataclass
class LinkWork:
    routing: str
    load: FamilyLoad
    links: dict[str, Link] = field(default_factory=dict)  # case id -> the link made from it
    answers: Counter[str] = field(default_factory=Counter)

    def planned(self) -> list[Link]:
        """The links the accepted requests call for so far (new ones added as their requests are accepted)."""
        kept: dict[str, Submission] = {}
        for s in sorted(self.load.accepted(), key=lambda s: s.n):
            if s.case_id is None or s.reference is None:
                continue
            if s.n % 10 == 1:
                kept[s.region] = s
            elif s.n % 10 in (3, 7) and s.region in kept and s.case_id not in self.links:
                kind = "duplicate" if s.n % 10 == 3 else "related"
                if kind == "related" and s.n % 20 != 7:
                    continue
                target = kept[s.region]
                assert target.case_id is not None and target.reference is not None
                self.links[s.case_id] = Link(case_id=s.case_id, other_case_id=target.case_id,
                                             other_reference=target.reference, kind=kind, region=s.region)
        return [link for link in self.links.values() if not link.done]

    async def run(self, stop: asyncio.Event) -> None:
        await in_every_region(self.routing, lambda region, client: self._work(region, client, stop))

    async def _sign_in(self, region: str, client: httpx.AsyncClient, stop: asyncio.Event) -> bool:
        return await sign_in(region, client, stop, self.answers)

    async def _work(self, region: str, client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        if not await self._sign_in(region, client, stop):
            return
        finish = asyncio.Event()  # after the load stops, the links planned by then are still made (a while)
        deadline: float | None = None
        while True:
            pending = [x for x in self.planned() if x.region == region]
            if stop.is_set():
                deadline = deadline or asyncio.get_running_loop().time() + DRAIN_S
                if not pending or asyncio.get_running_loop().time() > deadline:
                    return
            for link in pending[:3]:
                answer = await self._link(client, link)
                if answer == 401 and not await self._sign_in(region, client, finish):
                    return
                await asyncio.sleep(0.5)  # a person, not a script
            await asyncio.sleep(0.5)

    async def _link(self, client: httpx.AsyncClient, link: Link) -> int:
        """One try: look at the case (for its version), then link it; the status, 0 for no connection."""
        link.attempts += 1
        try:
            look = await client.get(f"/api/v1/cases/{link.case_id}")
            if look.status_code != 200:
                self.answers[f"look: {look.status_code}"] += 1
                return look.status_code
            done = await client.post(f"/api/v1/cases/{link.case_id}/commands", json={
                "command": "link", "expected_version": look.json()["command_version"],
                "arguments": {"kind": link.kind, "other_reference": link.other_reference}})
        except httpx.HTTPError:
            self.answers["link: connection"] += 1
            return 0
        self.answers[f"link: {done.status_code}"] += 1
        # 422: the other case has not reached routing's projection yet (its reference is unknown there): later.
        link.done = done.status_code == 200
        return done.status_code


def judge_links(report: Report, facts: Facts, work: LinkWork) -> None:
    """The links' rows of the table."""
    made = [link for link in work.links.values() if link.done]
    duplicates = {link.case_id for link in made if link.kind == "duplicate"}
    report.add("links made by coordinators: duplicates / related",
               f"{len(duplicates)}/{sum(link.kind == 'related' for link in made)}")
    report.add("  link answers 200 / 409 / 422 / no connection", "/".join(
        str(work.answers[f"link: {k}"]) for k in ("200", "409", "422", "connection")))
    report.add("links planned and never made", len(work.links) - len(made), must_be_zero=True)

    unique = list({e.event_id: e for e in facts.events}.values())
    linked: Counter[tuple[str, str, str]] = Counter(
        (e.case_id, str(e.payload["other_case_id"]), str(e.payload["side"])) for e in unique if e.type == "case.linked")
    sides = {"duplicate": ("duplicate", "kept"), "related": ("related", "related")}
    lost = [link for link in made if not linked[(link.case_id, link.other_case_id, sides[link.kind][0])]
            or not linked[(link.other_case_id, link.case_id, sides[link.kind][1])]]
    report.add("links lost: not on both cases' streams", len(lost), must_be_zero=True)
    report.add("links applied twice: a case.linked twice on a stream", sum(1 for n in linked.values() if n > 1),
               must_be_zero=True)
    closings = Counter(e.case_id for e in unique if e.type == "case.closed" and e.payload.get("outcome") == "duplicate")
    report.add("duplicates not closed as duplicates", len(duplicates - set(closings)), must_be_zero=True)
    report.add("closed as duplicates without a duplicate link", len(set(closings) - duplicates), must_be_zero=True)
    report.add("deadline alerts on a duplicate after its closing", len(alerts_after_closing(unique, duplicates)),
               must_be_zero=True)
    report.add("reporting: duplicates counted as contacts", facts.reporting_counted - (
        len(facts.reporting_rows) - len(duplicates)), must_be_zero=True)
    report.add("reporting: merged count minus duplicates linked", facts.reporting_merged - len(duplicates),
               must_be_zero=True)


def alerts_after_closing(events: list[Event], duplicates: set[str]) -> list[Event]:
    """Deadline alerts a duplicate's stream holds after the duplicate's closing (a case's events share a
    partition, so its offsets order them)."""
    closed_at: dict[str, int] = {}
    by_case: dict[str, list[Event]] = defaultdict(list)
    for e in sorted(events, key=lambda e: e.offset):
        if e.case_id in duplicates:
            by_case[e.case_id].append(e)
            if e.type == "case.closed":
                closed_at.setdefault(e.case_id, e.offset)
    return [e for case_id, case_events in by_case.items() for e in case_events
            if e.type.startswith("deadline.") and e.offset > closed_at.get(case_id, e.offset)]
