"""Attacks on the staff's sign-in, run against routing on the real PostgreSQL and Kafka.

Each test runs the attack of issue 18 that once worked and fails while it still would: a flood of bogus
sign-ins slowing every page (item 4), wrong passwords locking the owner out and telling real usernames
from made-up ones (5), another site's form signing a browser in (8), and a forged X-Forwarded-For
dodging the limits (10).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from deploy.local.infra import free_port
from shared.settings import ROOT
from tests.support import APPS, LiveServer, running, settings_for, staff

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"  # what tests.support.staff gives every account
RIGHT = {"username": "liisa", "password": PASSWORD}
# Every guess hashed: the throttle's limits out of reach, so only the worker threads keep the loop free.
UNTHROTTLED = {"sign_in_client_failures": 10**9, "sign_in_free_failures": 10**9, "sign_in_account_failures": 10**9}


def routing_app(postgres: Any, kafka: Any, prefix: str, **extra: Any) -> FastAPI:
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    return APPS["routing"](settings_for("routing", **env, deadline_check_s=3600, **extra))


@asynccontextmanager
async def from_address(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose connection comes from ``address`` (as the server sees it)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def median_latency(client: httpx.AsyncClient, paths: list[str], rounds: int,
                         at_least_s: float = 0.0) -> dict[str, float]:
    """Each path's median time to answer, asked one after the other ``rounds`` times (and for
    ``at_least_s`` seconds)."""
    took: dict[str, list[float]] = {path: [] for path in paths}
    until = time.monotonic() + at_least_s
    while len(took[paths[0]]) < rounds or time.monotonic() < until:
        for path in paths:
            start = time.perf_counter()
            answer = await client.get(path)
            took[path].append(time.perf_counter() - start)
            assert answer.status_code == 200, (path, answer.status_code)
    return {path: statistics.median(times) for path, times in took.items()}


@pytest.mark.parametrize("limits", [{}, UNTHROTTLED], ids=["throttled", "every-guess-hashed"])
async def test_a_sign_in_flood_leaves_the_staff_pages_fast(postgres: Any, kafka: Any, prefix: str,
                                                           limits: dict[str, int]) -> None:
    """Item 4: six clients sending bogus sign-ins must not slow /healthz or the queue past 5× their time at rest."""
    app = routing_app(postgres, kafka, prefix, **limits)
    async with LiveServer(app, free_port()) as live, httpx.AsyncClient(base_url=live.url, timeout=60) as worker:
        await staff(worker, app, username="liisa")
        paths = ["/healthz", "/queue"]
        await median_latency(worker, paths, 5)  # warm: templates compiled, connections open
        at_rest = await median_latency(worker, paths, 40)
        flood = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.attacks.flood", live.url, "6", "120", "0.05", cwd=ROOT,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        assert flood.stdout is not None
        assert await asyncio.wait_for(flood.stdout.readline(), 30) == b"under way\n"
        await asyncio.sleep(0.5)  # every client of the flood going
        under_flood = await median_latency(worker, paths, 40, at_least_s=4.0)
        out, _ = await flood.communicate(b"")  # closes its input: the flood stops
    answered = {int(k): v for k, v in json.loads(out).items()}
    # Flooding from before the first timing to after the last (its hashes queue: few are answered).
    assert sum(answered.values()) >= 6, f"the flood hardly ran: {answered}"
    assert set(answered) <= {401, 429}, answered
    for path in paths:
        ratio = under_flood[path] / at_rest[path]
        assert ratio < 5, f"{path}: {at_rest[path] * 1000:.1f} ms at rest, {under_flood[path] * 1000:.1f} ms" \
                          f" under the flood ({ratio:.1f}×; answers {answered})"


async def test_wrong_passwords_never_lock_the_owner_out_nor_tell_real_usernames(postgres: Any, kafka: Any,
                                                                                 prefix: str) -> None:
    """Item 5: guesses from many addresses, then the owner from their own; real and made-up names alike."""
    app = routing_app(postgres, kafka, prefix)
    async with running(app) as routing:
        await staff(routing, app, username="liisa")
        answers: dict[str, list[tuple[int, Any, bool]]] = {}
        for n, username in enumerate(("liisa", "no-such-worker")):
            async with from_address(app, f"198.51.100.{n + 1}") as guesser:
                seen = []
                for _ in range(8):
                    r = await guesser.post("/api/v1/session", json={"username": username, "password": "wrong guess!"})
                    seen.append((r.status_code, r.json(), "retry-after" in r.headers))
                answers[username] = seen
        assert answers["liisa"] == answers["no-such-worker"], answers
        assert [status for status, _, _ in answers["liisa"]] == [401] * 3 + [429] * 5

        # Sixty more addresses guess liisa's password, more than the username's own budget.
        for n in range(60):
            async with from_address(app, f"192.0.2.{n + 10}") as guesser:
                r = await guesser.post("/api/v1/session", json={"username": "liisa", "password": f"guess {n}!!"})
                assert r.status_code == 401
        async with from_address(app, "203.0.113.9") as owner:
            r = await owner.post("/api/v1/session", json=RIGHT)
            assert r.status_code == 200, r.text
            assert (await owner.get("/api/v1/cases")).status_code == 200

        # A made-up username costs the same hash as a real one: the time does not tell them apart.
        took: dict[str, list[float]] = {"liisa": [], "no-such-worker": []}
        for n in range(6):
            for username in took:
                async with from_address(app, f"203.0.113.{100 + n}") as prober:
                    start = time.perf_counter()
                    r = await prober.post("/api/v1/session", json={"username": username, "password": "not it!"})
                    took[username].append(time.perf_counter() - start)
                    assert r.status_code == 401
        real, unknown = statistics.median(took["liisa"]), statistics.median(took["no-such-worker"])
        assert 0.5 < real / unknown < 2, f"real {real * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms"


async def test_another_sites_form_cannot_sign_a_browser_in(postgres: Any, kafka: Any, prefix: str) -> None:
    """Item 8: login CSRF. A form posted from another site signs no one in; the sign-in page's own does."""
    app = routing_app(postgres, kafka, prefix)
    form = {**RIGHT, "next": "/", "lang": "fi"}
    async with running(app) as routing:
        await staff(routing, app, username="liisa")
        async with from_address(app, "203.0.113.9") as browser:
            for headers in ({"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
                            {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
                            {"Origin": "https://evil.example"},
                            {"Sec-Fetch-Site": "same-site"},
                            {"Origin": "null"}):
                r = await browser.post("/login", data=form, headers=headers, follow_redirects=False)
                assert r.status_code == 403 and "set-cookie" not in r.headers, headers
                r = await browser.post("/api/v1/session", json=RIGHT, headers=headers)
                assert r.status_code == 403 and "set-cookie" not in r.headers, headers
            assert not browser.cookies
            # As chromium posts the page's own form: no-referrer makes its Origin "null".
            own = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
            r = await browser.post("/login", data=form, headers=own, follow_redirects=False)
            assert r.status_code == 303 and "apua_staff" in r.headers["set-cookie"]


async def test_a_forged_forwarded_address_does_not_dodge_the_sign_in_limit(postgres: Any, kafka: Any,
                                                                           prefix: str) -> None:
    """Item 10: each guess names a new X-Forwarded-For address; the limit still counts the real client."""
    failures = 5
    forged = [f"198.51.100.{n}" for n in range(1, 12)]
    # Behind a trusted proxy (here 127.0.0.1) the client is the right-most address it did not add itself.
    behind_proxy = routing_app(postgres, kafka, prefix, sign_in_client_failures=failures)
    async with running(behind_proxy):
        async with from_address(behind_proxy, "127.0.0.1") as proxy:
            statuses = []
            for n, address in enumerate(forged):
                r = await proxy.post("/api/v1/session", json={"username": f"user-{n}", "password": "wrong guess!"},
                                     headers={"X-Forwarded-For": f"{address}, 203.0.113.9"})
                statuses.append(r.status_code)
            assert statuses == [401] * failures + [429] * (len(forged) - failures)
            # Another real client behind the same proxy is counted apart.
            r = await proxy.post("/api/v1/session", json={"username": "someone", "password": "wrong guess!"},
                                 headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.10"})
            assert r.status_code == 401
    # Not from a trusted proxy: the header is the client's own word and counts for nothing.
    direct = routing_app(postgres, kafka, prefix, sign_in_client_failures=failures, trusted_proxies=["192.0.2.1"])
    async with running(direct):
        async with from_address(direct, "127.0.0.1") as client:
            statuses = []
            for n, address in enumerate(forged):
                r = await client.post("/api/v1/session", json={"username": f"user-{n}", "password": "wrong guess!"},
                                      headers={"X-Forwarded-For": address})
                statuses.append(r.status_code)
            assert statuses == [401] * failures + [429] * (len(forged) - failures)
