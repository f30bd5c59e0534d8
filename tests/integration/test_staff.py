"""Staff on real Kafka and PostgreSQL: concurrent changes, who sees what, the access log, deadlines."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from services.routing import accounts, commands, decisions
from services.routing.deadlines import raise_due_alerts
from shared.topics import audit_topic, cases_topic
from tests.support import APPS, eventually, read_topic, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration


@pytest.fixture
async def stack(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    intake_app = APPS["intake"](settings_for("intake", **env))
    routing_app = APPS["routing"](settings_for("routing", **env, deadline_check_s=3600))
    async with running(intake_app) as intake, running(routing_app) as routing:
        yield intake, routing, routing_app


async def new_case(intake, routing, municipality="raisio", **overrides) -> str:
    case_id = (await intake.post("/api/v1/requests", json=request_body(municipality, **overrides))).json()["case_id"]

    async def projected():
        return (await routing.get(f"/api/v1/cases/{case_id}")).status_code == 200

    await eventually(projected, what="the case in routing")
    return case_id


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def command(client, case_id, name, version, **arguments):
    return await client.post(f"/api/v1/cases/{case_id}/commands",
                             json={"command": name, "expected_version": version, "arguments": arguments})


async def test_two_staff_assign_at_once_one_wins_one_gets_409(stack):
    intake, routing, app = stack
    await staff(routing, app)
    async with client_for(app) as other:
        await staff(other, app)
        await staff(routing, app, role="professional", team="family-work", username="ville")
        await staff(routing, app, role="coordinator")  # sign the first client back in as a coordinator
        case_id = await new_case(intake, routing)
        results = await asyncio.gather(
            command(routing, case_id, "assign", 0, assignee_kind="team", assignee_id="family-work"),
            command(other, case_id, "assign", 0, assignee_kind="professional", assignee_id="ville"))
    assert sorted(r.status_code for r in results) == [200, 409]
    loser = next(r for r in results if r.status_code == 409).json()
    assert loser["error"] == "conflict" and loser["current_version"] == 1 and loser["status"] == "assigned"
    view = (await routing.get(f"/api/v1/cases/{case_id}")).json()
    assert view["command_version"] == 1
    assert [e["type"] for e in view["timeline"]] == ["request.submitted", "case.assigned"]  # read your own writes


async def test_a_case_view_offers_only_the_version_its_timeline_shows(stack):
    """The command side is ahead of the projection for a moment after each command (longer while routing
    restarts). A view that offered the newest version beside a timeline without the last command would let
    a coordinator do it again: the version offered must be the one the view shows."""
    intake, routing, app = stack
    await staff(routing, app)
    case_id = await new_case(intake, routing)
    runtime = app.state.runtime
    who = accounts.account_from_row(await runtime.pool.fetchrow(
        "SELECT * FROM accounts WHERE role = 'coordinator' AND region = 'varsinais-suomi' LIMIT 1"))
    async with runtime.pool.acquire() as conn:
        await commands.execute(conn, account=who, case_id=uuid.UUID(case_id), expected_version=0,
                               command=decisions.TriageCase(urgency="normal"), regions=runtime.regions,
                               keyring=runtime.settings.keyring, topic_prefix=runtime.settings.topic_prefix)
    # Straight after the command, without waiting for it: the view waits for the projection.
    view = (await routing.get(f"/api/v1/cases/{case_id}")).json()
    assert view["command_version"] == 1 and view["timeline"][-1]["type"] == "case.triaged"

    # A command the projection has not applied (its events still on their way): the view offers the
    # version before it, and acting on that is refused instead of done twice.
    await runtime.pool.execute("UPDATE case_commands SET command_version = 2, last_event_ids = $2 WHERE case_id = $1",
                               uuid.UUID(case_id), [uuid.uuid4()])
    view = (await routing.get(f"/api/v1/cases/{case_id}")).json()
    assert view["command_version"] == 1 and view["timeline"][-1]["type"] == "case.triaged"
    stale = await command(routing, case_id, "add_note", view["command_version"], text="Soitettu")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2


async def test_whole_case_travels_with_every_hand_off(stack):
    intake, routing, app = stack
    await staff(routing, app, role="professional", team="family-work", username="ville")
    await staff(routing, app)
    case_id = await new_case(intake, routing, message="Tytär ei nuku. Soittakaa iltaisin.")
    steps = [("triage", {"topic": "child_emotions", "urgency": "urgent", "child_welfare_concern": True}),
             ("assign", {"assignee_kind": "team", "assignee_id": "family-guidance"}),
             ("hand_off", {"assignee_kind": "professional", "assignee_id": "ville", "note": "Perhetyö jatkaa"}),
             ("record_contact", {"channel": "phone", "result": "no_answer"}),
             ("record_contact", {"channel": "phone", "result": "reached"}),
             ("record_child_welfare_notification", {"how": "contacted_together"}),
             ("add_note", {"text": "Sovittu kotikäynti"}),
             ("reply", {"text": "Hei, perhetyöntekijä soittaa teille torstaina."}),
             ("refer", {"service_id": "lapsiperheiden-kotipalvelu", "consent": "spoken",
                        "note": "Perhe toivoo kotipalvelua iltaisin"}),
             ("close", {"outcome": "referred"})]
    for version, (name, arguments) in enumerate(steps):
        response = await command(routing, case_id, name, version, **arguments)
        assert response.status_code == 200, (name, response.text)
    view = (await routing.get(f"/api/v1/cases/{case_id}")).json()
    assert view["case"]["status"] == "closed" and view["case"]["first_response_at"] is not None
    texts = {e["type"]: e["text"] for e in view["timeline"] if e["text"]}
    assert texts["request.submitted"] == "Tytär ei nuku. Soittakaa iltaisin."
    assert texts["case.handed_off"] == "Perhetyö jatkaa"
    assert texts["note.added"] == "Sovittu kotikäynti"
    assert view["contact"]["phone"] == "+358407654321"  # as intake keeps it: E.164
    bad = await command(routing, case_id, "reply", len(steps), text="again")
    assert bad.status_code == 422 and "closed" in bad.json()["detail"]


async def test_arguments_that_do_not_fit_the_command_are_a_422_naming_them(stack):
    # Found by the OpenAPI fuzzer: they were an unhandled ValidationError, a 500.
    intake, routing, app = stack
    await staff(routing, app)
    case_id = await new_case(intake, routing)
    response = await command(routing, case_id, "close", 0, outcome="solved", extra=1)
    assert response.status_code == 422
    assert {f["field"] for f in response.json()["fields"]} == {"arguments.outcome", "arguments.extra"}
    assert (await routing.get(f"/api/v1/cases/{case_id}")).json()["command_version"] == 0


async def test_professional_sees_only_their_teams_cases(stack):
    intake, routing, app = stack
    await staff(routing, app)
    theirs = await new_case(intake, routing)
    other_team = await new_case(intake, routing)
    assert (await command(routing, theirs, "assign", 0, assignee_kind="team", assignee_id="family-work")).is_success
    assert (await command(routing, other_team, "assign", 0, assignee_kind="team",
                          assignee_id="family-counselling")).is_success
    async with client_for(app) as pro:
        await staff(pro, app, role="professional", team="family-work")
        queue = (await pro.get("/api/v1/cases")).json()
        assert [c["case_id"] for c in queue] == [theirs]
        assert (await pro.get(f"/api/v1/cases/{other_team}")).status_code == 404
        assert (await command(pro, other_team, "reply", 1, text="x")).status_code == 404
        assert (await pro.get(f"/api/v1/cases/{theirs}")).status_code == 200
        page = await pro.get(f"/cases/{other_team}")
        assert page.status_code == 404 and "Tytär" not in page.text
    async with client_for(app) as elsewhere:
        await staff(elsewhere, app, region="pohjois-pohjanmaa")
        assert (await elsewhere.get("/api/v1/cases")).json() == []
        assert (await elsewhere.get(f"/api/v1/cases/{theirs}")).status_code == 404


async def test_manager_sees_no_personal_data(stack):
    intake, routing, app = stack
    await staff(routing, app)
    case_id = await new_case(intake, routing, message="SALAINEN-VIESTI")
    async with client_for(app) as manager:
        await staff(manager, app, role="manager")
        assert (await manager.get("/api/v1/cases")).status_code == 403
        assert (await manager.get(f"/api/v1/cases/{case_id}")).status_code == 404
        summary = await manager.get("/summary")
        assert summary.status_code == 200 and "SALAINEN" not in summary.text and "/pass/reporting" in summary.text
        assert "Raisio" not in summary.text  # no live counts per municipality: the dashboards' rules apply
        assert (await manager.get(f"/cases/{case_id}", follow_redirects=False)).status_code == 303


async def test_every_view_is_in_the_access_log_and_the_audit_stream(stack, kafka, prefix):
    intake, routing, app = stack
    await staff(routing, app, username="katja")
    case_id = await new_case(intake, routing)
    await routing.get(f"/cases/{case_id}")
    async with client_for(app) as admin:
        await staff(admin, app, role="admin")
        page = await admin.get("/admin/access", params={"case": case_id})
        assert page.status_code == 200 and "Katja" in page.text
        export = await admin.get("/admin/access.csv", params={"case": case_id, "lang": "fi"})
        # A spreadsheet program's file: a byte-order mark, ';' where a comma is decimal, headings in Finnish.
        assert export.content.startswith("\ufeff".encode())
        rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
        assert {r["Toimenpide"] for r in rows} >= {"Avasi yhteydenoton rajapinnan kautta", "Avasi yhteydenoton"}
        assert {r["Työntekijän tunnus"] for r in rows} == {"katja"} and {r["Rooli"] for r in rows} == {"koordinaattori"}
        reference = (await routing.get(f"/api/v1/cases/{case_id}")).json()["case"]["reference"]
        assert {r["Viite"] for r in rows} == {reference} and {r["Yhteydenoton tunniste"] for r in rows} == {case_id}
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[23]:00", r["Aika"]) for r in rows), rows
        english = await admin.get("/admin/access.csv", params={"case": reference, "lang": "en"})
        assert {r["Action"] for r in csv.DictReader(io.StringIO(english.content.decode("utf-8-sig")))} >= {
            "Opened the case"}
        assert (await admin.get("/api/v1/cases")).status_code == 403
    records = await read_topic(kafka.bootstrap, audit_topic(prefix, "varsinais-suomi"), expected=2)
    assert {json.loads(r.value)["account_id"] for r in records} == {"katja"}
    assert (await routing.get("/admin/access", follow_redirects=False)).status_code == 303  # not an admin


async def test_wrong_passwords_slow_the_guesser_never_lock_the_owner_and_commands_need_csrf(stack):
    intake, routing, app = stack
    await staff(routing, app, username="liisa")
    guesser = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("198.51.100.7", 40000)),
                                base_url="http://testserver")
    async with guesser:
        for _ in range(3):  # the free tries, then each next one waits twice as long
            r = await guesser.post("/api/v1/session", json={"username": "liisa", "password": "wrong password!"})
            assert r.status_code == 401
        right = {"username": "liisa", "password": "correct horse battery staple"}
        r = await guesser.post("/api/v1/session", json=right)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
        assert (await guesser.get("/api/v1/cases")).status_code == 401
        assert (await guesser.get("/queue", follow_redirects=False)).headers["location"].startswith("/login")
    async with client_for(app) as owner:  # another address: the owner signs in at once
        assert (await owner.post("/api/v1/session", json=right)).status_code == 200
    case_id = await new_case(intake, routing)
    del routing.headers["X-CSRF-Token"]
    assert (await command(routing, case_id, "triage", 0)).status_code == 403


async def test_deadline_alerts_are_raised_once(stack, kafka, prefix):
    intake, routing, app = stack
    await staff(routing, app)
    case_id = await new_case(intake, routing)
    due_at = (await routing.get(f"/api/v1/cases/{case_id}")).json()["case"]["due_at"]
    late = datetime.fromisoformat(due_at) + timedelta(hours=1)
    pool = app.state.runtime.pool
    async with pool.acquire() as conn:
        first = await raise_due_alerts(conn, now=late, topic_prefix=prefix)
        again = await raise_due_alerts(conn, now=late + timedelta(minutes=5), topic_prefix=prefix)
    assert (first, again) == (2, 0)  # a warning and a miss, once each
    app.state.runtime.relay.wake()
    records = await read_topic(kafka.bootstrap, cases_topic(prefix, "varsinais-suomi"), expected=3)
    types = [json.loads(r.value)["type"] for r in records if r.key.decode() == case_id]
    assert sorted(types) == ["deadline.missed", "deadline.warning", "request.submitted"]
    # A case with a first response raises nothing.
    answered = await new_case(intake, routing)
    assert (await command(routing, answered, "reply", 0, text="Vastaus")).is_success
    async with pool.acquire() as conn:
        assert await raise_due_alerts(conn, now=late + timedelta(days=3), topic_prefix=prefix) == 0
