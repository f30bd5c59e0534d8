"""Attacks on sessions and on what the services let out, on the real PostgreSQL and Kafka.

Issue 18's items 7 (a statistics session outliving the sign-out, a pass naming another region), 9 (personal
data kept by a browser's or a proxy's cache) and 16 (refused looks at cases not logged, /metrics open to
anyone, the live queue signalling other regions' changes). Each test fails while the attack works.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from deploy.local.infra import free_port
from shared.staff import staff_record
from shared.staffpass import DEVELOPMENT_PASS_SECRET, issue_pass
from shared.topics import staff_topic
from tests.integration.test_reporting import signed_in_reporting
from tests.integration.test_staff import new_case
from tests.support import APPS, LiveServer, produce, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"  # what tests.support.staff gives every account
REGION = "varsinais-suomi"
PERIOD = {"region": REGION, "period": "2026", "lang": "en"}


def apps_for(postgres: Any, kafka: Any, prefix: str, *names: str, **extra: Any) -> dict[str, FastAPI]:
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    more = {"routing": {"deadline_check_s": 3600}}
    return {name: APPS[name](settings_for(name, **env, **more.get(name, {}), **extra)) for name in names}


def client(app: FastAPI, address: str | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000)) if address else httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_signing_out_of_routing_ends_the_statistics_session(postgres: Any, kafka: Any, prefix: str) -> None:
    """Item 7: the reporting session ends with the routing one; role and region come from the directory."""
    apps = apps_for(postgres, kafka, prefix, "routing", "reporting")
    async with running(apps["routing"]) as routing, running(apps["reporting"]) as reporting:
        await signed_in_reporting(routing, reporting, apps["routing"])
        assert (await reporting.get("/api/v1/tables/per_month", params=PERIOD)).status_code == 200
        pool = apps["routing"].state.runtime.pool
        async with pool.acquire() as conn:
            row = await conn.fetchrow("SELECT id, username, role, region, team_id, language FROM accounts"
                                      " ORDER BY created_at DESC LIMIT 1")
        signed_out = await routing.post("/logout", data={"csrf": routing.headers["X-CSRF-Token"]},
                                        follow_redirects=False)
        assert signed_out.status_code == 303

        async def statistics_closed() -> bool:
            return (await reporting.get("/api/v1/tables/per_month", params=PERIOD)).status_code == 401

        await eventually_true(statistics_closed, "the statistics session to end with the sign-out")

        # The same person signs in again: a new pass opens statistics again (the sign-out ended only what
        # came before it).
        again = await routing.post("/api/v1/session", json={"username": row["username"], "password": PASSWORD})
        assert again.status_code == 200

        async def reopened() -> bool:
            gave = await routing.get("/pass/reporting", params={"next": "/overview"})
            return (await reporting.get(f"/auth/pass?{urlsplit(gave.headers['location']).query}")).status_code == 303

        await eventually_true(reopened, "a pass after signing in again to open the statistics")
        assert (await reporting.get("/api/v1/tables/per_month", params=PERIOD)).status_code == 200

        # A pass is signed by routing, but what it may open is the directory's word: never the pass's claim.
        started = datetime.now(UTC)
        for role, region in (("manager", "pohjois-pohjanmaa"), ("admin", REGION)):
            forged = issue_pass(DEVELOPMENT_PASS_SECRET, account_id=row["id"], role=role, region=region,
                                language="fi", session_started=started)
            async with client(apps["reporting"]) as browser:
                refused = await browser.get("/auth/pass", params={"token": forged})
                assert refused.status_code == 403 and "set-cookie" not in refused.headers, (role, region)
        honest = issue_pass(DEVELOPMENT_PASS_SECRET, account_id=row["id"], role=row["role"], region=row["region"],
                            language="fi", session_started=started)
        async with client(apps["reporting"]) as browser:
            assert (await browser.get("/auth/pass", params={"token": honest})).status_code == 303

        # A disabled account's passes are refused.
        settings = apps["routing"].state.runtime.settings
        record = staff_record(account_id=row["id"], region=row["region"], role=row["role"], team_id=row["team_id"],
                              language=row["language"], active=False, email=None, keyring=settings.keyring)
        await produce(kafka.bootstrap, staff_topic(prefix, REGION), [(row["id"].encode(),
                                                                      record.model_dump_json().encode())])

        async def disabled_refused() -> bool:
            late = issue_pass(DEVELOPMENT_PASS_SECRET, account_id=row["id"], role=row["role"], region=row["region"],
                              language="fi", session_started=datetime.now(UTC))
            async with client(apps["reporting"]) as browser:
                return (await browser.get("/auth/pass", params={"token": late})).status_code == 403

        await eventually_true(disabled_refused, "a disabled account's pass to be refused")


async def eventually_true(check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def no_store(answer: httpx.Response) -> bool:
    return "no-store" in answer.headers.get("cache-control", "")


def plain_get_paths(app: FastAPI) -> list[str]:
    """Every GET route of ``app`` that takes no path parameter (the live queue's endless stream aside)."""
    return sorted({str(c.path) for c in iter_route_contexts(app.routes) if not isinstance(c.original_route, Mount)
                   and "GET" in (c.methods or ()) and "{" not in str(c.path) and c.path != "/queue/stream"})


async def test_answers_with_personal_data_are_never_cached(postgres: Any, kafka: Any, prefix: str) -> None:
    """Item 9: every answer of every service says no-store, but static files and the button's script."""
    apps = apps_for(postgres, kafka, prefix, "intake", "routing", "notify", "reporting")
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, \
            running(apps["notify"]) as notify, running(apps["reporting"]) as reporting:
        await signed_in_reporting(routing, reporting, apps["routing"], role="coordinator")
        case_id = await new_case(intake, routing)
        receipt = await intake.post("/api/v1/requests", json=request_body())
        assert receipt.status_code == 201 and no_store(receipt)
        code = {"reference": receipt.json()["reference"], "pickup_code": receipt.json()["pickup_code"]}
        form = {**code, "lang": "fi"}
        checked: list[tuple[str, str]] = []
        answers = [("intake", await intake.post("/api/v1/status", json=code)),
                   ("intake", await intake.post("/status", data=form)),
                   ("routing", await routing.get(f"/cases/{case_id}")),
                   ("routing", await routing.get(f"/api/v1/cases/{case_id}")),
                   ("notify", await notify.get("/api/v1/notifications")),
                   ("reporting", await reporting.get("/api/v1/tables/per_month", params=PERIOD)),
                   ("reporting", await reporting.get("/export/per_month.csv", params=PERIOD)),
                   ("reporting", await reporting.get("/export/page-overview.xlsx", params=PERIOD))]
        for service, browser in (("intake", intake), ("routing", routing), ("notify", notify),
                                 ("reporting", reporting)):
            for path in plain_get_paths(apps[service]):
                if path != "/button.js":
                    answers.append((service, await browser.get(path, follow_redirects=False)))
        for service, answer in answers:
            assert answer.status_code < 500, (service, answer.request.url.path, answer.status_code)
            assert no_store(answer), (service, answer.request.url.path, answer.headers.get("cache-control"))
            checked.append((service, answer.request.url.path))
        assert len(checked) > 30
        # What holds nobody's data may be cached.
        assert not no_store(await routing.get("/static/routing.css"))
        assert not no_store(await intake.get("/button.js"))


async def test_refused_looks_at_cases_are_in_the_access_log(postgres: Any, kafka: Any, prefix: str) -> None:
    """Item 16: a professional trying another team's case and a made-up id shows in the access log."""
    apps = apps_for(postgres, kafka, prefix, "intake", "routing")
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing:
        await staff(routing, apps["routing"])
        case_id = await new_case(intake, routing)
        made_up = "00000000-0000-4000-8000-000000000001"
        async with client(apps["routing"], "203.0.113.20") as prying:
            await staff(prying, apps["routing"], role="professional", team="family-work", username="utelias")
            assert (await prying.get(f"/api/v1/cases/{case_id}")).status_code == 404
            assert (await prying.get(f"/cases/{made_up}")).status_code == 404
        async with apps["routing"].state.runtime.pool.acquire() as conn:
            rows = await conn.fetch("SELECT case_id::text, action FROM access_log WHERE account_id = 'utelias'"
                                    " ORDER BY at")
        assert [(r["case_id"], r["action"]) for r in rows] == [(case_id, "api_view_denied"), (made_up, "view_denied")]


async def test_metrics_need_the_token(postgres: Any, kafka: Any, prefix: str) -> None:
    """Item 16: intake's live count of submitted requests (and every service's metrics) only with the token."""
    apps = apps_for(postgres, kafka, prefix, "intake", "routing", metrics_token="scrape-token-of-the-region")
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing:
        await intake.post("/api/v1/requests", json=request_body())
        for browser in (intake, routing):
            assert (await browser.get("/metrics")).status_code == 401
            wrong = await browser.get("/metrics", headers={"Authorization": "Bearer scrape-token-of-the-regioN"})
            assert wrong.status_code == 401
            scraped = await browser.get("/metrics", headers={"Authorization": "Bearer scrape-token-of-the-region"})
            assert scraped.status_code == 200 and "apua_http_requests" in scraped.text


async def read_signals(url: str, cookies: httpx.Cookies, seconds: float) -> int:
    """How many 'changed' signals the live queue's stream sends in ``seconds``."""
    count = 0
    async with httpx.AsyncClient(base_url=url, cookies=cookies, timeout=None) as browser:
        try:
            async with asyncio.timeout(seconds):
                async with browser.stream("GET", "/queue/stream") as stream:
                    assert stream.status_code == 200
                    async for line in stream.aiter_lines():
                        count += line == "event: changed"
        except TimeoutError:
            pass
    return count


async def test_the_live_queue_signals_only_its_own_regions_changes(postgres: Any, kafka: Any, prefix: str) -> None:
    """Item 16: a family writing in Pohjois-Pohjanmaa wakes no queue in Varsinais-Suomi."""
    apps = apps_for(postgres, kafka, prefix, "intake", "routing")
    async with running(apps["intake"]) as intake, LiveServer(apps["routing"], free_port()) as live:
        browsers = {region: httpx.AsyncClient(base_url=live.url) for region in (REGION, "pohjois-pohjanmaa")}
        for region, browser in browsers.items():
            await staff(browser, apps["routing"], region=region)
        watch = {region: asyncio.create_task(read_signals(live.url, browser.cookies, 8.0))
                 for region, browser in browsers.items()}
        await asyncio.sleep(2.0)  # both streams open and past their first look
        for _ in range(3):
            assert (await intake.post("/api/v1/requests", json=request_body("oulu"))).status_code == 201
        signals = {region: await task for region, task in watch.items()}
        for browser in browsers.values():
            await browser.aclose()
    assert signals["pohjois-pohjanmaa"] >= 1, signals
    assert signals[REGION] == 0, signals
