"""Network coordinators on real Kafka and PostgreSQL: signed in at routing and passed on to the network with a
one-time pass, they see the registry; routing answers them 404 on every route about cases; case staff, with or
without a pass, get 404 for every route of the network's coordinators."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.routing import APIRoute

from services.network.domain import new_token, token_digest
from services.routing.web import NETWORK_COORDINATOR_PATHS
from shared.staffpass import issue_pass
from tests.integration.test_network_recruitment import REGION, application, open_campaign
from tests.integration.test_reporting import signed_in_reporting
from tests.network_support import listed
from tests.support import APPS, eventually, running, settings_for, staff

pytestmark = pytest.mark.integration
COORDINATOR_ROUTES = [("GET", "/registry"), ("GET", "/api/v1/registry")]


@pytest.fixture
async def deployment(postgres: Any, kafka: Any, prefix: str):  # type: ignore[no-untyped-def]
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {"routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600,
                                                    network_url="http://network.example")),
            "network": APPS["network"](settings_for("network", **env))}
    async with running(apps["routing"]) as routing, running(apps["network"]) as network:
        yield {"apps": apps, "routing": routing, "network": network}


def client_of(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def passed_on(routing: httpx.AsyncClient, network: httpx.AsyncClient) -> httpx.Response:
    """Follow routing's way to the network with the pass it signs; the network's answer to the pass."""
    to_network = await routing.get("/pass/network")
    assert to_network.status_code == 303, to_network.text
    target = urlsplit(to_network.headers["location"])
    assert target.netloc == "network.example" and target.path == "/auth/pass"
    return await network.get(f"/auth/pass?{target.query}")


def api_routes(routes: Any, prefix: str = "") -> Any:
    """Every APIRoute of an app with the prefix it is served under (routers may be included lazily)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes, prefix + (route.include_context.prefix or ""))


def concrete(path: str) -> str:
    return re.sub(r"{[^}]+}", lambda m: str(uuid.uuid4()) if "id" in m.group(0) else "x", path)


async def test_a_network_coordinator_sees_the_registry_and_no_case(deployment: dict[str, Any]) -> None:
    apps, network = deployment["apps"], deployment["network"]
    today = datetime.now(UTC).date()
    await open_campaign(apps["network"], REGION, today - timedelta(days=1), today + timedelta(days=30))
    pool = apps["network"].state.runtime.pool
    for municipality, sector in (("raisio", "school"), ("raisio", "ngo"), ("naantali", "school")):
        applied = await network.post("/api/v1/applications", json=application(municipality, sector=sector))
        assert applied.status_code == 201
        # The mailed link's token is only in the mail (test_network_recruitment follows it): one of our own here.
        token = new_token()
        await pool.execute("UPDATE agents SET confirm_digest = $2 WHERE agent_id = $1",
                           uuid.UUID(applied.json()["agent_id"]), token_digest(token))
        assert (await network.post("/api/v1/confirmations", json={"token": token})).status_code == 200

    async def projected() -> int | None:
        return await pool.fetchval("SELECT count(*) FROM registry WHERE status = 'confirmed'") == 3 or None

    await eventually(projected, what="the three applications in the registry")

    routing = client_of(apps["routing"])
    await staff(routing, apps["routing"], role="network_coordinator", username="verkosto")
    home = await routing.get("/")
    assert home.status_code == 303 and home.headers["location"].startswith("/pass/network")
    async def taken() -> httpx.Response | None:
        # The pass is taken once the network's copy of the staff directory has the account.
        answer = await passed_on(routing, network)
        return answer if answer.status_code == 303 else None

    answer = await eventually(taken, what="the network to know the coordinator from the staff directory")
    assert answer.headers["location"].startswith("/registry")
    page = await network.get("/registry", params={"lang": "fi", "status": "confirmed", "municipality": "raisio"})
    assert page.status_code == 200 and "Muutosagentit" in page.text
    registry = (await network.get("/api/v1/registry", params={"municipality": "raisio"})).json()
    assert registry["by_municipality"] == {"raisio": 2, "naantali": 1}
    assert registry["by_sector"] == {"school": 2, "ngo": 1}
    assert "raisio" not in registry["municipalities_without_agent"]
    assert len(registry["municipalities_without_agent"]) > 10  # Varsinais-Suomi has 27 municipalities
    assert [a["name"] for a in registry["agents"]] == ["Aino Agentti", "Aino Agentti"]

    # Every route of routing but signing in and out, the password and the way to the network is 404 for them.
    checked = 0
    for path, route in api_routes(apps["routing"].routes):
        if path in NETWORK_COORDINATOR_PATHS:
            continue
        if path.startswith(("/login", "/password/reset", "/auth/", "/healthz", "/readyz", "/metrics",
                            "/docs", "/openapi", "/static", "/oidc")):
            continue  # no session needed: the same for everyone
        for method in route.methods:
            answer = await routing.request(method, concrete(path))
            assert answer.status_code == 404, (method, path, answer.status_code)
            checked += 1
    assert checked > 30


async def test_case_staff_get_404_for_the_network_coordinators_routes(deployment: dict[str, Any]) -> None:
    apps, network = deployment["apps"], deployment["network"]
    routing = client_of(apps["routing"])
    await staff(routing, apps["routing"], role="coordinator", username="koordinaattori")
    assert (await routing.get("/pass/network")).status_code == 404
    for method, path in COORDINATOR_ROUTES:
        assert (await network.request(method, path)).status_code == 404
    # A pass signed for a case coordinator (as routing signs them for the statistics) opens nothing here.
    secret = apps["network"].state.runtime.settings.staff_pass_secret
    token = issue_pass(secret, account_id="someone", role="coordinator", region=REGION, language="fi",
                       session_started=datetime.now(UTC))
    assert (await network.get("/auth/pass", params={"token": token})).status_code == 404
    assert "apua_network" not in network.cookies
    for method, path in COORDINATOR_ROUTES:
        assert (await network.request(method, path)).status_code == 404
    # A network coordinator's pass works once.
    await listed(apps["network"], "verkosto")
    good = issue_pass(secret, account_id="verkosto", role="network_coordinator", region=REGION, language="sv",
                      session_started=datetime.now(UTC))
    assert (await network.get("/auth/pass", params={"token": good})).status_code == 303
    other = client_of(apps["network"])
    assert (await other.get("/auth/pass", params={"token": good})).status_code == 404
    forged = issue_pass("not-the-secret", account_id="x", role="network_coordinator", region=REGION, language="fi",
                        session_started=datetime.now(UTC))
    assert (await other.get("/auth/pass", params={"token": forged})).status_code == 404


async def test_reportings_network_page_counts_agents_without_personal_data(postgres: Any, kafka: Any,
                                                                           prefix: str) -> None:
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {"routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600)),
            "reporting": APPS["reporting"](settings_for("reporting", **env)),
            "network": APPS["network"](settings_for("network", **env))}
    async with running(apps["routing"]) as routing, running(apps["reporting"]) as reporting, \
            running(apps["network"]) as network:
        today = datetime.now(UTC).date()
        await open_campaign(apps["network"], REGION, today - timedelta(days=1), today + timedelta(days=30))
        pool = apps["network"].state.runtime.pool
        names = []
        for municipality in ["raisio"] * 6 + ["naantali"]:
            body = application(municipality, sector="school", name=f"Agentti {uuid.uuid4().hex[:6]}")
            names.append(body["name"])
            applied = await network.post("/api/v1/applications", json=body)
            token = new_token()
            await pool.execute("UPDATE agents SET confirm_digest = $2 WHERE agent_id = $1",
                               uuid.UUID(applied.json()["agent_id"]), token_digest(token))
            assert (await network.post("/api/v1/confirmations", json={"token": token})).status_code == 200
        await signed_in_reporting(routing, reporting, apps["routing"], role="manager")

        async def counted() -> str | None:
            page = await reporting.get("/network", params={"lang": "fi"})
            return page.text if page.status_code == 200 and '<td class="count">6</td>' in page.text else None

        text = await eventually(counted, what="reporting's network page to count six agents in Raisio")
        assert "Muutosagenttien verkosto" in text and "Raisio" in text
        assert ('<th scope="row">Naantali</th><td class="count"><span aria-hidden="true">x</span>'
                in text)  # one agent: under five, hidden
        assert not any(name in text for name in names) and "@example.fi" not in text
