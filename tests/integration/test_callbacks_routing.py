"""Calls to families in routing, on real Kafka and PostgreSQL: a call scheduled, moved, tried and given up on
by the region's rule, as the case page, the "callbacks today" page and its API show it; and who sees which call.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta

import httpx
import pytest

from services.routing.callback_service import today_in_helsinki
from services.routing.deadlines import raise_due_alerts
from services.routing.projection import projection
from shared.businessdays import HELSINKI
from shared.callbacks import next_window
from shared.rebuild import rebuild
from shared.regions import CallbackPolicy
from tests.integration.test_staff import client_for
from tests.support import APPS, eventually, request_body, running, settings_for, staff, table_rows

pytestmark = pytest.mark.integration
POLICY = CallbackPolicy()  # Varsinais-Suomi keeps the defaults: three attempts, two hours apart
DAY = today_in_helsinki() + timedelta(days=3)


@pytest.fixture
async def stack(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {"intake": APPS["intake"](settings_for("intake", **env)),
            "routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600))}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing:
        yield intake, routing, apps["routing"]


async def new_case(intake, routing, **overrides) -> str:
    receipt = (await intake.post("/api/v1/requests", json=request_body("raisio", **overrides))).json()

    async def projected():
        return (await routing.get(f"/api/v1/cases/{receipt['case_id']}")).status_code == 200

    await eventually(projected, what="the case in routing")
    return str(receipt["case_id"])


async def command(client, case_id, name, **arguments) -> httpx.Response:
    version = (await client.get(f"/api/v1/cases/{case_id}")).json()["command_version"]
    return await client.post(f"/api/v1/cases/{case_id}/commands",
                             json={"command": name, "expected_version": version, "arguments": arguments})


async def ok(client, case_id, name, **arguments) -> None:
    done = await command(client, case_id, name, **arguments)
    assert done.status_code == 200, done.text


async def calls(client, **params) -> list[dict]:
    found = await client.get("/api/v1/callbacks", params=params)
    assert found.status_code == 200, found.text
    return found.json()["calls"]


def on(day: date, start: int, end: int) -> dict[str, str]:
    return {"day": day.isoformat(), "start": f"{start:02}:00", "end": f"{end:02}:00"}


async def act_on_page(client, csrf, case_id, name, lang="sv", **fields) -> httpx.Response:
    version = (await client.get(f"/api/v1/cases/{case_id}")).json()["command_version"]
    return await client.post(f"/cases/{case_id}/act", data={"csrf": csrf, "lang": lang, "command": name,
                                                              "expected_version": str(version), **fields})


def input_value(page: str, ident: str) -> str:
    found = re.search(rf'id="{ident}" name="\w+" value="([^"]*)"', page)
    assert found, f"#{ident} not on the page"
    return found.group(1)


async def test_a_call_scheduled_moved_tried_three_times_then_the_notice_and_closing(stack):
    intake, routing, app = stack
    csrf = await staff(routing, app)
    async with client_for(app) as sanna:
        await staff(sanna, app, role="professional", team="family-work", username="sanna")
    case_id = await new_case(intake, routing)
    reference = (await routing.get(f"/api/v1/cases/{case_id}")).json()["case"]["reference"]
    await ok(routing, case_id, "assign", assignee_kind="professional", assignee_id="sanna")

    # Scheduled on a chosen day: on that day's list, with the case's professional calling.
    await ok(routing, case_id, "schedule_callback", **on(DAY, 16, 17))
    (listed,) = await calls(routing, day=DAY.isoformat())
    assert (listed["reference"], listed["caller"], listed["status"], listed["attempts"]) == (
        reference, "sanna", "scheduled", 0)
    assert datetime.fromisoformat(listed["starts_at"]) == datetime.combine(DAY, time(16), HELSINKI)
    assert await calls(routing, day=(DAY + timedelta(days=1)).isoformat()) == []

    # Moved within the day: the list shows the new time only; another case's call sorts by the window's start.
    await ok(routing, case_id, "schedule_callback", **on(DAY, 8, 10))
    other = await new_case(intake, routing)
    await ok(routing, other, "schedule_callback", **on(DAY, 9, 11))
    listed = await calls(routing, day=DAY.isoformat())
    assert [(c["case_id"], datetime.fromisoformat(c["starts_at"]).astimezone(HELSINKI).hour) for c in listed] == [
        (case_id, 8), (other, 9)]
    page = await routing.get("/callbacks", params={"day": DAY.isoformat(), "lang": "sv"})
    assert page.status_code == 200
    assert reference in page.text and "Planerat" in page.text
    assert ">8.00</time>" in page.text and ">16.00</time>" not in page.text
    assert page.text.index(reference) < page.text.index(listed[1]["reference"])

    # Today's list by default: a call whose window is still open today.
    now = datetime.now(HELSINKI)
    start, end = max(time(0), (now - timedelta(hours=1)).time()), (now + timedelta(hours=2)).time()
    if end > start:  # near midnight there is no window left today
        await ok(routing, other, "schedule_callback", day=now.date().isoformat(), start=start.strftime("%H:%M"),
                 end=end.strftime("%H:%M"))
        today = await routing.get("/api/v1/callbacks")
        assert today.json()["day"] == now.date().isoformat()
        assert [c["case_id"] for c in today.json()["calls"]] == [other]
        assert reference not in (await routing.get("/callbacks", params={"lang": "fi"})).text

    # Three unanswered attempts: each uses up the call, and the page proposes the next window after the gap.
    for attempt in (1, 2, 3):
        await ok(routing, case_id, "record_contact", channel="phone", result="no_answer")
        view = (await routing.get(f"/api/v1/cases/{case_id}")).json()
        last = max(datetime.fromisoformat(e["at"]) for e in view["timeline"] if e["type"] == "contact.attempted")
        opens, closes = next_window([], after=max(datetime.now(UTC), last + timedelta(hours=2)), bands=POLICY.bands)
        page = (await routing.get(f"/cases/{case_id}", params={"lang": "en"})).text
        assert input_value(page, "cb-day") == opens.date().isoformat()
        assert (input_value(page, "cb-start"), input_value(page, "cb-end")) == (
            opens.strftime("%H:%M"), closes.strftime("%H:%M"))
        assert "at least 2 hours after the unanswered attempt" in page
        if attempt < 3:
            assert f"Attempt {attempt + 1} of 3." in page and "Send the message to the family" not in page
    (tried,) = [c for c in await calls(routing, day=DAY.isoformat()) if c["case_id"] == case_id]
    assert (tried["status"], tried["attempts"]) == ("attempted", 3)
    assert "3 attempts went unanswered" in page and "Send the message to the family" in page

    # Not reached: refused until the family is told, in the page's language; then the notice, once; then closing.
    refused = await act_on_page(routing, csrf, case_id, "close", outcome="not_reached")
    assert refused.status_code == 422
    assert "berätta först för familjen att de inte nåddes" in refused.text
    told = await act_on_page(routing, csrf, case_id, "send_not_reached_notice")
    assert told.status_code == 303, told.text
    page = (await routing.get(f"/cases/{case_id}", params={"lang": "fi"})).text
    assert "Perheelle kerrottiin" in page and "Lähetä viesti perheelle" not in page
    assert "Vastaamattomia yrityksiä: 3" in page
    again = await command(routing, case_id, "send_not_reached_notice")
    assert again.status_code == 422 and "already told" in again.text
    await ok(routing, case_id, "close", outcome="not_reached")
    assert (await routing.get(f"/api/v1/cases/{case_id}")).json()["case"]["status"] == "closed"


async def test_the_case_page_form_schedules_and_names_a_missing_field(stack):
    intake, routing, app = stack
    csrf = await staff(routing, app)
    case_id = await new_case(intake, routing)
    page = (await routing.get(f"/cases/{case_id}", params={"lang": "sv"})).text
    assert "Ring familjen" in page and "Planera ett samtal" in page and "Försök 1 av 3." in page
    missing = await act_on_page(routing, csrf, case_id, "schedule_callback", day="", start="16:00", end="17:00")
    assert missing.status_code == 422 and "Åtgärden lyckades inte: Dag" in missing.text
    too_long = await act_on_page(routing, csrf, case_id, "schedule_callback", lang="en", **on(DAY, 8, 16))
    assert too_long.status_code == 422 and "at most four hours" in too_long.text
    done = await act_on_page(routing, csrf, case_id, "schedule_callback", **on(DAY, 12, 13))
    assert done.status_code == 303
    page = (await routing.get(f"/cases/{case_id}", params={"lang": "sv"})).text
    assert "Flytta samtalet" in page and "Avboka samtalet" in page and "12.00–13.00" in page
    cancelled = await act_on_page(routing, csrf, case_id, "cancel_callback")
    assert cancelled.status_code == 303
    (listed,) = await calls(routing, day=DAY.isoformat())
    assert listed["status"] == "cancelled"
    # An e-mail case has no call section, and a call on it is refused by name.
    by_email = await new_case(intake, routing, contact={"method": "email", "email": "perhe@example.fi"})
    assert "Ring familjen" not in (await routing.get(f"/cases/{by_email}", params={"lang": "sv"})).text
    refused = await act_on_page(routing, csrf, by_email, "schedule_callback", **on(DAY, 12, 13))
    assert refused.status_code == 422 and "familjen lämnade inget telefonnummer" in refused.text


async def test_who_sees_which_call(stack):
    intake, routing, app = stack
    await staff(routing, app)
    people = {}
    for username, team in (("sanna", "family-work"), ("ville", "family-work"), ("maija", "family-guidance")):
        people[username] = client_for(app)
        await staff(people[username], app, role="professional", team=team, username=username)
    try:
        cases = {}
        for name, assign in (("sannas", {"assignee_kind": "professional", "assignee_id": "sanna"}),
                             ("teams", {"assignee_kind": "team", "assignee_id": "family-work"}),
                             ("villes", {"assignee_kind": "professional", "assignee_id": "ville"}),
                             ("guidance", {"assignee_kind": "team", "assignee_id": "family-guidance"})):
            cases[name] = await new_case(intake, routing)
            await ok(routing, cases[name], "assign", **assign)
            await ok(routing, cases[name], "schedule_callback", **on(DAY, 8 + len(cases), 9 + len(cases)))
        day = {"day": DAY.isoformat()}

        def ids(found):
            return [c["case_id"] for c in found]

        assert ids(await calls(routing, **day)) == [cases[n] for n in ("sannas", "teams", "villes", "guidance")]
        assert ids(await calls(routing, **day, team="family-guidance")) == [cases["guidance"]]
        assert ids(await calls(routing, **day, person="ville")) == [cases["villes"]]
        # A professional: their own calls and their team's untaken ones; a colleague's is not theirs to make.
        assert ids(await calls(people["sanna"], **day)) == [cases["sannas"], cases["teams"]]
        assert ids(await calls(people["ville"], **day, person="sanna")) == [cases["teams"], cases["villes"]]
        assert ids(await calls(people["maija"], **day)) == [cases["guidance"]]
        assert (await people["maija"].get(f"/api/v1/cases/{cases['sannas']}")).status_code == 404
        page = await people["maija"].get("/callbacks", params={**day, "lang": "en"})
        references = {(await routing.get(f"/api/v1/cases/{c}")).json()["case"]["reference"] for c in cases.values()}
        shown = {r for r in references if r in page.text}
        assert page.status_code == 200 and len(shown) == 1 and 'id="cb-team"' not in page.text
        # Never across regions; and a manager sees statistics, not calls.
        async with client_for(app) as elsewhere:
            await staff(elsewhere, app, region="pohjois-pohjanmaa")
            assert await calls(elsewhere, **day) == []
            theirs = (await elsewhere.get("/callbacks", params=day)).text
            assert not {r for r in references if r in theirs}
        async with client_for(app) as manager:
            await staff(manager, app, role="manager")
            assert (await manager.get("/api/v1/callbacks", params=day)).status_code == 403
            assert (await manager.get("/callbacks", follow_redirects=False)).status_code == 303
        # Bad input is named, never a 500.
        for wrong in ("2026-02-30", "0", "2026-12-08T10:00"):
            bad = await routing.get("/api/v1/callbacks", params={"day": wrong})
            assert bad.status_code == 422 and [f["field"] for f in bad.json()["fields"]] == ["day"], wrong
        long_person = await routing.get("/api/v1/callbacks", params={"person": "x" * 101})
        assert long_person.status_code == 422 and [f["field"] for f in long_person.json()["fields"]] == ["person"]
        page = await routing.get("/callbacks", params={"day": "tomorrow", "lang": "sv"})
        assert page.status_code == 422 and "Dagen är ogiltig" in page.text
    finally:
        for client in people.values():
            await client.aclose()


async def test_the_callbacks_table_rebuilds_as_it_was(stack, postgres, kafka):
    intake, routing, app = stack
    await staff(routing, app)
    first, second = await new_case(intake, routing), await new_case(intake, routing)
    await ok(routing, first, "schedule_callback", **on(DAY, 8, 9))
    await ok(routing, first, "schedule_callback", **on(DAY, 10, 11))
    await ok(routing, first, "record_contact", channel="phone", result="reached")
    await ok(routing, second, "schedule_callback", **on(DAY, 12, 13))
    await ok(routing, second, "cancel_callback")
    await ok(routing, second, "schedule_callback", **on(DAY, 14, 15))
    runtime = app.state.runtime
    proj = projection(runtime)

    async def caught_up():
        rows = await table_rows(postgres.dsn, runtime.projection_schema, "callbacks", "starts_at")
        lag = ((await routing.get("/readyz")).json().get("consumer") or {}).get("lag")
        return rows if lag == 0 and len(rows) == 4 else None

    live = await eventually(caught_up, what="the four calls in the callbacks table")
    assert [r["status"] for r in live] == ["replaced", "reached", "cancelled", "scheduled"]
    result = await rebuild(dsn=postgres.dsn, service_schema=runtime.settings.db_schema,
                           projection_schema=runtime.projection_schema, bootstrap=kafka.bootstrap,
                           topics=runtime.projection_topics(proj), projection=proj)
    assert result.swapped
    assert await table_rows(postgres.dsn, runtime.projection_schema, "callbacks", "starts_at") == live


async def test_the_familys_own_windows_reach_the_case_page_and_the_proposal_keeps_to_them(stack):
    """From the form to the worker: windows the family ticked travel sealed to routing, read on the case page in
    the worker's language, and the next call proposed after an unanswered one falls in one of them."""
    intake, routing, app = stack
    await staff(routing, app)
    contact = {"method": "phone", "phone": "+358 40 765 4321", "call_windows": ["thu-8-12", "tue-16-18"],
               "call_times": "mieluiten iltapäivällä"}
    case_id = await new_case(intake, routing, contact=contact)
    view = (await routing.get(f"/api/v1/cases/{case_id}")).json()
    assert view["call_windows"] == ["tue-16-18", "thu-8-12"]  # in the week's order
    page = (await routing.get(f"/cases/{case_id}", params={"lang": "sv"})).text
    assert "tis 16–18" in page and "tors 8–12" in page and "mieluiten iltapäivällä" in page
    assert "tue-16-18" not in page

    await ok(routing, case_id, "record_contact", channel="phone", result="no_answer")
    page = (await routing.get(f"/cases/{case_id}", params={"lang": "fi"})).text
    proposed = date.fromisoformat(input_value(page, "cb-day"))
    assert (proposed.weekday(), input_value(page, "cb-start"), input_value(page, "cb-end")) in (
        (1, "16:00", "18:00"), (3, "08:00", "12:00"))


async def test_a_call_scheduled_inside_the_promised_day_counts_only_once_it_reaches_the_family(stack):
    """Scheduling a call is a promise, not an answer: the deadline still passes unanswered until an attempt
    reaches the family, and only that attempt is the first answer."""
    intake, routing, app = stack
    await staff(routing, app)
    case_id = await new_case(intake, routing)
    case = (await routing.get(f"/api/v1/cases/{case_id}")).json()["case"]
    due = date.fromisoformat(case["answer_due"])
    await ok(routing, case_id, "schedule_callback", **on(due, 8, 12))  # on the promised day itself
    after_due = datetime.combine(due + timedelta(days=1), time(9), HELSINKI)
    async with app.state.runtime.pool.acquire() as conn:
        raised = await raise_due_alerts(conn, now=after_due, topic_prefix=app.state.runtime.settings
                                        .topic_prefix)
        kinds = {r["kind"] for r in await conn.fetch("SELECT kind FROM deadline_alerts WHERE case_id = $1",
                                                     uuid.UUID(case_id))}
    assert raised == 2 and kinds == {"warning", "missed"}  # a call scheduled is no answer
    assert (await routing.get(f"/api/v1/cases/{case_id}")).json()["case"]["first_response_at"] is None

    await ok(routing, case_id, "record_contact", channel="phone", result="no_answer")
    assert (await routing.get(f"/api/v1/cases/{case_id}")).json()["case"]["first_response_at"] is None
    await ok(routing, case_id, "record_contact", channel="phone", result="reached")

    async def answered():
        found = (await routing.get(f"/api/v1/cases/{case_id}")).json()["case"]["first_response_at"]
        return found or None

    assert await eventually(answered, what="the reaching call as the first answer")
