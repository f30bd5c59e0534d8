"""The services under attack, on the real Kafka and PostgreSQL: sessions, roles, CSRF, guessing, headers.

Routes are taken from each app's router, so a route added later is checked without anyone
remembering to list it; only the public ones below are left out, each with its reason.

Covered elsewhere and built on here rather than repeated: in ``test_staff.py``, a professional's
queue (``test_professional_sees_only_their_teams_cases``) and the slowing of staff password guessers
(``test_wrong_passwords_slow_the_guesser_never_lock_the_owner_and_commands_need_csrf``); in
``test_family_api.py``, the
pick-up code that wrong codes never lock (``test_wrong_codes_never_lock_the_reference_for_the_right_code``)
and the limit on sending requests (``test_per_client_rate_limit``); in ``test_reporting.py``, passes
used once, forged, with an open redirect, for a professional, for a deactivated account; in
``tests/attacks/test_pickup_attacks.py``, guessing pick-up codes (real and made-up references answer alike, the
family gets in after another client's guesses, the guesser is throttled).
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from deploy.local.infra import free_port
from services.notify.settings import NotifySettings
from tests.integration.test_reporting import signed_in_reporting
from tests.integration.test_staff import command, new_case
from tests.support import APPS, LiveServer, eventually, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"  # what tests.support.staff gives every account
UNUSED_IDP = "http://127.0.0.1:9/idp"  # OpenID Connect on, so its routes exist; nothing here signs in with it
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

# Open to everyone, on purpose.
PUBLIC: dict[tuple[str, str, str], str] = {
    ("routing", "GET", "/login"): "the sign-in page",
    ("routing", "POST", "/login"): "signing in: there is no session yet",
    ("routing", "POST", "/api/v1/session"): "signing in through the API: there is no session yet",
    ("routing", "GET", "/login/oidc"): "sign-in through the region's identity provider",
    ("routing", "GET", "/login/oidc/callback"): "where the identity provider sends the person back",
    ("reporting", "GET", "/auth/pass"): "where routing sends a signed-in person with a one-time signed pass",
    ("routing", "GET", "/password/reset"): "the one-time password link's page: its token is the credential",
    ("routing", "POST", "/password/reset"): "setting a new password with that token (used once, valid a day)",
    ("routing", "GET", "/referral/{token}"): "the receiving service's link: its signed token is the credential,"
                                             " and the page shows nothing of the family until opened",
    ("routing", "POST", "/referral/{token}/open"): "opening the referral by that token, logged as a disclosure",
    ("routing", "POST", "/referral/{token}/answer"): "the service's answer by that token (tests/attacks:"
                                                     " test_referral_link_attacks)",
}
PUBLIC_EVERYWHERE: dict[str, str] = {
    "/healthz": "liveness for the orchestrator, no data",
    "/readyz": "readiness for the orchestrator: up or down, lag and outbox depth, no data",
    "/metrics": "counts for Prometheus (routes, statuses, lag, risk per region), no data; behind APUA_METRICS_TOKEN,"
                " open here because tests set none (tests/attacks: test_metrics_need_the_token)",
    "/openapi.json": "the API's description, no data",
    "/docs": "the API's description, no data",
}
PUBLIC_MOUNTS = {"/static": "stylesheets, scripts and images", "/docs/assets": "Swagger UI's files for /docs"}
# Read by script like the API, never opened as a page: 401 rather than a redirect to sign in.
SCRIPTED = {("routing", "/queue/stream"): "the live queue's server-sent events"}


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    path: str  # as declared, with its {parameters}

    @property
    def public(self) -> str | None:
        return PUBLIC.get((self.service, self.method, self.path)) or PUBLIC_EVERYWHERE.get(self.path)

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/") or (self.service, self.path) in SCRIPTED

    def url(self, **values: str) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            assert name in values, f"{self.path}: give the test a value for {{{name}}}"
            return values[name]

        return re.sub(r"\{(\w+)(?::\w+)?\}", value, self.path)


def routes(service: str, app: FastAPI) -> list[Route]:
    """Every method and path the app's router answers (HEAD aside), and a check that nothing else is mounted."""
    found, mounts = [], set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount):
            mounts.add(context.path)
            continue
        methods = sorted(set(context.methods or ()) - {"HEAD"})
        found += [Route(service, method, str(context.path)) for method in methods]
    assert mounts <= set(PUBLIC_MOUNTS), f"{service} mounts {mounts - set(PUBLIC_MOUNTS)}: check who may open it"
    return found


def client(app: FastAPI, *, address: str | None = None, cookies: dict[str, str] | None = None,
           base_url: str = "http://testserver") -> httpx.AsyncClient:
    """Another browser (from another address, with cookies of its own) talking to a running app."""
    transport = (httpx.ASGITransport(app=app, client=(address, 40000)) if address
                 else httpx.ASGITransport(app=app))
    return httpx.AsyncClient(transport=transport, base_url=base_url, cookies=cookies)


@dataclass
class Stack:
    apps: dict[str, FastAPI]
    clients: dict[str, httpx.AsyncClient]

    @property
    def staff_url(self) -> str:
        return str(self.apps["reporting"].state.runtime.settings.staff_url).rstrip("/")

    def client(self, service: str, **kwargs: Any) -> httpx.AsyncClient:
        return client(self.apps[service], **kwargs)


@pytest.fixture
async def stack(postgres: Any, kafka: Any, prefix: str) -> AsyncIterator[Stack]:
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {"intake": APPS["intake"](settings_for("intake", **env)),
            "routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600, oidc_issuer=UNUSED_IDP)),
            "reporting": APPS["reporting"](settings_for("reporting", **env))}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, \
            running(apps["reporting"]) as reporting:
        yield Stack(apps, {"intake": intake, "routing": routing, "reporting": reporting})


async def ends_at(stack: Stack, service: str, response: httpx.Response) -> tuple[str, str]:
    """Where a browser without a session lands: follow redirects across routing and reporting."""
    for _ in range(6):
        if not response.is_redirect:
            return service, response.request.url.path
        location = response.headers["location"]
        if location.startswith(stack.staff_url):
            service, location = "routing", location[len(stack.staff_url):] or "/"
        assert location.startswith("/") and not location.startswith("//"), f"sent off-site to {location}"
        async with stack.client(service) as browser:
            response = await browser.get(location)
    raise AssertionError("a redirect loop")


# The staff pages and API name accounts, absences and feedback by id: a made-up one of each.
ACCOUNT_IDS = {"account_id": "nobody-here", "absence_id": str(uuid.uuid4()), "feedback_id": str(uuid.uuid4()),
               "token": "not-a-referral-link"}  # a receiving service's link that no one signed


async def test_every_staff_route_without_a_session_is_refused(stack: Stack) -> None:
    checked: set[tuple[str, str, str]] = set()
    sample = {"case_id": str(uuid.uuid4()), "table_id": "per_month", "name": "per_month", "fmt": "csv",
              "template_id": str(uuid.uuid4()), **ACCOUNT_IDS}
    for service in ("routing", "reporting"):
        async with stack.client(service) as stranger:
            for route in routes(service, stack.apps[service]):
                if route.public:
                    continue
                url = route.url(**sample)
                changes = route.method in STATE_CHANGING
                if route.api:
                    response = await stranger.request(route.method, url, json={} if changes else None)
                    assert response.status_code == 401, (route, response.status_code, response.text[:200])
                else:
                    response = await stranger.request(route.method, url, data={"csrf": "x"} if changes else None)
                    assert response.is_redirect, (route, response.status_code, response.text[:200])
                    assert await ends_at(stack, service, response) == ("routing", "/login"), route
                checked.add((service, route.method, route.path))
    assert checked >= {("routing", "GET", "/queue"), ("routing", "GET", "/cases/{case_id}"),
                       ("routing", "POST", "/cases/{case_id}/act"), ("routing", "GET", "/admin/access.csv"),
                       ("routing", "GET", "/api/v1/cases/{case_id}"), ("routing", "POST", "/logout"),
                       ("routing", "GET", "/queue/stream"), ("reporting", "GET", "/overview"),
                       ("reporting", "GET", "/export/{name}.{fmt}"), ("reporting", "GET", "/api/v1/tables/{table_id}"),
                       ("reporting", "POST", "/auth/logout")}


def marked(tag: str) -> dict[str, Any]:
    """A request whose message and contact details each carry a string found nowhere else."""
    return {"message": f"Viesti-{tag} lapsemme unesta", "contact": {
        "method": "email", "name": f"Nimi-{tag}", "email": f"osoite-{tag}@example.fi", "call_times": f"Aika-{tag}"}}


async def test_a_professional_gets_404_for_another_teams_case(stack: Stack) -> None:
    intake, routing, app = stack.clients["intake"], stack.clients["routing"], stack.apps["routing"]
    await staff(routing, app)
    tag = uuid.uuid4().hex[:10]
    theirs = await new_case(intake, routing, **marked(tag))
    assert (await command(routing, theirs, "assign", 0, assignee_kind="team",
                          assignee_id="family-counselling")).is_success
    made_up = str(uuid.uuid4())
    async with stack.client("routing") as pro:
        csrf = await staff(pro, app, role="professional", team="family-work")
        answers: dict[str, list[tuple[int, str]]] = {}
        for case_id in (theirs, made_up):
            seen = [await pro.get(f"/api/v1/cases/{case_id}"), await pro.get(f"/cases/{case_id}"),
                    await command(pro, case_id, "reply", 1, text="Hei"),
                    await pro.post(f"/cases/{case_id}/act", data={
                        "csrf": csrf, "command": "reply", "expected_version": "1", "text": "Hei", "lang": "fi"})]
            for response in seen:
                assert response.status_code == 404, (case_id, response.request.url, response.status_code)
                assert tag not in response.text
            answers[case_id] = [(r.status_code, r.text.replace(case_id, "ID")) for r in seen]
        # Nothing tells another team's case from one that does not exist.
        assert answers[theirs] == answers[made_up]
    view = (await routing.get(f"/api/v1/cases/{theirs}")).json()
    assert view["command_version"] == 1 and [e["type"] for e in view["timeline"]] == ["request.submitted",
                                                                                       "case.assigned"]


def readable(response: httpx.Response) -> str:
    """Everything a person could read in an answer: headers, body, and the sheets inside an XLSX."""
    text = " ".join(f"{k}: {v}" for k, v in response.headers.items())
    if response.content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            return text + " ".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    return text + response.content.decode("utf-8", "replace")


async def crawl(browser: httpx.AsyncClient, starts: Iterable[str], limit: int = 150) -> list[httpx.Response]:
    """Open every start and every link of the service found on the way, as a curious person would."""
    queue, seen, answers = list(starts), set[str](), []
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = await browser.get(url)
        answers.append(response)
        links = [response.headers["location"]] if response.is_redirect else (
            re.findall(r'href="([^"]+)"', response.text) if "text/html" in response.headers.get("content-type", "")
            else [])
        for link in links:
            link = unescape(link).split("#")[0]
            if link.startswith("/") and not link.startswith(("//", *NOT_PAGES)) and link not in seen:
                queue.append(link)
    return answers


# Not opened by a crawl: files, the live queue's endless stream, the round trip to the identity provider.
NOT_PAGES = ("/static/", "/queue/stream", "/login/oidc")


def page_starts(service: str, app: FastAPI, **values: str) -> list[str]:
    """Every GET route with its parameters filled, but those in NOT_PAGES."""
    return [r.url(**values) for r in routes(service, app) if r.method == "GET" and not r.path.startswith(NOT_PAGES)]


async def test_a_manager_sees_no_personal_data(stack: Stack) -> None:
    intake, routing, app = stack.clients["intake"], stack.clients["routing"], stack.apps["routing"]
    await staff(routing, app)
    tag = uuid.uuid4().hex[:10]
    receipt = (await intake.post("/api/v1/requests", json=request_body(**marked(tag)))).json()
    case_id = receipt["case_id"]
    more = {"reference": receipt["reference"], "pickup_code": receipt["pickup_code"],
            "message_id": str(uuid.uuid4()), "message": f"Lisäys-{tag}"}
    assert (await intake.post("/api/v1/status/messages", json=more)).status_code == 201

    async def both_messages() -> bool:
        response = await routing.get(f"/api/v1/cases/{case_id}")
        return response.status_code == 200 and f"Lisäys-{tag}" in response.text

    await eventually(both_messages, what="the case and the family's second message in routing")
    opened = (await routing.get(f"/api/v1/cases/{case_id}")).text  # a coordinator does see it: the marks are real
    assert all(mark in opened for mark in (f"Viesti-{tag}", f"Nimi-{tag}", f"osoite-{tag}", f"Aika-{tag}"))
    assert (await command(routing, case_id, "add_note", 0, text=f"Muistiinpano-{tag}")).is_success

    reporting_pool = stack.apps["reporting"].state.runtime.pool

    async def in_statistics() -> bool:
        return bool(await reporting_pool.fetchval("SELECT count(*) FROM case_facts WHERE case_id = $1",
                                                  uuid.UUID(case_id)))

    await eventually(in_statistics, what="the case in reporting's facts")
    async with stack.client("routing") as manager, stack.client("reporting") as dashboards:
        await signed_in_reporting(manager, dashboards, app, role="manager")
        assert (await manager.get("/api/v1/cases")).status_code == 403
        assert (await manager.get(f"/api/v1/cases/{case_id}")).status_code == 404
        assert (await command(manager, case_id, "add_note", 1, text="x")).status_code == 403
        assert (await manager.get(f"/cases/{case_id}")).headers["location"] == "/"
        assert (await manager.get("/queue/stream")).status_code == 401
        seen = await crawl(manager, [*page_starts("routing", app, case_id=case_id, template_id=str(uuid.uuid4()),
                                                   **ACCOUNT_IDS),
                                     f"/admin/access?case={case_id}",
                                     f"/admin/access.csv?case={case_id}", "/queue?status=all&team=family-work"])
        seen += await crawl(dashboards, page_starts("reporting", stack.apps["reporting"], table_id="key_figures",
                                                    name="page-overview", fmt="xlsx"))
    assert any(r.request.url.path == "/summary" and r.status_code == 200 for r in seen)
    assert any(r.request.url.path == "/overview" and r.status_code == 200 for r in seen)
    assert any(r.request.url.path.startswith("/export/") and r.status_code == 200 for r in seen)
    for response in seen:
        assert tag not in readable(response), response.request.url


async def test_csrf_on_every_state_changing_route(stack: Stack) -> None:
    intake, routing, app = stack.clients["intake"], stack.clients["routing"], stack.apps["routing"]
    token = await staff(routing, app)
    case_id = await new_case(intake, routing)
    del routing.headers["X-CSRF-Token"]
    # A form that would triage the case if nothing checked where it came from.
    act = {"command": "triage", "expected_version": "0", "topic": "child_emotions", "urgency": "normal", "lang": "fi"}
    checked = set()
    # The admin's forms are tried by an admin (anyone else is sent home before a token is looked at).
    admin_client = stack.client("routing")
    admin_token = await staff(admin_client, app, role="admin")
    del admin_client.headers["X-CSRF-Token"]
    for route in routes("routing", app):
        if route.method not in STATE_CHANGING or route.public:
            continue
        url = route.url(case_id=case_id, template_id=str(uuid.uuid4()), **ACCOUNT_IDS)
        if route.path.startswith("/admin/"):
            for extra in ({}, {"csrf": "wrong"}, {"csrf": admin_token[:-1]}, {"csrf": ""}):
                refused = await admin_client.request(route.method, url, data={**act, **extra})
                assert refused.status_code == 403, (route, extra, refused.status_code)
        elif route.api:
            for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": token[:-1]}, {"X-CSRF-Token": ""}):
                refused = await routing.request(route.method, url, json={}, headers=headers)
                assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed", (route, headers)
            passed = await routing.request(route.method, url, json={}, headers={"X-CSRF-Token": token})
            assert passed.status_code != 403 or passed.json()["error"] != "csrf_failed", route
        else:
            for extra in ({}, {"csrf": "wrong"}, {"csrf": token[:-1]}, {"csrf": ""}):
                refused = await routing.request(route.method, url, data={**act, **extra})
                assert refused.status_code == 403, (route, extra, refused.status_code)
        checked.add((route.method, route.path))
    await admin_client.aclose()
    assert checked >= {("POST", "/api/v1/cases/{case_id}/commands"), ("POST", "/cases/{case_id}/act"),
                       ("POST", "/logout"), ("POST", "/admin/accounts/{account_id}"), ("POST", "/absences")}
    routing.headers["X-CSRF-Token"] = token
    view = (await routing.get(f"/api/v1/cases/{case_id}")).json()
    assert view["command_version"] == 0 and view["case"]["status"] == "new"  # nothing was done, and still signed in
    done = await routing.post(f"/cases/{case_id}/act", data={**act, "csrf": token})
    assert done.status_code == 303 and (await routing.get(f"/api/v1/cases/{case_id}")).json()["command_version"] == 1

    # Reporting's only form signs out; it too needs the session's token.
    async with stack.client("routing") as manager, stack.client("reporting") as dashboards:
        await signed_in_reporting(manager, dashboards, app, role="manager")
        page = (await dashboards.get("/overview")).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        for route in routes("reporting", stack.apps["reporting"]):
            if route.method in STATE_CHANGING and not route.public and not route.api:
                for extra in ({}, {"csrf": "wrong"}, {"csrf": csrf.group(1)[:-1]}):
                    assert (await dashboards.request(route.method, route.url(), data=extra)).status_code == 403
        assert (await dashboards.get("/api/v1/tables/per_month")).status_code == 200  # still signed in
        out = await dashboards.post("/auth/logout", data={"csrf": csrf.group(1)})
        assert out.status_code == 303 and (await dashboards.get("/api/v1/tables/per_month")).status_code == 401


async def test_no_session_fixation_and_sign_out_ends_the_session(stack: Stack) -> None:
    routing, app = stack.clients["routing"], stack.apps["routing"]
    username = f"riikka-{uuid.uuid4().hex[:6]}"
    await staff(routing, app, username=username)
    planted = "chosen-by-someone-else-0123456789abcdef0123456789"

    async def signed_in(token: str) -> bool:
        async with stack.client("routing", cookies={"apua_staff": token}) as browser:
            api = await browser.get("/api/v1/cases")
            page = await browser.get("/queue")
            assert (api.status_code == 200) == (page.status_code == 200), (api.status_code, page.status_code)
            return api.status_code == 200

    assert not await signed_in(planted)
    async with stack.client("routing", cookies={"apua_staff": planted}) as victim:
        answer = await victim.post("/login", data={"username": username, "password": PASSWORD, "next": "/queue"})
        assert answer.status_code == 303
        fresh = answer.cookies["apua_staff"]
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
    async with stack.client("routing", cookies={"apua_staff": planted}) as victim:
        api_token = (await victim.post("/api/v1/session", json={"username": username, "password": PASSWORD})
                     ).cookies["apua_staff"]
    assert len({planted, fresh, api_token}) == 3 and len(fresh) >= 40
    assert not await signed_in(planted) and await signed_in(fresh) and await signed_in(api_token)

    async with stack.client("routing", cookies={"apua_staff": fresh}) as browser:
        csrf = re.search(r'name="csrf" value="([^"]+)"', (await browser.get("/queue")).text)
        assert csrf is not None
        assert (await browser.post("/logout", data={"csrf": csrf.group(1)})).headers["location"] == "/login"
    assert not await signed_in(fresh)  # the old cookie is worth nothing, even to someone who kept it
    assert await signed_in(api_token)  # signing out ends that session only

    # Reporting: a planted cookie is nobody's; a pass opens a fresh session; signing out ends it.
    async with stack.client("reporting", cookies={"apua_reports": planted}) as dashboards:
        assert (await dashboards.get("/api/v1/tables/per_month")).status_code == 401
        async with stack.client("routing") as manager:
            welcome = await signed_in_reporting(manager, dashboards, app, role="manager")
    reports = welcome.cookies["apua_reports"]
    assert reports != planted and "httponly" in welcome.headers["set-cookie"].lower()
    async with stack.client("reporting", cookies={"apua_reports": reports}) as dashboards:
        csrf = re.search(r'name="csrf" value="([^"]+)"', (await dashboards.get("/overview")).text)
        assert csrf is not None
        assert (await dashboards.post("/auth/logout", data={"csrf": csrf.group(1)})).status_code == 303
    async with stack.client("reporting", cookies={"apua_reports": reports}) as replay:
        assert (await replay.get("/api/v1/tables/per_month")).status_code == 401

    # The family's status page: the same rules.
    receipt = (await stack.clients["intake"].post("/api/v1/requests", json=request_body())).json()
    credentials = {"reference": receipt["reference"], "pickup_code": receipt["pickup_code"], "lang": "fi"}

    async def family_signed_in(token: str) -> bool:
        async with stack.client("intake", cookies={"apua_status": token}) as browser:
            return 'action="/status/sign-out"' in (await browser.get("/status")).text

    assert not await family_signed_in(planted)
    async with stack.client("intake", cookies={"apua_status": planted}) as family_browser:
        answer = await family_browser.post("/status", data=credentials)
        assert answer.status_code == 303 and "samesite=strict" in answer.headers["set-cookie"].lower()
        status_token = answer.cookies["apua_status"]
    assert status_token != planted and await family_signed_in(status_token)
    async with stack.client("intake", cookies={"apua_status": status_token}) as family_browser:
        csrf = re.search(r'name="csrf" value="([^"]+)"', (await family_browser.get("/status")).text)
        assert csrf is not None
        assert (await family_browser.post("/status/sign-out", data={"csrf": csrf.group(1)})).status_code == 303
    assert not await family_signed_in(status_token)


async def test_wrong_codes_through_every_door_never_lock_the_reference(stack: Stack) -> None:
    intake = stack.clients["intake"]
    receipt = (await intake.post("/api/v1/requests", json=request_body())).json()
    reference, code = receipt["reference"], receipt["pickup_code"]
    wrong = "22222-22222-22222-22222" if code != "22222-22222-22222-22222" else "33333-33333-33333-33333"

    async def attempt(browser: httpx.AsyncClient, door: str, pickup_code: str) -> httpx.Response:
        if door == "page":
            return await browser.post("/status", data={"reference": reference, "pickup_code": pickup_code,
                                                       "lang": "fi"})
        if door == "receipt":  # the receipt in another language: shown only for the right code
            return await browser.post("/m/raisio/receipt", data={"reference": reference, "pickup_code": pickup_code,
                                                                 "lang": "sv"})
        return await browser.post("/api/v1/status", json={"reference": reference, "pickup_code": pickup_code})

    refused = {"page": 401, "api": 401, "receipt": 303}  # the receipt's door leads to the sign-in
    # More wrong codes than the old lock allowed (five), through every door: each one only a wrong code.
    for door in ("api", "page", "receipt", "api", "page", "receipt", "api"):
        answer = await attempt(intake, door, wrong)
        assert answer.status_code == refused[door], door
        assert "set-cookie" not in answer.headers and code not in answer.text
    # The right code opens at once, through every door, from this client and from another.
    async with stack.client("intake", address="198.51.100.7") as elsewhere:
        for browser in (elsewhere, intake):
            assert (await attempt(browser, "api", code)).status_code == 200
            receipt_page = await attempt(browser, "receipt", code)
            assert receipt_page.status_code == 200 and code in receipt_page.text
            assert (await attempt(browser, "page", code)).status_code == 303
    intake.cookies.clear()


async def test_status_sign_in_is_rate_limited_per_client(postgres: Any, kafka: Any, prefix: str) -> None:
    settings = settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap, status_limit=4)
    app = APPS["intake"](settings)
    async with running(app) as intake:
        receipts = [(await intake.post("/api/v1/requests", json=request_body())).json() for _ in range(4)]
        # Different references, so only the client's count of attempts is what stops it.
        for i, door in enumerate(("page", "api", "page", "api")):
            wrong = {"reference": receipts[i]["reference"], "pickup_code": "22222-22222-22222-22222"}
            response = await (intake.post("/status", data=wrong) if door == "page"
                              else intake.post("/api/v1/status", json=wrong))
            assert response.status_code == 401
        right = {"reference": receipts[0]["reference"], "pickup_code": receipts[0]["pickup_code"]}
        for response in (await intake.post("/status", data=right), await intake.post("/api/v1/status", json=right)):
            assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 601
            assert "set-cookie" not in response.headers
        assert (await intake.post("/api/v1/status", json=right)).json()["error"] == "too_many_requests"
        async with client(app, address="198.51.100.8") as neighbour:  # another client is not held up
            assert (await neighbour.post("/status", data=right)).status_code == 303


def policy(response: httpx.Response) -> dict[str, str]:
    header = response.headers.get("content-security-policy")
    assert header, f"{response.request.url} has no Content-Security-Policy"
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


class InlineCode(HTMLParser):
    """What a policy without 'unsafe-inline' would block: inline scripts, styles and event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{name}= on <{tag}>" for name, _ in attrs if name == "style" or name.startswith("on")]
        self.found += [f"javascript: link on <{tag}>" for name, value in attrs
                       if name in ("href", "action") and (value or "").strip().lower().startswith("javascript:")]


async def every_page(stack: Stack, tmp_path: Path, postgres: Any, kafka: Any, prefix: str
                     ) -> dict[str, list[httpx.Response]]:
    """Every service's pages, as strangers, families and each staff role open them."""
    intake, routing, app = stack.clients["intake"], stack.clients["routing"], stack.apps["routing"]
    seen: dict[str, list[httpx.Response]] = {"intake": [], "routing": [], "reporting": [], "notify": []}
    await staff(routing, app)
    case_id = await new_case(intake, routing)

    form = {"submission_id": str(uuid.uuid4()), "lang": "fi", "requester_role": "parent", "message": "Apua",
            "contact_method": "anonymous", "consent": "yes", "website": ""}
    receipt = await intake.post("/m/raisio", data=form)
    reference = re.search(r'id="reference"[^>]*>([^<]+)<', receipt.text)
    code = re.search(r'id="pickup-code"[^>]*>([^<]+)<', receipt.text)
    assert receipt.status_code == 201 and reference and code, receipt.text[:500]
    seen["intake"] += [receipt, await intake.post("/m/raisio", data={**form, "consent": ""}),
                       await intake.post("/status", data={"reference": "XXXX-XXXX", "pickup_code": "22222"}),
                       await intake.post("/accessibility/feedback", data={"m": "raisio", "feedback": ""}),
                       await intake.get("/m/atlantis", headers={"accept": "text/html"})]
    seen["intake"] += await crawl(intake, page_starts("intake", stack.apps["intake"], municipality_id="raisio"))
    async with stack.client("intake") as family_browser:
        signed = await family_browser.post("/status", data={"reference": reference.group(1).strip(),
                                                            "pickup_code": code.group(1).strip()})
        assert signed.status_code == 303
        seen["intake"] += await crawl(family_browser, ["/status"], limit=10)

    seen["routing"] += [await routing.post("/login", data={"username": "nobody", "password": "wrong password"}),
                        await routing.get(f"/cases/{uuid.uuid4()}")]
    template = await routing.post("/api/v1/templates", json={"language": "fi", "title": "Pohja", "text": "Hei!"})
    starts = page_starts("routing", app, case_id=case_id, template_id=template.json()["template_id"], **ACCOUNT_IDS)
    seen["routing"] += await crawl(routing, starts)
    for role, team in (("professional", "family-work"), ("manager", None), ("admin", None)):
        async with stack.client("routing") as browser:
            await staff(browser, app, role=role, team=team)
            seen["routing"] += await crawl(browser, starts, limit=60)
    async with stack.client("routing") as stranger:
        seen["routing"] += await crawl(stranger, starts, limit=60)

    async with stack.client("routing") as manager, stack.client("reporting") as dashboards:
        seen["reporting"] += [await dashboards.get("/auth/pass", params={"token": "forged"}),
                              await dashboards.get("/overview")]
        await signed_in_reporting(manager, dashboards, app, role="manager")
        seen["reporting"] += await crawl(dashboards, page_starts("reporting", stack.apps["reporting"],
                                                                 table_id="per_month", name="topics", fmt="csv"))

    notify = APPS["notify"](NotifySettings(
        environment="development", database_url=postgres.dsn, kafka_bootstrap=kafka.bootstrap,
        topic_prefix=f"{prefix}n", db_schema=f"notify_{prefix}n", topic_partitions=3, dev_mail_dir=tmp_path))
    async with running(notify) as mail:
        seen["notify"] += await crawl(mail, ["/dev/mail", "/docs"])
    return seen


async def test_every_html_page_has_a_strict_policy_and_staff_pages_cannot_be_framed(
        stack: Stack, tmp_path: Path, postgres: Any, kafka: Any, prefix: str) -> None:
    seen = await every_page(stack, tmp_path, postgres, kafka, prefix)
    for service, answers in seen.items():
        pages = [r for r in answers if r.headers.get("content-type", "").startswith("text/html")]
        assert len(pages) >= (1 if service == "notify" else 8), (service, len(pages))
        for page in pages:
            where = f"{service} {page.request.method} {page.request.url}"
            header = page.headers["content-security-policy"]
            csp = policy(page)
            assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header, where
            assert (csp["default-src"], csp["script-src"], csp["style-src"]) == ("'self'",) * 3, where
            assert (csp["object-src"], csp["base-uri"]) == ("'none'", "'none'"), where
            assert page.headers["x-content-type-options"] == "nosniff", where
            finder = InlineCode()  # /docs too: Swagger UI is started from a file of the service
            finder.feed(page.text)
            assert not finder.found, (where, finder.found)
    for service in ("routing", "reporting"):
        assert {r.request.url.path for r in seen[service]} >= (
            {"/login", "/queue", "/summary", "/admin/access", "/admin/accounts"} if service == "routing" else
            {"/overview", "/topics", "/response", "/outcomes", "/report"})
        for answer in seen[service]:  # pages, redirects, API answers, files: none can be put in a frame
            assert policy(answer)["frame-ancestors"] == "'none'", answer.request.url
            assert answer.headers["x-frame-options"] == "DENY", answer.request.url
    case_pages = [r for r in seen["routing"] if r.request.url.path.startswith("/cases/") and r.status_code == 200]
    assert case_pages, "a case page was opened"


def framing(response: httpx.Response) -> tuple[str, str | None]:
    return policy(response)["frame-ancestors"], response.headers.get("x-frame-options")


async def test_the_family_form_may_be_framed_only_by_its_own_municipality(stack: Stack) -> None:
    intake = stack.clients["intake"]
    raisio = ("'self' https://www.raisio.fi", None)
    form = {"submission_id": str(uuid.uuid4()), "lang": "fi", "requester_role": "parent", "message": "Apua",
            "contact_method": "anonymous", "consent": "yes", "website": ""}
    framed = {
        "the form": await intake.get("/m/raisio"),
        "the form in Swedish": await intake.get("/m/raisio?lang=sv"),
        "the form with errors": await intake.post("/m/raisio", data={**form, "consent": ""}),
        "the receipt": await intake.post("/m/raisio", data=form),
        "privacy, linked from the form": await intake.get("/privacy?lang=fi&m=raisio"),
        "accessibility, linked from the form": await intake.get("/accessibility?lang=fi&m=raisio"),
        "accessibility feedback": await intake.post("/accessibility/feedback", data={"m": "raisio", "feedback": ""}),
    }
    assert framed["the receipt"].status_code == 201
    for what, response in framed.items():
        assert framing(response) == raisio, what
        assert "x-apua-frame-ancestors" not in response.headers  # the route's note stays inside the service
    assert framing(await intake.get("/m/oulu")) == ("'self' https://www.ouka.fi", None)
    # A municipality whose site is not configured: nobody may frame its form.
    region, kemionsaari = stack.apps["intake"].state.runtime.regions.region_of("kemionsaari")
    assert kemionsaari.website is None
    assert framing(await intake.get("/m/kemionsaari")) == ("'none'", "DENY")

    receipt = (await intake.post("/api/v1/requests", json=request_body())).json()
    unframed = {
        "the index": await intake.get("/"),
        "the demo of a municipality's site": await intake.get("/demo/raisio"),
        "the status sign-in": await intake.get("/status?lang=fi"),
        "a wrong pick-up code": await intake.post("/status", data={"reference": "XXXX-XXXX", "pickup_code": "2"}),
        "privacy of the whole region": await intake.get("/privacy"),
        "an unknown municipality": await intake.get("/m/atlantis", headers={"accept": "text/html"}),
        "the API": await intake.get("/api/v1/municipalities"),
    }
    async with stack.client("intake") as family_browser:
        await family_browser.post("/status", data={"reference": receipt["reference"],
                                                   "pickup_code": receipt["pickup_code"]})
        unframed["the family's case"] = await family_browser.get("/status")
        assert 'action="/status/sign-out"' in unframed["the family's case"].text
    for what, response in unframed.items():
        assert framing(response) == ("'none'", "DENY"), what
    # Links out of a framed page to the status page (which cannot be framed) open it at the top.
    assert 'href="/status?lang=fi&amp;m=raisio" target="_top"' in framed["the form"].text
    assert re.search(r'href="/status\?[^"]*ref=[^"]*" target="_top"', framed["the receipt"].text)

    # The button's script is loaded by the municipalities' own sites.
    button = await intake.get("/button.js", headers={"origin": "https://www.raisio.fi"})
    assert button.status_code == 200 and button.headers["content-type"].startswith("text/javascript")
    assert button.headers["cross-origin-resource-policy"] == "cross-origin"
    assert button.headers["access-control-allow-origin"] == "*"
    assert (await intake.get("/static/form.js")).headers["cross-origin-resource-policy"] == "same-origin"


HSTS = "max-age=31536000; includeSubDomains"


async def test_hsts_over_tls_only(stack: Stack) -> None:
    for service, path in (("intake", "/m/raisio"), ("routing", "/login"), ("reporting", "/overview"),
                          ("intake", "/healthz")):
        async with stack.client(service, base_url="https://apua.example") as tls:
            assert (await tls.get(path)).headers["strict-transport-security"] == HSTS, service
        assert "strict-transport-security" not in (await stack.clients[service].get(path)).headers, service


async def test_hsts_behind_a_trusted_proxy_only(postgres: Any, kafka: Any, prefix: str) -> None:
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    # The app trusts X-Forwarded-Proto from APUA_TRUSTED_PROXIES (127.0.0.1 by default), as the services run.
    async with LiveServer(APPS["intake"](settings_for("intake", **env)), free_port()) as live:
        async with httpx.AsyncClient(base_url=live.url) as browser:
            proxied = await browser.get("/m/raisio", headers={"x-forwarded-proto": "https"})
            assert proxied.headers["strict-transport-security"] == HSTS
            assert "strict-transport-security" not in (await browser.get("/m/raisio")).headers
    # The proxy is somewhere else: a client's word.
    untrusting = LiveServer(APPS["intake"](settings_for("intake", **env, trusted_proxies=["192.0.2.1"])), free_port())
    async with untrusting as live, httpx.AsyncClient(base_url=live.url) as browser:
        forged = await browser.get("/m/raisio", headers={"x-forwarded-proto": "https"})
        assert forged.status_code == 200 and "strict-transport-security" not in forged.headers
