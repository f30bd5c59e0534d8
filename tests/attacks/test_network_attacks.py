"""Attacks on the change agents' network's forms and routes, on the real PostgreSQL and Kafka.

- A coordinator's forms without the session's CSRF token (another site's form riding on the cookie), and a sign-out
  or a sign-in (login CSRF: the attacker's own pass) started from another site.
- An agent's personal-link forms (profile, pause, leave, a task's report, a survey's answer, unsubscribing) posted
  from another site's page, and every GET of every route, which must change nothing.
- Every route walked as an outsider, as an agent holding another agent's link (or a link of another kind), as case
  staff with a pass of their role, and as the network coordinator of another region.

Each test fails while the attack works.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.network.domain import new_token, token_digest
from shared.staffpass import issue_pass
from tests.integration.test_network_coordinators import api_routes, concrete
from tests.integration.test_network_recruitment import REGION, application, open_campaign
from tests.network_support import csrf_of, form_token, listed, signed_in
from tests.support import APPS, running, settings_for

pytestmark = pytest.mark.integration
OTHER_REGION = "pohjois-pohjanmaa"
CROSS_SITE = {"sec-fetch-site": "cross-site", "origin": "https://evil.example"}
HTML = {"accept": "text/html"}
# Writes a coordinator makes, with a body that would be taken if the token were not asked for.
COORDINATOR_WRITES = {
    "/tasks": {"lang": "fi", "title_fi": "Kerro napista koulussa", "title_sv": "Uppdrag", "brief_fi": "Kerro.",
               "brief_sv": "Berätta.", "due": (datetime.now(UTC).date() + timedelta(days=9)).isoformat()},
    "/news": {"lang": "fi", "title_fi": "Uutinen", "title_sv": "Nyhet", "body_fi": "Teksti.", "body_sv": "Text."},
    "/surveys": {"lang": "fi", "title_fi": "Kysely", "title_sv": "Enkät", "anonymous": "yes",
                 "due": (datetime.now(UTC).date() + timedelta(days=9)).isoformat(), "q0_kind": "scale",
                 "q0_text_fi": "Kuinka hyvin?", "q0_text_sv": "Hur väl?"},
}
# The tables a write of the network changes; GETs must leave every one of them as it was.
OWN_TABLES = ("agents", "wrapped_agent_keys", "tasks", "task_assignments", "news", "news_deliveries", "surveys",
              "survey_invitations", "pending_answers", "survey_results", "coordinator_sessions")


def network_app(postgres: Any, kafka: Any, prefix: str) -> FastAPI:
    app: FastAPI = APPS["network"](settings_for("network", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap,
                                                network_url="http://network.example"))
    return app


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def agent(network: httpx.AsyncClient, app: FastAPI, municipality: str = "raisio") -> tuple[uuid.UUID, str]:
    """A confirmed agent and the token of their personal link."""
    applied = await network.post("/api/v1/applications", json=application(
        municipality, email=f"agentti-{uuid.uuid4().hex[:8]}@example.fi"))
    assert applied.status_code == 201, applied.text
    agent_id, token = uuid.UUID(applied.json()["agent_id"]), new_token()
    await app.state.runtime.pool.execute("UPDATE agents SET status = 'confirmed', link_digest = $2 WHERE agent_id = $1",
                                         agent_id, token_digest(token))
    return agent_id, token


async def snapshot(app: FastAPI) -> dict[str, str]:
    """Every row of the network's own tables, as text: what a GET must not change."""
    found = {}
    async with app.state.runtime.pool.acquire() as conn:
        for table in OWN_TABLES:
            found[table] = await conn.fetchval(
                f"SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} t")  # noqa: S608
    return found


async def test_a_coordinators_forms_need_the_sessions_token_and_no_other_site_signs_in_or_out(
        postgres: Any, kafka: Any, prefix: str) -> None:
    app = network_app(postgres, kafka, prefix)
    async with running(app) as network:
        csrf = await signed_in(network, app)
        before = await snapshot(app)
        # Every write a coordinator makes: without the token, with another's, and with the right one from another
        # site's page: refused (403), and nothing is kept.
        for path, body in COORDINATOR_WRITES.items():
            for sent, headers in (({}, {}), ({"csrf": "x" * len(csrf)}, {}), ({"csrf": csrf}, CROSS_SITE)):
                answer = await network.post(path, data={**body, **sent}, headers=headers)
                assert answer.status_code == 403, (path, sent, headers, answer.status_code)
        survey_id = uuid.uuid4()
        assert (await network.post(f"/surveys/{survey_id}/remind")).status_code == 403
        assert await snapshot(app) == before
        # The refusal is a page in the reader's language, for a browser.
        page = await network.post("/news", data={**COORDINATOR_WRITES["/news"], "lang": "sv"}, headers=HTML)
        assert page.status_code == 403 and "Formuläret togs inte emot" in page.text and 'lang="sv"' in page.text
        # With the token, from the service's own page, each is taken.
        for path, body in COORDINATOR_WRITES.items():
            answer = await network.post(path, data={**body, "csrf": csrf}, headers={"sec-fetch-site": "same-origin"})
            assert answer.status_code == 303, (path, answer.text[:300])
        # Another site's form cannot sign the coordinator out; their own page's can.
        assert (await network.post("/auth/logout")).status_code == 403
        assert (await network.get("/registry")).status_code == 200
        # Login CSRF: a pass opened from another site's page is refused and no session cookie is set.
        await listed(app, "hyokkaaja")
        attackers_pass = issue_pass(app.state.runtime.settings.staff_pass_secret, account_id="hyokkaaja",
                                    role="network_coordinator", region=REGION, language="fi",
                                    session_started=datetime.now(UTC))
        victim = client_of(app)
        refused = await victim.get("/auth/pass", params={"token": attackers_pass}, headers=CROSS_SITE | HTML)
        assert refused.status_code == 403 and "apua_network" not in refused.headers.get("set-cookie", "")
        assert (await victim.get("/registry")).status_code == 404
        # Routing's own redirect (same site) is taken, and the pass was not used up by the refused attempt.
        taken = await victim.get("/auth/pass", params={"token": attackers_pass},
                                 headers={"sec-fetch-site": "same-site"})
        assert taken.status_code == 303
        signed_out = await network.post("/auth/logout", data={"csrf": csrf})
        assert signed_out.status_code == 303
        assert (await network.get("/registry")).status_code == 404


async def test_an_agents_link_forms_refuse_other_sites_and_no_get_changes_anything(
        postgres: Any, kafka: Any, prefix: str) -> None:
    app = network_app(postgres, kafka, prefix)
    today = datetime.now(UTC).date()
    async with running(app) as network:
        await open_campaign(app, REGION, today - timedelta(days=1), today + timedelta(days=30))
        agent_id, token = await agent(network, app)
        pool = app.state.runtime.pool
        pending = await network.post("/api/v1/applications", json=application(email="odottaa@example.fi"))
        confirm_token = new_token()
        await pool.execute("UPDATE agents SET confirm_digest = $2 WHERE agent_id = $1",
                           uuid.UUID(pending.json()["agent_id"]), token_digest(confirm_token))
        csrf = await signed_in(network, app)
        published = await network.post("/tasks", data={**COORDINATOR_WRITES["/tasks"], "csrf": csrf})
        task_id = published.headers["location"].split("?")[0].rsplit("/", 1)[1]
        await network.post("/news", data={**COORDINATOR_WRITES["/news"], "csrf": csrf})
        survey = await network.post("/surveys", data={**COORDINATOR_WRITES["/surveys"], "csrf": csrf})
        survey_id = survey.headers["location"].split("?")[0].rsplit("/", 1)[1]
        links = {}
        for kind, table in (("t", "task_assignments"), ("n", "news_deliveries"), ("s", "survey_invitations")):
            links[kind] = new_token()
            await pool.execute(f"UPDATE {table} SET link_digest = $2 WHERE agent_id = $1",  # noqa: S608
                               agent_id, token_digest(links[kind]))
        forms: list[tuple[str, dict[str, Any]]] = [
            (f"/me/{token}/status", {"action": "pause"}), (f"/me/{token}/status", {"action": "leave-confirmed"}),
            (f"/me/{token}/profile", {"name": "Hyökkääjä", "email": "evil@example.com", "municipality": "raisio",
                                      "sector": "school", "themes": ["youth"], "languages": ["fi"]}),
            (f"/t/{links['t']}", {"action": "accept"}), (f"/t/{links['t']}", {"action": "report", "reached": "9"}),
            (f"/n/{links['n']}", {}), (f"/s/{links['s']}", {"a0": "5"}), ("/confirm", {"token": confirm_token}),
            ("/join/raisio", application(email="hyokkays@example.fi") | {"consent": "yes"})]
        before = await snapshot(app)
        for path, body in forms:
            answer = await network.post(path, data={**body, "lang": "sv"}, headers=CROSS_SITE | HTML)
            assert answer.status_code == 403, (path, answer.status_code)
            assert "Formuläret skickades från en annan webbplats" in answer.text
        assert await snapshot(app) == before
        assert await pool.fetchval("SELECT status FROM agents WHERE agent_id = $1", agent_id) == "confirmed"

        # Every GET of every route, with every link there is, changes nothing (the pass aside: it signs in).
        filled = {"token": token, "task_id": task_id, "survey_id": survey_id, "municipality_id": "raisio",
                  "region": REGION}
        gets = 0
        for path, route in api_routes(app.routes):
            if "GET" not in route.methods or path == "/auth/pass":
                continue
            for link in ([token, links["t"], links["n"], links["s"], confirm_token] if "{token}" in path else [None]):
                url = path.format(**{**filled, "token": link}) if "{" in path else path
                answer = await network.get(url, params={"token": confirm_token, "done": "saved", "action": "leave"})
                assert answer.status_code < 500, (url, answer.status_code)
                gets += 1
        assert gets > 30
        assert await snapshot(app) == before
        # And the same forms from the service's own pages are taken (the guard refuses only the other site).
        assert (await network.post(f"/me/{token}/status", data={"action": "pause", "lang": "fi"},
                                   headers={"sec-fetch-site": "same-origin"})).status_code == 303
        assert await pool.fetchval("SELECT status FROM agents WHERE agent_id = $1", agent_id) == "paused"


async def test_every_route_walked_as_outsider_other_agent_case_staff_and_another_regions_coordinator(
        postgres: Any, kafka: Any, prefix: str) -> None:
    app = network_app(postgres, kafka, prefix)
    today = datetime.now(UTC).date()
    async with running(app) as network:
        await open_campaign(app, REGION, today - timedelta(days=1), today + timedelta(days=30))
        _, token = await agent(network, app)
        other_id, other_token = await agent(network, app, "naantali")
        csrf = await signed_in(network, app)
        task = await network.post("/tasks", data={**COORDINATOR_WRITES["/tasks"], "csrf": csrf})
        survey = await network.post("/surveys", data={**COORDINATOR_WRITES["/surveys"], "csrf": csrf})
        ids = {"task_id": task.headers["location"].split("?")[0].rsplit("/", 1)[1],
               "survey_id": survey.headers["location"].split("?")[0].rsplit("/", 1)[1]}
        coordinator_routes = [(path, route) for path, route in api_routes(app.routes)
                              if any(d.call.__name__ == "coordinator" for d in route.dependant.dependencies if d.call)]
        assert len(coordinator_routes) >= 14

        secret = app.state.runtime.settings.staff_pass_secret
        outsider, agent_client, staff_client, elsewhere = (client_of(app) for _ in range(4))
        # Case staff: routing would not sign them a network pass, but even one signed with the secret opens nothing.
        for role in ("professional", "coordinator", "manager", "admin"):
            await listed(app, f"case-{role}", role=role)
            case_pass = issue_pass(secret, account_id=f"case-{role}", role=role, region=REGION, language="fi",
                                   session_started=datetime.now(UTC))
            assert (await staff_client.get("/auth/pass", params={"token": case_pass})).status_code == 404
        # A network coordinator of another region, and a pass that names this region for them (the directory says
        # theirs is the other one): the pass is refused, their session sees only their own region.
        await listed(app, "muualla", region=OTHER_REGION)
        lying = issue_pass(secret, account_id="muualla", role="network_coordinator", region=REGION, language="fi",
                           session_started=datetime.now(UTC))
        assert (await elsewhere.get("/auth/pass", params={"token": lying})).status_code == 404
        other_csrf = await signed_in(elsewhere, app, "muualla", region=OTHER_REGION)
        # The agent opens their own pages with their own link, and tries it as every other kind of link.
        assert (await agent_client.get(f"/me/{token}")).status_code == 200
        for path in (f"/t/{token}", f"/n/{token}", f"/s/{token}", f"/me/{token}x", f"/me/{other_token[:-1]}"):
            assert (await agent_client.get(path)).status_code == 404, path
        for path, route in coordinator_routes:
            url = concrete(path.format(**ids)) if "{" in path else path
            for method in route.methods:
                for who, client in (("outsider", outsider), ("agent", agent_client), ("case staff", staff_client)):
                    answer = await client.request(method, url, data={"csrf": csrf})
                    assert answer.status_code == 404, (who, method, url, answer.status_code)
                answer = await elsewhere.request(method, url, data={"csrf": other_csrf})
                if "{" in path:  # a task or a survey of this region: not there for the other region
                    assert answer.status_code == 404, ("another region", method, url, answer.status_code)
                else:
                    assert answer.status_code in (200, 303, 422), ("another region", method, url, answer.status_code)
        # What the other region's coordinator does see names nothing of this region's agents, tasks or surveys.
        registry = (await elsewhere.get("/api/v1/registry")).json()
        assert registry["region"] == OTHER_REGION and registry["agents"] == []
        assert str(other_id) not in (await elsewhere.get("/registry")).text
        assert "Kerro napista koulussa" not in (await elsewhere.get("/tasks")).text
        assert ids["survey_id"] not in (await elsewhere.get("/surveys")).text
        # The pages of a session carry its token: another session's forms carry their own.
        assert csrf_of((await elsewhere.get("/news")).text) == other_csrf != await form_token(network)
