"""The team's workload on real Kafka and PostgreSQL: the counts match the cases (assigned, warned, overdue,
answered, followed up, closed, with calls scheduled and cancelled), and each role sees only what it may, in its
region."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import httpx
import pytest

from services.routing.callback_service import today_in_helsinki
from services.routing.deadlines import raise_due_alerts
from shared.businessdays import HELSINKI
from shared.democlock import DEMO_TIME_HEADER
from tests.integration.test_staff import client_for
from tests.support import APPS, eventually, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
DAY = today_in_helsinki() + timedelta(days=3)  # when the calls are: ahead, within the 60 days allowed
COUNTS = ("open", "at_risk", "overdue", "callbacks")


@pytest.fixture
async def stack(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap, "demo_clock": True}
    apps = {"intake": APPS["intake"](settings_for("intake", **env)),
            "routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600))}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing:
        yield intake, routing, apps["routing"], prefix


async def new_case(intake, routing, municipality: str = "raisio", received: datetime | None = None) -> str:
    """A family's request (sent ``received``, by the demo clock), once routing shows it."""
    return str((await sent(intake, routing, municipality, received))["case_id"])


async def sent(intake, routing, municipality: str = "raisio", received: datetime | None = None) -> dict:
    """The receipt of a family's request (sent ``received``, by the demo clock), once routing shows the case."""
    headers = {DEMO_TIME_HEADER: received.isoformat()} if received else {}
    receipt = await intake.post("/api/v1/requests", json=request_body(municipality), headers=headers)
    assert receipt.status_code == 201, receipt.text
    case_id = str(receipt.json()["case_id"])

    async def projected():
        return (await routing.get(f"/api/v1/cases/{case_id}")).status_code == 200

    await eventually(projected, what="the case in routing")
    return receipt.json()


async def ok(client, case_id, name, **arguments) -> None:
    version = (await client.get(f"/api/v1/cases/{case_id}")).json()["command_version"]
    done = await client.post(f"/api/v1/cases/{case_id}/commands",
                             json={"command": name, "expected_version": version, "arguments": arguments})
    assert done.status_code == 200, done.text


def window(start: int, end: int) -> dict[str, str]:
    return {"day": DAY.isoformat(), "start": f"{start:02}:00", "end": f"{end:02}:00"}


async def workload(client, **params) -> dict:
    found = await client.get("/api/v1/workload", params=params)
    assert found.status_code == 200, found.text
    return found.json()


def counts(row: dict, *extra: str) -> tuple[int, ...]:
    return tuple(row[k] for k in (*COUNTS, *extra))


async def from_the_cases(routing, pool) -> tuple[dict, dict, Counter]:
    """The counts worked out case by case from the queue, the deadline warnings and the day's calls."""
    items = (await routing.get("/api/v1/cases", params={"status": "open", "limit": 1000})).json()
    warned = {r["case_id"] for r in await pool.fetch(
        "SELECT case_id FROM deadline_alerts WHERE kind = 'warning' AND followup = 0")}
    teams: dict[str | None, Counter] = {}
    people: dict[str, Counter] = {}
    for c in items:
        waiting = c["first_response_at"] is None or c["awaiting_since"] is not None
        at_risk = c["risk"] == "at_risk" or (c["risk"] == "ok" and waiting and uuid.UUID(c["case_id"]) in warned)
        row = Counter(open=1, at_risk=int(at_risk), overdue=int(c["risk"] == "overdue"))
        person = c["assignee_id"] if c["assignee_kind"] == "professional" else None
        teams.setdefault(c["team_id"], Counter()).update({**row, "unassigned": int(person is None)})
        if person:
            people.setdefault(person, Counter()).update(row)
    open_ids = {c["case_id"]: c for c in items}
    calls = Counter()
    for call in (await routing.get("/api/v1/callbacks", params={"day": DAY.isoformat()})).json()["calls"]:
        if call["status"] == "scheduled" and call["case_id"] in open_ids:
            case = open_ids[call["case_id"]]
            caller = call["caller"] or (case["assignee_id"] if case["assignee_kind"] == "professional" else None)
            calls[("team", case["team_id"])] += 1
            if caller:
                calls[("person", caller)] += 1
    return teams, people, calls


async def test_the_workload_matches_the_cases(stack):
    intake, routing, app, prefix = stack
    await staff(routing, app, role="coordinator")
    for username, team in (("sanna", "family-work"), ("ville", "family-work"), ("maija", "family-guidance"),
                           ("olli", "family-guidance")):
        async with client_for(app) as person:
            await staff(person, app, role="professional", team=team, username=username)
    pool = app.state.runtime.pool

    # A case whose deadline warning the scheduler raised (two working hours before its day ends): at risk.
    warned = await new_case(intake, routing)
    await ok(routing, warned, "assign", assignee_kind="professional", assignee_id="ville")
    due = date.fromisoformat((await routing.get(f"/api/v1/cases/{warned}")).json()["case"]["answer_due"])
    async with pool.acquire() as conn:
        raised = await raise_due_alerts(conn, now=datetime.combine(due, time(14), HELSINKI),
                                        topic_prefix=prefix)
    assert raised == 1

    # Sent ten days ago by the demo clock: past their day. One is Sanna's, one has no team yet, one was answered.
    long_ago = datetime.now(UTC) - timedelta(days=10)
    late_sannas = await new_case(intake, routing, received=long_ago)
    await ok(routing, late_sannas, "assign", assignee_kind="professional", assignee_id="sanna")
    await new_case(intake, routing, received=long_ago)
    late_answered = await new_case(intake, routing, received=long_ago)
    await ok(routing, late_answered, "assign", assignee_kind="professional", assignee_id="maija")
    await ok(routing, late_answered, "reply", text="Soitamme huomenna.")
    # Answered long ago, and the family wrote again today: the follow-up's own day stands, not the old one.
    followed = await sent(intake, routing, received=long_ago)
    await ok(routing, followed["case_id"], "assign", assignee_kind="professional", assignee_id="maija")
    await ok(routing, followed["case_id"], "reply", text="Kertokaa lisää, jos tilanne muuttuu.")
    message = await intake.post("/api/v1/status/messages", json={
        "reference": followed["reference"], "pickup_code": followed["pickup_code"], "message_id": str(uuid.uuid4()),
        "message": "Tilanne muuttui."})
    assert message.status_code == 201, message.text

    async def following_up():
        case = (await routing.get(f"/api/v1/cases/{followed['case_id']}")).json()["case"]
        return case["awaiting_since"] is not None

    await eventually(following_up, what="the follow-up in routing")

    # Fresh cases: two of Sanna's (a call on one; the other's call cancelled), one the team's with Ville to call,
    # one of Maija's answered, and one closed, which counts nowhere.
    fresh = {name: await new_case(intake, routing) for name in ("sanna1", "sanna2", "team", "maija", "closed")}
    for name in ("sanna1", "sanna2", "closed"):
        await ok(routing, fresh[name], "assign", assignee_kind="professional", assignee_id="sanna")
    await ok(routing, fresh["team"], "assign", assignee_kind="team", assignee_id="family-work")
    await ok(routing, fresh["maija"], "assign", assignee_kind="professional", assignee_id="maija")
    await ok(routing, fresh["maija"], "reply", text="Tässä ohjeita.")
    await ok(routing, fresh["sanna1"], "schedule_callback", **window(16, 17))
    await ok(routing, fresh["sanna2"], "schedule_callback", **window(12, 13))
    await ok(routing, fresh["sanna2"], "cancel_callback")
    await ok(routing, fresh["team"], "schedule_callback", caller="ville", **window(9, 10))
    await ok(routing, fresh["closed"], "reply", text="Hyvä, että kirjoititte.")
    await ok(routing, fresh["closed"], "close", outcome="guidance_enough")

    found = await workload(routing)
    assert found["region"] == "varsinais-suomi" and found["view"] == "region"
    teams = {t["team_id"]: t for t in found["teams"]}
    assert counts(teams["family-work"], "unassigned") == (5, 1, 1, 2, 1)
    assert counts(teams["family-guidance"], "unassigned") == (3, 0, 0, 0, 0)
    assert counts(teams[None], "unassigned") == (1, 0, 1, 0, 1)
    people = {p["account_id"]: p for p in found["people"]}
    assert {k: counts(p) for k, p in people.items()} == {
        "sanna": (3, 0, 1, 1), "ville": (1, 1, 0, 1), "maija": (3, 0, 0, 0), "olli": (0, 0, 0, 0)}
    assert people["sanna"]["name"] == "Sanna" and people["olli"]["team_id"] == "family-guidance"
    assert counts(found["total"], "unassigned") == (9, 1, 2, 2, 2)

    # The same worked out from the cases themselves, one by one.
    by_team, by_person, calls = await from_the_cases(routing, pool)
    for team_id, row in teams.items():
        expected = by_team.get(team_id, Counter())
        assert counts(row, "unassigned") == (expected["open"], expected["at_risk"], expected["overdue"],
                                             calls[("team", team_id)], expected["unassigned"]), team_id
    for account_id, row in people.items():
        expected = by_person.get(account_id, Counter())
        assert counts(row) == (expected["open"], expected["at_risk"], expected["overdue"],
                               calls[("person", account_id)]), account_id

    # The page says the same, in Swedish, with the people sortable by a column.
    page = await routing.get("/workload", params={"lang": "sv", "sort": "overdue", "order": "desc"})
    assert page.status_code == 200
    assert "Teamens arbetsbelastning" in page.text and "Öppna kontakter per anställd" in page.text
    assert 'aria-sort="descending"' in page.text
    assert page.text.index(">Sanna<") < page.text.index(">Maija<") < page.text.index(">Olli<")
    assert "/workload?lang=sv&amp;sort=overdue&amp;order=asc#people" in page.text


async def test_who_sees_what_of_the_workload(stack):
    intake, routing, app, _ = stack
    await staff(routing, app, role="coordinator")
    clients: dict[str, httpx.AsyncClient] = {}
    for name, role, region, team in (("sanna", "professional", "varsinais-suomi", "family-work"),
                                     ("maija", "professional", "varsinais-suomi", "family-guidance"),
                                     ("eeva", "manager", "varsinais-suomi", None),
                                     ("aapo", "admin", "varsinais-suomi", None),
                                     ("pirjo", "coordinator", "pohjois-pohjanmaa", None),
                                     ("paavo", "professional", "pohjois-pohjanmaa", "family-work")):
        clients[name] = client_for(app)
        await staff(clients[name], app, role=role, region=region, team=team, username=name)
    try:
        case_id = await new_case(intake, routing)
        await ok(routing, case_id, "assign", assignee_kind="professional", assignee_id="sanna")

        admin = await workload(clients["aapo"])
        assert admin["view"] == "region" and {p["account_id"] for p in admin["people"]} == {"sanna", "maija"}

        # A manager: per team, no professional named anywhere, on the API or the page.
        manager = await workload(clients["eeva"])
        assert manager["view"] == "teams" and manager["people"] == []
        assert {t["team_id"]: t["open"] for t in manager["teams"]}["family-work"] == 1
        for text in ((await clients["eeva"].get("/api/v1/workload")).text,
                     (await clients["eeva"].get("/workload", params={"lang": "fi"})).text):
            assert "sanna" not in text.lower() and "maija" not in text.lower()
        assert "Esihenkilö näkee luvut vain tiimeittäin" in (await clients["eeva"].get("/workload")).text

        # A professional: their own team and themselves; another team is not theirs to see.
        sanna = await workload(clients["sanna"])
        assert sanna["view"] == "own_team" and sanna["total"] is None
        assert [(t["team_id"], t["open"]) for t in sanna["teams"]] == [("family-work", 1)]
        assert [(p["account_id"], p["open"]) for p in sanna["people"]] == [("sanna", 1)]
        maija = await workload(clients["maija"])
        assert [(t["team_id"], t["open"]) for t in maija["teams"]] == [("family-guidance", 0)]
        assert [p["account_id"] for p in maija["people"]] == ["maija"]
        assert (await clients["maija"].get("/api/v1/workload", params={"team": "family-work"})).status_code == 404
        assert (await workload(clients["sanna"], team="family-work"))["teams"][0]["open"] == 1
        assert "Maija" not in (await clients["sanna"].get("/workload", params={"lang": "en"})).text

        # Nobody across regions: the other region's team of the same id counts none of this region's cases.
        north = await workload(clients["pirjo"])
        assert north["region"] == "pohjois-pohjanmaa" and north["total"]["open"] == 0
        assert {t["team_id"]: t["open"] for t in north["teams"]}["family-work"] == 0
        assert [p["account_id"] for p in north["people"]] == ["paavo"]
        paavo = await workload(clients["paavo"])
        assert [(t["team_id"], t["open"]) for t in paavo["teams"]] == [("family-work", 0)]

        # The coordinator's team filter: a team of the region, by name; bad input named, never a 500.
        only = await workload(routing, team="family-work")
        assert [t["team_id"] for t in only["teams"]] == ["family-work"]
        assert [p["account_id"] for p in only["people"]] == ["sanna"]
        missing = await routing.get("/api/v1/workload", params={"team": "no-such-team"})
        assert missing.status_code == 404
        for bad in ("", "x" * 65):
            refused = await routing.get("/api/v1/workload", params={"team": bad})
            assert refused.status_code == 422 and "team" in refused.text, bad

        # Signed out: the API says 401, the page sends to the sign-in.
        async with client_for(app) as nobody:
            assert (await nobody.get("/api/v1/workload")).status_code == 401
            page = await nobody.get("/workload?lang=sv")
            assert page.status_code in (302, 303, 307) and page.headers["location"].startswith("/login")
    finally:
        for client in clients.values():
            await client.aclose()
