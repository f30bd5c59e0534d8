"""End to end: from a family's POST to the case in routing's API, while other families keep sending.

A background of ``rate`` requests a second (open loop: each sent on its own schedule, whatever
the answers do) runs while probes go one after another: POST a request to intake, then ask
routing for the case (``GET /api/v1/cases/{id}`` as the region's coordinator) every few
milliseconds until it answers 200. The time from sending the POST to that 200 is the latency:
intake's transaction, the outbox relay, Kafka, routing's consumer and its projection.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import httpx

from tests.faults.system import COORDINATORS, STAFF_PASSWORD

BODY = {"municipality": "raisio", "language": "fi", "requester_role": "parent", "topic": "child_emotions",
        "message": "Lapsemme nukkuu huonosti ja on ollut alakuloinen. Kenen kanssa voisimme puhua?",
        "contact": {"method": "email", "name": "Testi Vanhempi", "email": "vanhempi@example.fi"}}


@dataclass(frozen=True)
class EndToEnd:
    probes: list[float]  # seconds
    background_sent: int
    background_seconds: float
    background_failed: int

    def percentile(self, share: float) -> float:
        ordered = sorted(self.probes)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _background(intake: httpx.AsyncClient, rate: float, stop: asyncio.Event, counts: dict[str, int]) -> None:
    tasks: set[asyncio.Task[None]] = set()

    async def one() -> None:
        try:
            response = await intake.post("/api/v1/requests", json={**BODY, "submission_id": str(uuid.uuid4())})
            counts["ok" if response.status_code == 201 else "failed"] += 1
        except httpx.HTTPError:
            counts["failed"] += 1

    started = time.monotonic()
    n = 0
    while not stop.is_set():
        n += 1
        task = asyncio.create_task(one())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
    await asyncio.gather(*tasks)


async def run(intake_url: str, routing_url: str, *, probes: int = 300, rate: float = 50.0,
              poll_s: float = 0.002) -> EndToEnd:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=intake_url, timeout=10, limits=limits) as intake, \
            httpx.AsyncClient(base_url=intake_url, timeout=10) as family, \
            httpx.AsyncClient(base_url=routing_url, timeout=10) as routing:
        signed = await routing.post("/api/v1/session", json={"username": COORDINATORS["varsinais-suomi"],
                                                             "password": STAFF_PASSWORD})
        signed.raise_for_status()
        counts = {"ok": 0, "failed": 0}
        stop = asyncio.Event()
        started = time.monotonic()
        background = asyncio.create_task(_background(intake, rate, stop, counts))
        await asyncio.sleep(2.0)  # let the background settle into its rate
        took: list[float] = []
        try:
            for _ in range(probes):
                sent = time.monotonic()
                response = await family.post("/api/v1/requests", json={**BODY, "submission_id": str(uuid.uuid4())})
                response.raise_for_status()
                case_id = response.json()["case_id"]
                while (await routing.get(f"/api/v1/cases/{case_id}")).status_code != 200:
                    if time.monotonic() - sent > 30:
                        raise TimeoutError(f"case {case_id} did not reach routing in 30 s")
                    await asyncio.sleep(poll_s)
                took.append(time.monotonic() - sent)
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await background
        return EndToEnd(probes=took, background_sent=counts["ok"] + counts["failed"],
                        background_seconds=time.monotonic() - started, background_failed=counts["failed"])
