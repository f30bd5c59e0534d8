"""The regions' coordinators at work during the load: each region's on a client of its own, signed in to routing.

Routing may be restarted or unreachable at any moment of the fault suite, so signing in is tried again until it
succeeds or the load stops; every refusal is counted, for the end table.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import httpx

from tests.faults.system import COORDINATORS, STAFF_PASSWORD

RETRY_S = 1.0


async def sign_in(region: str, client: httpx.AsyncClient, stop: asyncio.Event, answers: Counter[str]) -> bool:
    """Sign the region's coordinator in on ``client`` (its CSRF token becomes a header); False once stopped."""
    while not stop.is_set():
        try:
            response = await client.post("/api/v1/session", json={"username": COORDINATORS[region],
                                                                   "password": STAFF_PASSWORD})
            if response.status_code == 200:
                client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
                return True
            answers[f"sign-in {response.status_code}"] += 1
        except httpx.HTTPError:
            answers["sign-in connection"] += 1
        await asyncio.sleep(RETRY_S)
    return False


async def in_every_region(routing: str, work: Callable[[str, httpx.AsyncClient], Awaitable[None]]) -> None:
    """Run ``work`` for every region's coordinator at once, each on a client of its own."""
    clients = {region: httpx.AsyncClient(base_url=routing, timeout=15.0) for region in COORDINATORS}
    try:
        await asyncio.gather(*(work(region, client) for region, client in clients.items()))
    finally:
        for client in clients.values():
            await client.aclose()
