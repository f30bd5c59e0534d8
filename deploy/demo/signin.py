"""Signing the demo's staff in to routing as a well-behaved client does: when routing says to wait (429 with
Retry-After), wait and try again.

Routing checks at most a few sign-ins from one address at a time (services/routing/throttle.py) and answers the
rest 429 with Retry-After. The demo loads both regions' years and the network from one address, each signing its
accounts in, so now and then one more sign-in arrives than routing checks at once; a script that gave up on the
first 429 stopped the whole demo.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final

import httpx

PATH: Final = "/api/v1/session"
PATIENCE_S: Final = 60.0  # longer than any wait routing asks of an address that has not failed


def _wait(response: httpx.Response) -> float | None:
    """How long routing asked us to wait, or None when the answer is not "come back later"."""
    if response.status_code != 429:
        return None
    try:
        return max(0.1, float(response.headers.get("retry-after", "1")))
    except ValueError:
        return 1.0


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    """Routing's answer to the sign-in, after as many waits as it asked for within ``PATIENCE_S``."""
    deadline = time.monotonic() + PATIENCE_S
    while True:
        response = await client.post(PATH, json={"username": username, "password": password})
        wait = _wait(response)
        if wait is None or time.monotonic() + wait > deadline:
            return response
        await asyncio.sleep(wait)


def sign_in_now(client: httpx.Client, username: str, password: str) -> httpx.Response:
    """The same for a synchronous client (the network's demo, the start-up's checks)."""
    deadline = time.monotonic() + PATIENCE_S
    while True:
        response = client.post(PATH, json={"username": username, "password": password})
        wait = _wait(response)
        if wait is None or time.monotonic() + wait > deadline:
            return response
        time.sleep(wait)
