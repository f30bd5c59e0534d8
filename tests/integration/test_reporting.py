"""Reporting: events in, numbers out; staff passes from routing; suppression everywhere; rebuild equals live."""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest
from openpyxl import load_workbook

from services.reporting import cells
from services.reporting.privacy import SUPPRESSED, protect, record_key
from services.reporting.projection import projection as reporting_projection
from services.reporting.settings import DEVELOPMENT_STATISTICS_KEY
from shared.businessdays import HELSINKI, answer_due
from shared.events import (
    CaseAssigned,
    CaseAssignedPayload,
    CaseClosed,
    CaseClosedPayload,
    CaseHandedOff,
    CaseHandedOffPayload,
    CaseTriaged,
    CaseTriagedPayload,
    EventBase,
    FeedbackGiven,
    FeedbackGivenPayload,
    ReplySent,
    ReplySentPayload,
    RequestSubmitted,
    RequestSubmittedPayload,
    new_event,
)
from shared.places import sealed_place
from shared.rebuild import rebuild
from shared.sealing import new_data_key, seal
from shared.staff import staff_record
from shared.topics import cases_topic, staff_topic
from tests.support import APPS, eventually, produce, running, settings_for, staff

pytestmark = pytest.mark.integration
REGION = "varsinais-suomi"
SECRET = DEVELOPMENT_STATISTICS_KEY.encode()


def submitted(municipality: str, at: datetime, *, topic: str | None = "parent_coping",
              method: str = "phone") -> RequestSubmitted:
    case_id = uuid.uuid4()
    return new_event(
        RequestSubmitted, case_id=case_id, region=REGION, municipality=municipality, actor="family", occurred_at=at,
        payload=RequestSubmittedPayload(
            submission_id=uuid.uuid4(), reference=uuid.uuid4().hex[:8].upper(), language="fi",
            requester_role="parent", topic=topic, contact_method=method, answer_due=answer_due(at, 1),
            deadline_business_days=1, personal=seal(new_data_key(), case_id, {"message": "SALAINEN viesti"},
                                                          sealed_place("request.submitted"))))


def follow(first: RequestSubmitted, cls: type[EventBase], payload: Any, at: datetime) -> EventBase:
    return new_event(cls, case_id=first.case_id, region=REGION, municipality=first.municipality,
                     actor="staff:tester", payload=payload, occurred_at=at)


async def publish(kafka, prefix: str, events: list[EventBase]) -> None:
    await produce(kafka.bootstrap, cases_topic(prefix, REGION),
                  [(str(e.case_id).encode(), e.model_dump_json().encode()) for e in events])


async def signed_in_reporting(routing: httpx.AsyncClient, reporting: httpx.AsyncClient, routing_app: Any,
                              role: str = "manager") -> httpx.Response:
    """Sign in at routing, take the pass it gives and hand it to reporting, as a browser would."""
    await staff(routing, routing_app, role=role)
    for _ in range(150):
        gave = await routing.get("/pass/reporting", params={"next": "/overview?lang=en"})
        assert gave.status_code == 303
        location = urlsplit(gave.headers["location"])
        assert location.path == "/auth/pass"
        # The account reaches reporting through the staff topic; until then its pass is refused (and spent).
        response = await reporting.get(f"/auth/pass?{location.query}")
        if response.status_code == 303:
            return response
        await asyncio.sleep(0.1)
    raise AssertionError("reporting never accepted routing's pass")


def the_year() -> list[EventBase]:
    """A small year: Turku often, Aura three times, a weekend, an evening, replies in and out of time."""
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=HELSINKI)
    events: list[EventBase] = []
    for i in range(12):
        request = submitted("turku", (monday + timedelta(days=7 * i)).astimezone(UTC),
                            topic="family_change" if i % 3 == 0 else "parent_coping",
                            method="anonymous" if i % 4 == 0 else "phone")
        events.append(request)
        events.append(follow(request, CaseTriaged, CaseTriagedPayload(topic="finding_services" if i == 0 else
                                                                      request.payload.topic, urgency="normal",
                                                                      child_welfare_concern=False),
                             request.occurred_at + timedelta(hours=1)))
        events.append(follow(request, CaseAssigned, CaseAssignedPayload(assignee_kind="team",
                                                                        assignee_id="family-guidance",
                                                                        team_id="family-guidance"),
                             request.occurred_at + timedelta(hours=1)))
        # Two of them answered only after the promised day (next business day).
        late = i in (5, 6)
        replied = request.occurred_at + timedelta(days=3 if late else 0, hours=2)
        events.append(follow(request, ReplySent, ReplySentPayload(reply_id=uuid.uuid4(),
                                                                  text=seal(new_data_key(), request.case_id, "x",
                                                                            sealed_place("reply.sent"))),
                             replied))
        if i < 10:
            events.append(follow(request, CaseClosed, CaseClosedPayload(
                outcome="referred" if i % 2 else "guidance_enough", referred_to="perheneuvola" if i % 2 else None),
                replied + timedelta(hours=1)))
            events.append(follow(request, FeedbackGiven, FeedbackGivenPayload(score=4 + i % 2),
                                 replied + timedelta(hours=5)))
    for day in (7, 8, 14):  # Aura: a Saturday, a Sunday and a Saturday evening
        aura = submitted("aura", datetime(2026, 3, day, 21, 30, tzinfo=HELSINKI).astimezone(UTC))
        events.append(aura)
        events.append(follow(aura, CaseHandedOff, CaseHandedOffPayload(
            assignee_kind="team", assignee_id="family-work", team_id="family-work",
            note=seal(new_data_key(), aura.case_id, "n", sealed_place("note.added"))),
            aura.occurred_at + timedelta(days=2)))
    return events


def expected(events: list[EventBase], keep: Any) -> Any:
    chosen = [e.case_id for e in events if isinstance(e, RequestSubmitted) and keep(e)]
    return protect(len(chosen), sum(record_key(SECRET, c) for c in chosen))


def column(table: dict[str, Any], key: str) -> int:
    return [c["key"] for c in table["columns"]].index(key)


def row_of(table: dict[str, Any], label: str) -> list[Any]:
    return next(r for r in table["rows"] if r[0] == label)


async def rollup_and_fresh_cells(dsn: str, schema: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rollup as the projection kept it, and as the facts make it from nothing, in one order."""
    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    order = " ORDER BY region, dim, local_date, municipality, value"
    try:
        live = await conn.fetch("SELECT * FROM fact_cells" + order)
        fresh = await conn.fetch(f"SELECT * FROM ({cells.cells_of('SELECT 1 AS sign, * FROM case_facts')}) c" + order)
    finally:
        await conn.close()
    return [tuple(r) for r in live], [tuple(r) for r in fresh]


PERIOD = {"region": REGION, "period": "2026", "lang": "en"}


async def test_events_in_numbers_out_suppressed_everywhere_and_rebuild_equals_live(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    routing_app, reporting_app = APPS["routing"](settings_for("routing", **env)), \
        APPS["reporting"](settings_for("reporting", **env))
    events = the_year()
    async with running(routing_app) as routing, running(reporting_app) as reporting:
        # Without a session: the API says 401, a page sends the browser to routing for a pass.
        assert (await reporting.get("/api/v1/tables/per_month", params=PERIOD)).status_code == 401
        page = await reporting.get("/overview", params=PERIOD)
        assert page.status_code == 303 and "/pass/reporting?next=%2Foverview%3F" in page.headers["location"]

        await publish(kafka, prefix, events)
        welcome = await signed_in_reporting(routing, reporting, routing_app)
        assert welcome.headers["location"] == "/overview?lang=en"

        async def applied() -> dict | None:
            body = (await reporting.get("/api/v1/tables/key_figures", params=PERIOD)).json()
            return body if body["rows"][0][1] == expected(events, lambda e: True) and \
                (await reporting.get("/readyz")).json()["consumer"].get("lag") == 0 else None

        key = await eventually(applied, what="reporting to apply the year")
        rows = {r[0]: r for r in key["rows"]}
        assert rows["Requests"][1] == expected(events, lambda e: True)  # 15 cases, published within ±2
        assert 13 <= rows["Requests"][1] <= 17
        assert rows["Anonymous"][1] == SUPPRESSED  # three anonymous requests
        assert rows["Outside office hours"][1] == SUPPRESSED  # the three in Aura
        # Twelve answered, two of them late: "10 in time" beside "12 answered" would tell the hidden 2, so the
        # in-time figure is hidden too (secondary suppression), and so is its share. What the published answered
        # and late (two late, three overdue) already say of the share may show as a bound, under the true 10 / 15.
        in_time = rows["Answered by the promised day"]
        assert in_time[1] == SUPPRESSED
        assert in_time[2] is None or (in_time[2].startswith("over ") and int(in_time[2][5:-1]) < 100 * 10 / 15)
        # The scores 1–3 are hidden (nobody gave them); a mean beside them would be one more relation among them.
        assert rows["Mean feedback (1–5)"][1] is None

        tables: dict[str, dict[str, Any]] = {}
        for name in ("by_municipality", "topics", "outcomes", "response_by_team", "per_month", "by_time",
                     "follow_up", "feedback", "referrals", "topics_by_month", "by_weekday"):
            response = await reporting.get(f"/api/v1/tables/{name}", params=PERIOD)
            assert response.status_code == 200, response.text
            tables[name] = response.json()
        municipalities = tables["by_municipality"]
        contacts = column(municipalities, "contacts")
        assert row_of(municipalities, "Turku")[contacts] == expected(events, lambda e: e.municipality == "turku")
        assert row_of(municipalities, "Aura")[contacts] == SUPPRESSED
        assert row_of(municipalities, "Raisio")[contacts] == SUPPRESSED  # nobody: the same as one family
        assert row_of(municipalities, "Turku")[column(municipalities, "children")] > 0

        topics = tables["topics"]
        family_change = row_of(topics, "Divorce, moving or another change in the family")
        assert family_change[column(topics, "family")] == SUPPRESSED  # four chose it
        outcomes = tables["outcomes"]
        assert row_of(outcomes, "Guidance was enough")[1] == protect(5, sum(
            record_key(SECRET, e.case_id) for i, e in enumerate(x for x in events if isinstance(x, RequestSubmitted)
                                                                and x.municipality == "turku")
            if i < 10 and i % 2 == 0))
        month = tables["per_month"]
        assert row_of(month, "March 2026")[1] == expected(
            events, lambda e: e.occurred_at.astimezone(HELSINKI).month == 3)
        assert row_of(month, "July 2026")[1] == SUPPRESSED
        team = tables["response_by_team"]
        guidance = row_of(team, "Service guidance for families with children")
        assert guidance[column(team, "answered")] == expected(events, lambda e: e.municipality == "turku")
        assert guidance[column(team, "median_business")] == 2.0
        assert tables["by_time"]["rows"][3][1] == SUPPRESSED  # weekends
        assert row_of(tables["follow_up"], "Handed off to another worker")[1] == SUPPRESSED

        # The cells the tables read are the cells the facts make afresh, after every change of the year.
        live, fresh = await rollup_and_fresh_cells(postgres.dsn, reporting_app.state.runtime.projection_schema)
        assert live == fresh and len(live) > 50
        assert row_of(topics, "A parent's coping")[column(topics, "contacts")] == expected(
            events, lambda e: e.payload.topic == "parent_coping")  # nobody triaged these to another topic
        # A month asked alone is the month's row of the year: the same cell, the same answer.
        march = (await reporting.get("/api/v1/tables/key_figures", params={**PERIOD, "period": "2026-03"})).json()
        assert march["rows"][0][1] == row_of(tables["per_month"], "March 2026")[1]

        # Filter down to Aura: every count on every table is hidden.
        aura = {**PERIOD, "municipality": "aura"}
        for name in ("key_figures", "per_month", "per_week", "by_time", "topics", "outcomes", "response_by_team"):
            body = (await reporting.get(f"/api/v1/tables/{name}", params=aura)).json()
            counts = [c["key"] for c in body["columns"] if c["kind"] == "count"]
            for row in [*body["rows"], *([body["total"]] if body["total"] else [])]:
                for key in counts:
                    assert row[column(body, key)] in (SUPPRESSED, None), (name, row)

        # Pages and exports carry the same published cells.
        html = (await reporting.get("/overview", params=PERIOD)).text
        assert "Requests per municipality" in html and '<span aria-hidden="true">x</span>' in html
        assert 'data-chart="data-per_month"' in html
        assert "SALAINEN" not in html
        csv_body = (await reporting.get("/export/by_municipality.csv", params=PERIOD)).content.decode("utf-8-sig")
        assert "Aura,,x" not in csv_body and "\r\nAura," in csv_body and ",x," in csv_body
        xlsx = await reporting.get("/export/page-overview.xlsx", params=PERIOD)
        assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
        book = load_workbook(io.BytesIO(xlsx.content))
        sheet = book["Requests per municipality"]
        values = {row[0]: row for row in sheet.iter_rows(values_only=True) if row and row[0]}
        assert values["Aura"][2] == SUPPRESSED
        assert values["Turku"][2] == row_of(municipalities, "Turku")[contacts]
        report = (await reporting.get("/report", params={**PERIOD, "municipality": "turku"})).text
        assert "Families asked for help" in report and "The most common topics were" in report

        # Bad filters say what was wrong.
        assert (await reporting.get("/api/v1/tables/per_month", params={**PERIOD, "region": "lappi"})).status_code \
            == 404
        wrong = await reporting.get("/api/v1/tables/per_month", params={**PERIOD, "municipality": "tukholma"})
        assert wrong.status_code == 404 and wrong.json()["municipality"] == "tukholma"
        for name, value in (("since", "2026-01-01"), ("until", "2026-03-31"), ("topic", "parent_coping"),
                            ("period", "2027"), ("period", "2026-3")):
            refused = await reporting.get("/api/v1/tables/per_month", params={**PERIOD, name: value})
            assert refused.status_code == 422 and refused.json()["field"] == name, (name, refused.text)
        both = await reporting.get("/api/v1/tables/per_month", params=[*PERIOD.items(), ("municipality", "aura"),
                                                                        ("municipality", "turku")])
        assert both.status_code == 422 and both.json()["field"] == "municipality"
        # A page answers the same mistake with a page in its language, saying what to ask instead; the API keeps
        # its JSON.
        page = await reporting.get("/response", params=[*PERIOD.items(), ("municipality", "aura"),
                                                        ("municipality", "turku"), ("lang", "sv")])
        assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
        assert "Välj hela området eller en kommun." in page.text and 'lang="sv"' in page.text
        assert (await reporting.get("/api/v1/tables/nothing", params=PERIOD)).status_code == 404

        # Rebuild from offset 0 while the live schema serves; the numbers are the same afterwards.
        runtime = reporting_app.state.runtime
        before = {name: (await reporting.get(f"/api/v1/tables/{name}", params=PERIOD)).json() for name in tables}
        proj = reporting_projection(runtime)
        rebuilding = asyncio.create_task(rebuild(
            dsn=postgres.dsn, service_schema=runtime.settings.db_schema, projection_schema=runtime.projection_schema,
            bootstrap=kafka.bootstrap, topics=runtime.projection_topics(proj), projection=proj))
        served = 0
        while not rebuilding.done():  # the old schema answers all along, with the same numbers
            during = await reporting.get("/api/v1/tables/by_municipality", params=PERIOD)
            assert during.status_code == 200 and during.json() == before["by_municipality"]
            served += 1
        result = await rebuilding
        assert served > 0 and result.swapped and result.records >= len(events)
        after = {name: (await reporting.get(f"/api/v1/tables/{name}", params=PERIOD)).json() for name in tables}
        assert after == before


async def test_only_managers_coordinators_and_admins_and_each_pass_once(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    routing_app, reporting_app = APPS["routing"](settings_for("routing", **env)), \
        APPS["reporting"](settings_for("reporting", **env))
    async with running(routing_app) as routing, running(reporting_app) as reporting:
        # Not signed in at routing: the pass page sends the person to sign in first, and back.
        away = await routing.get("/pass/reporting", params={"next": "/topics"})
        assert away.status_code == 303 and away.headers["location"].startswith("/login?next=%2Fpass%2Freporting")

        welcome = await signed_in_reporting(routing, reporting, routing_app, role="coordinator")
        assert welcome.status_code == 303
        assert (await reporting.get("/api/v1/tables/per_month", params=PERIOD)).status_code == 200
        page = await reporting.get("/topics", params=PERIOD)
        assert page.status_code == 200 and "Topics per month" in page.text

        # A pass works once, and a forged one not at all.
        again = await routing.get("/pass/reporting", params={"next": "/"})
        query = urlsplit(again.headers["location"]).query
        assert (await reporting.get(f"/auth/pass?{query}")).status_code == 303
        assert (await reporting.get(f"/auth/pass?{query}")).status_code == 403
        token = parse_qs(query)["token"][0]
        forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        refused_pass = await reporting.get("/auth/pass", params={"token": forged, "lang": "sv"})
        assert refused_pass.status_code == 403 and "Inloggningen till statistiken misslyckades" in refused_pass.text
        # Only a path of reporting's own as the place to go next.
        third = await routing.get("/pass/reporting", params={"next": "//evil.example/x"})
        assert parse_qs(urlsplit(third.headers["location"]).query)["next"] == ["/"]

        # A professional gets no pass, and a page that says why, in their language.
        professional = httpx.AsyncClient(transport=httpx.ASGITransport(app=routing_app), base_url="http://testserver")
        async with professional:
            await staff(professional, routing_app, role="professional", team="family-work", language="sv")
            refused = await professional.get("/pass/reporting")
            assert refused.status_code == 403 and "location" not in refused.headers
            assert "Statistiken är inte tillgänglig för dig" in refused.text and 'lang="sv"' in refused.text

        # Deactivating the account in the staff directory ends its statistics session.
        settings = routing_app.state.runtime.settings
        async with routing_app.state.runtime.pool.acquire() as conn:
            row = await conn.fetchrow("SELECT id, region, role, team_id, language FROM accounts WHERE role ="
                                      " 'coordinator' ORDER BY created_at DESC LIMIT 1")
        record = staff_record(account_id=row["id"], region=row["region"], role=row["role"], team_id=row["team_id"],
                              language=row["language"], active=False, email=None, keyring=settings.keyring)
        await produce(kafka.bootstrap, staff_topic(prefix, REGION),
                      [(row["id"].encode(), record.model_dump_json().encode())])

        async def signed_out() -> bool:
            return (await reporting.get("/api/v1/tables/per_month", params=PERIOD)).status_code == 401

        await eventually(signed_out, what="the deactivated account's statistics session to end")

