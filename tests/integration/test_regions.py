"""Two regions in one deployment: each its own stream and configuration, and staff who see only their own.

One deployment of the four services serves Varsinais-Suomi and Pohjois-Pohjanmaa on a real Kafka and
PostgreSQL; everything is asked through the services' own APIs and pages, and the streams are read raw.
A deployment configured for one region only is started beside it at the end.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import FastAPI

from deploy.local.infra import free_port
from shared.businessdays import answer_due
from shared.regions import load_regions
from shared.settings import ROOT
from shared.topics import (
    audit_topic,
    cases_topic,
    dead_letter_topic,
    directory_topic,
    feedback_topic,
    keys_topic,
    network_keys_topic,
    network_topic,
    staff_topic,
    templates_topic,
)
from tests.integration.test_notify import SmtpServer
from tests.support import APPS, LiveServer, eventually, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
VS, PP = "varsinais-suomi", "pohjois-pohjanmaa"
CONFIG = load_regions(ROOT / "deploy" / "regions")

# A referral needs the family's consent and a note for the service (services/routing/decisions.py).
CONSENTED = {"consent": "spoken", "note": "Perhe toivoo soittoa iltaisin"}


def topics_of(prefix: str, region: str) -> set[str]:
    return {make(prefix, region) for make in (cases_topic, keys_topic, audit_topic, staff_topic, dead_letter_topic,
                                              templates_topic, feedback_topic, directory_topic, network_topic,
                                              network_keys_topic)}


@dataclass
class Deployment:
    prefix: str
    bootstrap: str
    apps: dict[str, FastAPI]
    intake: httpx.AsyncClient
    notify: httpx.AsyncClient
    routing_url: str
    smtp: SmtpServer
    exits: AsyncExitStack
    coordinators: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    async def routing_client(self) -> httpx.AsyncClient:
        """A browser of its own (own cookies) on routing, over TCP."""
        client = httpx.AsyncClient(base_url=self.routing_url, timeout=httpx.Timeout(30.0))
        return await self.exits.enter_async_context(client)

    async def reporting_client(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.apps["reporting"]),
                                   base_url="http://reporting")
        return await self.exits.enter_async_context(client)

    async def signed_in(self, role: str, region: str, *, team: str | None = None, email: str | None = None,
                        language: str = "fi") -> tuple[httpx.AsyncClient, str]:
        """A new account of ``role`` in ``region``, signed in at routing; the client and the account id."""
        client = await self.routing_client()
        username = f"{role[:5]}-{region[:2]}-{uuid.uuid4().hex[:6]}"
        await staff(client, self.apps["routing"], role=role, region=region, team=team, username=username,
                    email=email, language=language)
        return client, username

    async def coordinator(self, region: str) -> httpx.AsyncClient:
        if region not in self.coordinators:
            self.coordinators[region] = (await self.signed_in("coordinator", region))[0]
        return self.coordinators[region]

    async def submit(self, municipality: str, **overrides: Any) -> dict[str, Any]:
        """A family's request through intake, once its region's coordinators see it in routing."""
        secret = f"PERHEEN-SANAT-{uuid.uuid4().hex[:8]}"
        headers = overrides.pop("headers", None)
        body = request_body(municipality, message=f"Lapsi ei nuku. {secret}", **overrides)
        response = await self.intake.post("/api/v1/requests", json=body, headers=headers)
        assert response.status_code == 201, response.text
        receipt: dict[str, Any] = {**response.json(), "secret": secret}
        coordinator = await self.coordinator(receipt["region"])

        async def projected() -> bool:
            return (await coordinator.get(f"/api/v1/cases/{receipt['case_id']}")).status_code == 200

        await eventually(projected, what=f"the {municipality} case in routing")
        return receipt

    async def published(self) -> None:
        """Until intake's and routing's outboxes are empty: what they accepted is on Kafka."""
        async def empty() -> bool:
            routing = await self.coordinator(VS)
            depths = [(await client.get("/readyz")).json()["outbox"]["depth"] for client in (self.intake, routing)]
            return depths == [0, 0]

        await eventually(empty, what="the outboxes to drain")


@pytest.fixture(scope="module")
async def deployment(postgres, kafka) -> AsyncIterator[Deployment]:
    """Intake, routing, notify and reporting once, with the default configuration: every region there is."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    smtp = SmtpServer()
    smtp.start()
    apps = {
        "intake": APPS["intake"](settings_for("intake", **env, demo_clock=True)),
        "routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600)),
        "notify": APPS["notify"](settings_for("notify", **env, smtp_port=smtp.port, retry_base_s=0.3,
                                              sender_interval_s=0.1)),
        "reporting": APPS["reporting"](settings_for("reporting", **env)),
    }
    try:
        async with AsyncExitStack() as exits:
            intake = await exits.enter_async_context(running(apps["intake"]))
            notify = await exits.enter_async_context(running(apps["notify"]))
            await exits.enter_async_context(running(apps["reporting"]))
            routing = await exits.enter_async_context(LiveServer(apps["routing"], free_port()))
            yield Deployment(prefix=prefix, bootstrap=kafka.bootstrap, apps=apps, intake=intake, notify=notify,
                             routing_url=routing.url, smtp=smtp, exits=exits)
    finally:
        smtp.stop()


async def raw_topics(bootstrap: str, prefix: str) -> dict[str, list[Any]]:
    """Every record of every topic of ``prefix``, from the start to the end offsets of now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = sorted(t for t in await admin.list_topics() if t.startswith(f"{prefix}."))
        parts = [TopicPartition(t["topic"], p["partition"]) for t in await admin.describe_topics(names)
                 for p in t["partitions"]]
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        records: dict[str, list[Any]] = {t: [] for t in names}
        deadline = asyncio.get_running_loop().time() + 20
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            assert asyncio.get_running_loop().time() < deadline, "the topics could not be read to their end"
            for tp, batch in (await consumer.getmany(*parts, timeout_ms=300)).items():
                records[tp.topic].extend(r for r in batch if r.offset < ends[tp])
        return records
    finally:
        await consumer.stop()


def where(records: dict[str, list[Any]], case_id: str) -> set[str]:
    return {topic for topic, recs in records.items() if any(r.key == case_id.encode() for r in recs)}


async def command(client: httpx.AsyncClient, case_id: str, name: str, version: int, **arguments: Any
                  ) -> httpx.Response:
    return await client.post(f"/api/v1/cases/{case_id}/commands",
                             json={"command": name, "expected_version": version, "arguments": arguments})


async def version_of(client: httpx.AsyncClient, case_id: str) -> int:
    response = await client.get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 200, response.text
    return int(response.json()["command_version"])


# 1. The streams: each request on its own region's topics, with its own region's promise.

async def test_each_request_lands_on_its_own_regions_stream_with_its_own_deadline(deployment):
    d = deployment
    runtime = d.apps["intake"].state.runtime
    assert sorted(r.id for r in runtime.regions) == [PP, VS]  # the default: every configured region
    raisio = await d.submit("raisio")
    pargas = await d.submit("parainen", language="sv")
    oulu = await d.submit("oulu")
    # Under the demo clock a time of our choosing: 23:50 on Tuesday 23 December 2025, before Christmas.
    before_christmas = {"X-Apua-Demo-Time": "2025-12-23T23:50:00+02:00"}
    raisio_xmas = await d.submit("raisio", headers=before_christmas)
    oulu_xmas = await d.submit("oulu", headers=before_christmas)
    await d.published()
    records = await raw_topics(d.bootstrap, d.prefix)
    assert set(records) == topics_of(d.prefix, VS) | topics_of(d.prefix, PP)

    expected = {VS: (raisio, pargas, raisio_xmas), PP: (oulu, oulu_xmas)}
    submitted: dict[str, dict[str, Any]] = {}
    for region, receipts in expected.items():
        policy = CONFIG.by_id[region].deadline.business_days
        for receipt in receipts:
            case_id = receipt["case_id"]
            assert receipt["region"] == region
            # Only its own region's streams carry it: the request and its key, nothing elsewhere.
            assert {cases_topic(d.prefix, region), keys_topic(d.prefix, region)} <= where(records, case_id) \
                <= topics_of(d.prefix, region), (receipt["municipality"], where(records, case_id))
            key = next(json.loads(r.value) for r in records[keys_topic(d.prefix, region)]
                       if r.key == case_id.encode())
            assert key["region"] == region
            event = next(json.loads(r.value) for r in records[cases_topic(d.prefix, region)]
                         if r.key == case_id.encode() and json.loads(r.value)["type"] == "request.submitted")
            assert (event["region"], event["municipality"]) == (region, receipt["municipality"])
            submitted[case_id] = event
            # The promise follows the region's policy, counted from the time intake stored.
            stored = await runtime.pool.fetchrow("SELECT received_at, answer_due, region FROM requests"
                                                 " WHERE case_id = $1", uuid.UUID(case_id))
            assert stored["region"] == region
            assert datetime.fromisoformat(event["occurred_at"]) == stored["received_at"]
            due = answer_due(stored["received_at"], policy)
            assert event["payload"]["deadline_business_days"] == policy
            assert date.fromisoformat(event["payload"]["answer_due"]) == stored["answer_due"] == due
            assert date.fromisoformat(receipt["answer_due"]) == due
    assert CONFIG.by_id[VS].deadline.business_days == 1 and CONFIG.by_id[PP].deadline.business_days == 3
    # 24–26 December are holidays, then a weekend: next business day is Monday, the third is Wednesday.
    assert (raisio_xmas["answer_due"], oulu_xmas["answer_due"]) == ("2025-12-29", "2025-12-31")
    assert raisio["answer_due"] < oulu["answer_due"]  # the same moment (within seconds), two promises
    assert submitted[pargas["case_id"]]["payload"]["language"] == "sv"  # Pargas, in Swedish, is Varsinais-Suomi's


# 2. The configuration: each region's teams, services and municipalities, from its own YAML.

async def test_each_regions_teams_services_and_municipalities_come_from_its_own_configuration(deployment):
    d = deployment
    listed = (await d.intake.get("/api/v1/municipalities")).json()
    assert {(m["id"], m["region"], m["deadline_business_days"], tuple(m["languages"])) for m in listed} == {
        (m.id, r.id, r.deadline.business_days, tuple(m.languages)) for r in CONFIG for m in r.municipalities}
    assert len([m for m in listed if m["region"] == VS]) == 27 and len([m for m in listed if m["region"] == PP]) == 30
    assert next(m for m in listed if m["id"] == "parainen")["name"]["sv"] == "Pargas"
    teams = await d.apps["routing"].state.runtime.pool.fetch("SELECT region, id FROM teams")
    assert {(r["region"], r["id"]) for r in teams} == {(r.id, t.id) for r in CONFIG for t in r.teams}

    vs_teams = {t.id for t in CONFIG.by_id[VS].teams}
    pp_teams = {t.id for t in CONFIG.by_id[PP].teams}
    vs_services = {s.id for s in CONFIG.by_id[VS].local_services}
    pp_services = {s.id for s in CONFIG.by_id[PP].local_services}
    vs_only_team, pp_only_team = sorted(vs_teams - pp_teams)[0], sorted(pp_teams - vs_teams)[0]
    vs_only_service, pp_only_service = sorted(vs_services - pp_services)[0], sorted(pp_services - vs_services)[0]
    assert "family-work" in vs_teams & pp_teams  # the same team id in both: each region's own team

    pp_coordinator = await d.coordinator(PP)
    vs_coordinator = await d.coordinator(VS)
    _, vs_professional = await d.signed_in("professional", VS, team=vs_only_team)
    _, pp_professional = await d.signed_in("professional", PP, team=pp_only_team)
    oulu = (await d.submit("oulu"))["case_id"]
    raisio = (await d.submit("raisio"))["case_id"]

    # A Pohjois-Pohjanmaa case goes to none of Varsinais-Suomi's teams, professionals or services.
    for name, arguments in (("assign", {"assignee_kind": "team", "assignee_id": vs_only_team}),
                            ("assign", {"assignee_kind": "professional", "assignee_id": vs_professional}),
                            ("refer", {"service_id": vs_only_service, **CONSENTED}),
                            ("close", {"outcome": "referred", "referred_to": vs_only_service})):
        refused = await command(pp_coordinator, oulu, name, 0, **arguments)
        assert refused.status_code == 422, (name, arguments, refused.text)
        assert refused.json()["error"] == "invalid_command", refused.text
    assert await version_of(pp_coordinator, oulu) == 0  # nothing was recorded
    page = (await pp_coordinator.get(f"/cases/{oulu}")).text
    assert f'value="team:{pp_only_team}"' in page and f'value="team:{vs_only_team}"' not in page
    assert f'value="professional:{pp_professional}"' in page and vs_professional not in page
    assert f'value="{pp_only_service}"' in page and f'value="{vs_only_service}"' not in page

    # Its own region's team and service are taken; "family-work" is Pohjois-Pohjanmaa's own.
    assert (await command(pp_coordinator, oulu, "assign", 0, assignee_kind="team", assignee_id="family-work")
            ).status_code == 200
    assert (await command(pp_coordinator, oulu, "refer", 1, service_id=pp_only_service, **CONSENTED)
            ).status_code == 200
    view = (await pp_coordinator.get(f"/api/v1/cases/{oulu}")).json()
    assert (view["case"]["team_id"], view["command_version"]) == ("family-work", 2)

    # And the other way round.
    for name, arguments in (("assign", {"assignee_kind": "team", "assignee_id": pp_only_team}),
                            ("assign", {"assignee_kind": "professional", "assignee_id": pp_professional}),
                            ("refer", {"service_id": pp_only_service, **CONSENTED})):
        refused = await command(vs_coordinator, raisio, name, 0, **arguments)
        assert refused.status_code == 422, (name, arguments, refused.text)
    assert (await command(vs_coordinator, raisio, "assign", 0, assignee_kind="team", assignee_id=vs_only_team)
            ).status_code == 200
    # Acting on the other region's case at all: 404, as for a case that does not exist.
    foreign = await command(vs_coordinator, oulu, "assign", 2, assignee_kind="team", assignee_id=vs_only_team)
    missing = await command(vs_coordinator, str(uuid.uuid4()), "assign", 2, assignee_kind="team",
                            assignee_id=vs_only_team)
    assert foreign.status_code == missing.status_code == 404 and foreign.json() == missing.json()
    assert await version_of(pp_coordinator, oulu) == 2


# 3. Staff of one region never see the other's cases.

async def statistics_session(d: Deployment, routing: httpx.AsyncClient) -> httpx.AsyncClient:
    """Reporting signed in with a pass from routing, as a browser gets one (once the account reached it)."""
    reporting = await d.reporting_client()

    async def accepted() -> bool:
        gave = await routing.get("/pass/reporting", params={"next": "/overview"})
        assert gave.status_code == 303, gave.text
        return (await reporting.get(f"/auth/pass?{urlsplit(gave.headers['location']).query}")).status_code == 303

    await eventually(accepted, what="reporting to accept routing's pass")
    return reporting


async def sees_nothing_of(client: httpx.AsyncClient, case: dict[str, Any], role: str) -> None:
    """``client`` (a coordinator or professional of the other region) meets the case nowhere."""
    case_id, reference, secret = case["case_id"], case["reference"], case["secret"]
    for params in ({}, {"status": "all"}, {"municipality": case["municipality"], "status": "all"},
                   {"team": "family-work", "status": "all"}, {"mine": "true", "status": "all"}):
        queue = await client.get("/api/v1/cases", params=params)
        assert queue.status_code == 200 and case_id not in queue.text and reference not in queue.text, params
    for page in ("/queue", "/queue?status=all", "/queue?fragment=true&status=all",
                 f"/queue?municipality={case['municipality']}&status=all", "/summary", "/"):
        body = (await client.get(page, follow_redirects=True)).text
        assert case_id not in body and reference not in body and secret not in body, page
    nowhere = str(uuid.uuid4())
    api, api_missing = await client.get(f"/api/v1/cases/{case_id}"), await client.get(f"/api/v1/cases/{nowhere}")
    assert api.status_code == api_missing.status_code == 404 and api.json() == api_missing.json(), role
    page, page_missing = await client.get(f"/cases/{case_id}"), await client.get(f"/cases/{nowhere}")
    assert page.status_code == page_missing.status_code == 404, role
    assert secret not in page.text and reference not in page.text
    assert page.text.replace(case_id, "x") == page_missing.text.replace(nowhere, "x")
    for name, arguments in (("triage", {"urgency": "urgent"}), ("add_note", {"text": "Nähty"}),
                            ("reply", {"text": "Hei!"}), ("record_contact", {"result": "reached"}),
                            ("close", {"outcome": "guidance_enough"})):
        for version in (0, 1, 2):
            acted = await command(client, case_id, name, version, **arguments)
            assert acted.status_code == 404 and acted.json() == api_missing.json(), (role, name, acted.text)
    for path in ("/admin/access", "/admin/access.csv"):  # not their role's: sent home, whatever the case
        looked = await client.get(path, params={"case": reference}, follow_redirects=False)
        assert looked.status_code == 303 and looked.headers["location"] == "/", path
    form = await client.post(f"/cases/{case_id}/act", data={
        "csrf": client.headers["X-CSRF-Token"], "command": "add_note", "expected_version": "0", "text": "Nähty"})
    assert form.status_code == 404 and secret not in form.text


async def test_staff_of_one_region_never_see_a_case_of_the_other(deployment):
    d = deployment
    pp_coordinator = await d.coordinator(PP)
    vs_coordinator = await d.coordinator(VS)
    oulu = await d.submit("oulu")
    raisio = await d.submit("raisio")
    # The case is Pohjois-Pohjanmaa's and with its team "family-work", a name Varsinais-Suomi has a team of too.
    assert (await command(pp_coordinator, oulu["case_id"], "assign", 0, assignee_kind="team",
                          assignee_id="family-work")).status_code == 200
    assert (await pp_coordinator.get(f"/cases/{oulu['case_id']}")).status_code == 200
    pp_queue = (await pp_coordinator.get("/api/v1/cases", params={"status": "all"})).json()
    assert oulu["case_id"] in {c["case_id"] for c in pp_queue}  # it is there, for its own region
    assert raisio["case_id"] not in {c["case_id"] for c in pp_queue}
    vs_professional, _ = await d.signed_in("professional", VS, team="family-work")
    assert (await command(vs_coordinator, raisio["case_id"], "assign", 0, assignee_kind="team",
                          assignee_id="family-work")).status_code == 200
    assert raisio["case_id"] in (await vs_professional.get("/api/v1/cases")).text  # their own team's case

    await sees_nothing_of(vs_coordinator, oulu, "coordinator")
    await sees_nothing_of(vs_professional, oulu, "professional")
    await sees_nothing_of(pp_coordinator, raisio, "coordinator")

    # A manager sees no case at all, and the same of the other region's as of one that does not exist.
    vs_manager, _ = await d.signed_in("manager", VS)
    nowhere = str(uuid.uuid4())
    assert (await vs_manager.get("/api/v1/cases")).status_code == 403
    for path in (f"/api/v1/cases/{oulu['case_id']}", f"/api/v1/cases/{nowhere}"):
        assert (await vs_manager.get(path)).status_code == 404
    for case_id in (oulu["case_id"], nowhere):
        assert (await command(vs_manager, case_id, "add_note", 1, text="x")).status_code == 403
        assert (await vs_manager.get(f"/cases/{case_id}", follow_redirects=False)).status_code == 303
    for path in ("/admin/access", "/admin/access.csv"):
        looked = await vs_manager.get(path, params={"case": oulu["reference"]}, follow_redirects=False)
        assert looked.status_code == 303 and looked.headers["location"] == "/", path
    summary = await vs_manager.get("/summary")  # no counts: the way to the dashboards
    assert summary.status_code == 200 and "/pass/reporting" in summary.text and "Oulu" not in summary.text
    assert oulu["secret"] not in summary.text

    # An admin searches the access log of their own region only: by reference, by id, by staff member.
    vs_admin, _ = await d.signed_in("admin", VS)
    pp_admin, _ = await d.signed_in("admin", PP)
    own = await pp_admin.get("/admin/access.csv", params={"case": oulu["reference"], "lang": "en"})
    own_rows = list(csv.DictReader(io.StringIO(own.content.decode("utf-8-sig"))))
    viewers = {r["Staff member's id"] for r in own_rows}
    assert len(viewers) == 1 and {r["Action"] for r in own_rows} >= {"Opened the case"}
    pp_viewer = viewers.pop()
    for query in ({"case": oulu["reference"]}, {"case": oulu["case_id"]}, {"staff": pp_viewer}):
        exported = await vs_admin.get("/admin/access.csv", params={**query, "lang": "en"})
        # Only this region's own staff trying the id and being refused (logged where they work), never a
        # view of the other region's case nor anyone of the other region.
        rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert exported.status_code == 200 and all(r["Action"].startswith("Tried to open") for r in rows), query
        assert pp_viewer not in exported.text, query
        page = await vs_admin.get("/admin/access", params=query)
        table = page.text[page.text.index("<tbody>"):page.text.index("</tbody>")]
        assert page.status_code == 200 and pp_viewer not in table and "view_denied" not in table, query
    accounts_page = (await vs_admin.get("/admin/accounts")).text
    assert pp_viewer not in accounts_page
    erase = await vs_admin.post(f"/api/v1/cases/{oulu['case_id']}/erase", json={"reason": "family_request"})
    erase_missing = await vs_admin.post(f"/api/v1/cases/{nowhere}/erase", json={"reason": "family_request"})
    assert erase.status_code == erase_missing.status_code == 404 and erase.json() == erase_missing.json()
    assert (await pp_coordinator.get(f"/api/v1/cases/{oulu['case_id']}")).json()["contact"]  # not erased

    # Their views of the case went onto its own region's audit stream, none onto the other's.
    await d.published()
    records = await raw_topics(d.bootstrap, d.prefix)
    assert audit_topic(d.prefix, PP) in where(records, oulu["case_id"])
    assert where(records, oulu["case_id"]) - {audit_topic(d.prefix, VS)} <= topics_of(d.prefix, PP)
    # On this region's audit stream only its own staff's refused looks at the id.
    refused = [json.loads(r.value) for r in records.get(audit_topic(d.prefix, VS), [])
               if r.key == oulu["case_id"].encode()]
    assert all(r["action"].endswith("_denied") and r["region"] == VS for r in refused), refused
    assert where(records, raisio["case_id"]) - {audit_topic(d.prefix, PP)} <= topics_of(d.prefix, VS)
    refused = [json.loads(r.value) for r in records.get(audit_topic(d.prefix, PP), [])
               if r.key == raisio["case_id"].encode()]
    assert all(r["action"].endswith("_denied") and r["region"] == PP for r in refused), refused


async def test_statistics_show_each_person_their_own_region_only(deployment):
    d = deployment
    await d.submit("oulu")
    await d.submit("raisio")
    vs_manager = await statistics_session(d, (await d.signed_in("manager", VS))[0])
    pp_coordinator = await statistics_session(d, (await d.signed_in("coordinator", PP))[0])

    own = await vs_manager.get("/api/v1/tables/by_municipality", params={"lang": "fi"})
    assert own.status_code == 200 and own.json()["filters"]["region"] == VS
    assert "Raisio" in {r[0] for r in own.json()["rows"]} and "Oulu" not in {r[0] for r in own.json()["rows"]}
    theirs = await pp_coordinator.get("/api/v1/tables/by_municipality", params={"lang": "fi"})
    assert theirs.status_code == 200 and theirs.json()["filters"]["region"] == PP
    assert "Oulu" in {r[0] for r in theirs.json()["rows"]}

    # Asking for the other region's numbers is refused, on the API, the pages and the exports alike.
    for viewer, other in ((vs_manager, PP), (pp_coordinator, VS)):
        for path in ("/api/v1/tables/by_municipality", "/api/v1/tables/key_figures", "/overview", "/report",
                     "/export/by_municipality.csv", "/export/page-overview.xlsx"):
            refused = await viewer.get(path, params={"region": other, "lang": "fi"})
            assert refused.status_code == 403, (other, path, refused.status_code)
            if path in ("/overview", "/report"):  # a page: the reason in the page's language
                assert "Voit katsoa vain oman alueesi tilastoja." in refused.text, path
                continue
            assert refused.json()["error"] == "forbidden" and set(refused.json()) == {"error", "detail", "region"}
        page = await viewer.get("/overview", params={"lang": "fi"})
        assert page.status_code == 200 and f'value="{other}"' not in page.text  # not even offered


async def test_the_live_queue_tells_of_its_own_regions_changes_only_and_without_a_word_of_them(deployment):
    d = deployment
    vs_coordinator = await d.coordinator(VS)
    lines: list[str] = []

    async def listen() -> None:
        async with vs_coordinator.stream("GET", "/queue/stream", timeout=httpx.Timeout(None)) as stream:
            assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
            async for line in stream.aiter_lines():
                lines.append(line)

    listening = asyncio.create_task(listen())
    try:
        async def opened() -> bool:
            return bool(lines)

        await eventually(opened, what="the stream to open")
        oulu = await d.submit("oulu")
        await asyncio.sleep(3.0)  # three looks of the stream: the other region's case wakes no one here
        assert "event: changed" not in lines
        await d.submit("raisio")

        async def changed() -> bool:
            return "event: changed" in lines

        await eventually(changed, what="the live queue to tell of a change in its own region")
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
    said = "\n".join(lines)
    assert oulu["case_id"] not in said and oulu["reference"] not in said and oulu["secret"] not in said
    assert {line for line in lines if line.startswith("data:")} == {"data: {}"}
    fragment = (await vs_coordinator.get("/queue", params={"fragment": "true", "status": "all"})).text
    assert oulu["reference"] not in fragment and oulu["case_id"] not in fragment


# Notifications about a region's case go to that region's mailboxes.

async def test_staff_notices_of_a_case_go_to_its_own_regions_mailboxes(deployment):
    d = deployment
    pp_coordinator = await d.coordinator(PP)
    vs_coordinator = await d.coordinator(VS)
    _, pp_professional = await d.signed_in("professional", PP, team="family-service-guidance",
                                           email="ammattilainen@pohde.example")
    cases = {}
    for region, municipality in ((PP, "oulu"), (VS, "raisio")):
        family = f"perhe-{municipality}-{uuid.uuid4().hex[:6]}@example.fi"
        cases[region] = (await d.submit(municipality, contact={"method": "email", "email": family}), family)
    oulu, raisio = cases[PP][0]["case_id"], cases[VS][0]["case_id"]
    # Both to a team called "family-work": each region has its own, with its own mailbox.
    assert (await command(pp_coordinator, oulu, "assign", 0, assignee_kind="team", assignee_id="family-work")
            ).status_code == 200
    assert (await command(pp_coordinator, oulu, "hand_off", 1, assignee_kind="professional",
                          assignee_id=pp_professional, note="Ohjaus jatkaa")).status_code == 200
    assert (await command(vs_coordinator, raisio, "assign", 0, assignee_kind="team", assignee_id="family-work")
            ).status_code == 200

    async def all_sent(case_id: str, count: int) -> list[dict[str, Any]] | None:
        rows = (await d.notify.get("/api/v1/notifications", params={"case_id": case_id})).json()
        return rows if len(rows) == count and {r["status"] for r in rows} == {"sent"} else None

    # A receipt, word to the coordinators, the team's and then the professional's notice.
    pp_rows = await eventually(lambda: all_sent(oulu, 4), what="the Oulu case's notifications")
    vs_rows = await eventually(lambda: all_sent(raisio, 3), what="the Raisio case's notifications")

    def addresses(rows: list[dict[str, Any]]) -> dict[str, str]:
        ids = {r["notification_id"]: r["recipient"] for r in rows}
        sent = {m["X-Apua-Notification"]: m["To"] for m in d.smtp.mailbox.messages if m["X-Apua-Notification"] in ids}
        assert len(sent) == len(ids)
        return {ids[n]: to for n, to in sent.items()}

    def mailboxes(region: str) -> dict[str, str | None]:
        config = CONFIG.by_id[region]
        return {"coordinators": config.notifications.coordinators_email,
                "team:family-work": next(t.email for t in config.teams if t.id == "family-work")}

    assert mailboxes(PP) == {"coordinators": "koordinaattorit@pohde.example",
                             "team:family-work": "family-work@pohde.example"}
    assert set(mailboxes(PP).values()).isdisjoint(mailboxes(VS).values())
    assert addresses(pp_rows) == {"family": cases[PP][1], **mailboxes(PP),
                                  f"staff:{pp_professional}": "ammattilainen@pohde.example"}
    assert addresses(vs_rows) == {"family": cases[VS][1], **mailboxes(VS)}


# 4. A deployment for one region only.

async def test_a_deployment_for_one_region_serves_and_streams_only_that_region(postgres, kafka, deployment):
    prefix = f"t{uuid.uuid4().hex[:10]}"
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap, "regions": [VS]}
    apps = {name: APPS[name](settings_for(name, **env, **extra)) for name, extra in (
        ("intake", {}), ("routing", {"deadline_check_s": 3600}),
        ("notify", {"smtp_port": deployment.smtp.port}), ("reporting", {}))}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, \
            running(apps["notify"]), running(apps["reporting"]) as reporting:
        for app in apps.values():
            assert [r.id for r in app.state.runtime.regions] == [VS]
        oulu = await intake.post("/api/v1/requests", json=request_body("oulu"))
        assert oulu.status_code == 404 and oulu.json()["municipality"] == "oulu"
        assert (await intake.get("/m/oulu")).status_code == 404
        listed = (await intake.get("/api/v1/municipalities")).json()
        assert {m["region"] for m in listed} == {VS} and len(listed) == 27
        raisio = await intake.post("/api/v1/requests", json=request_body("raisio"))
        assert raisio.status_code == 201 and raisio.json()["region"] == VS

        await staff(routing, apps["routing"])
        case_id = raisio.json()["case_id"]

        async def projected() -> bool:
            return (await routing.get(f"/api/v1/cases/{case_id}")).status_code == 200

        await eventually(projected, what="the Raisio case in routing")
        teams = await apps["routing"].state.runtime.pool.fetch("SELECT region, id FROM teams")
        assert {(r["region"], r["id"]) for r in teams} == {(VS, t.id) for t in CONFIG.by_id[VS].teams}

        # Only this region's topics exist, and each service consumes only from them.
        records = await raw_topics(kafka.bootstrap, prefix)
        assert set(records) == topics_of(prefix, VS)
        assert where(records, case_id) >= {cases_topic(prefix, VS), keys_topic(prefix, VS)}
        for name, app in apps.items():
            async def consuming(app: FastAPI = app) -> bool:
                return app.state.runtime.consumer is not None

            await eventually(consuming, what=f"{name}'s consumer")
            consumer = app.state.runtime.consumer
            assert consumer is not None and cases_topic(prefix, VS) in consumer.topics, name
            assert set(consumer.topics) <= topics_of(prefix, VS), (name, consumer.topics)

        manager = httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["routing"]), base_url="http://routing")
        async with manager:
            await staff(manager, apps["routing"], role="manager")

            async def accepted() -> bool:
                gave = await manager.get("/pass/reporting", params={"next": "/"})
                query = urlsplit(gave.headers["location"]).query
                return (await reporting.get(f"/auth/pass?{query}")).status_code == 303

            await eventually(accepted, what="reporting to accept routing's pass")
            assert (await reporting.get("/api/v1/tables/key_figures")).status_code == 200
            unknown = await reporting.get("/api/v1/tables/key_figures", params={"region": PP})
            assert unknown.status_code == 404 and unknown.json()["region"] == PP
