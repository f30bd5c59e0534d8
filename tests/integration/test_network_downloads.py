"""The dashboards' network page and its downloads on real Kafka and PostgreSQL: each table as CSV and XLSX and the
whole page as XLSX, in the page's language, with a byte-order mark, Helsinki time, the same hidden counts as the
page and no formula; the menu leads there for every role that sees statistics, and to nobody else."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import orjson
import pytest
from openpyxl import load_workbook

from shared.businessdays import HELSINKI
from tests.integration.test_reporting import signed_in_reporting
from tests.support import APPS, running, settings_for, staff

pytestmark = pytest.mark.integration
REGION = "varsinais-suomi"
FORMULA_TITLE = '=HYPERLINK("https://example.org/?"&A1,"avaa")'


async def _figures(pool: Any) -> None:
    """Six agents in Raisio and one in Naantali, a task titled like a formula and a survey of seven answers."""
    for i, municipality in enumerate(["raisio"] * 6 + ["naantali"]):
        await pool.execute("INSERT INTO network_agents (agent_id, region, municipality, sector, applied_on, status)"
                           " VALUES ($1, $2, $3, 'school', $4, 'confirmed')", uuid.uuid4(), REGION, municipality,
                           date(2026, 1, 10 + i))
    await pool.execute("INSERT INTO network_tasks (task_id, region, title_fi, title_sv, published_on, recipients,"
                       " accepted, reported) VALUES ($1, $2, $3, 'Uppdrag', $4, 7, 6, 2)", uuid.uuid4(), REGION,
                       FORMULA_TITLE, date(2026, 2, 10))
    survey = uuid.uuid4()
    questions = [{"kind": "single", "text_fi": "Mistä kuulit?", "text_sv": "Var hörde du om det?",
                  "options_fi": ["Koulusta", "Lehdestä"], "options_sv": ["Från skolan", "Från tidningen"]}]
    await pool.execute("INSERT INTO network_surveys (survey_id, region, title_fi, title_sv, questions, answers)"
                       " VALUES ($1, $2, 'Kysely', 'Enkät', $3::jsonb, 7)", survey, REGION,
                       orjson.dumps(questions).decode())
    for choice, answers in ((0, 6), (1, 1)):
        await pool.execute("INSERT INTO network_survey_cells (survey_id, question, choice, answers)"
                           " VALUES ($1, 0, $2, $3)", survey, choice, answers)


def _csv(response: httpx.Response, delimiter: str) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=delimiter))


async def test_the_network_pages_tables_download_as_the_page_shows_them(postgres: Any, kafka: Any,
                                                                       prefix: str) -> None:
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {"routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600)),
            "reporting": APPS["reporting"](settings_for("reporting", **env))}
    async with running(apps["routing"]) as routing, running(apps["reporting"]) as reporting:
        await _figures(apps["reporting"].state.runtime.pool)
        await signed_in_reporting(routing, reporting, apps["routing"], role="manager")

        page = await reporting.get("/network", params={"lang": "fi"})
        assert page.status_code == 200
        assert '<a href="/network?lang=fi" aria-current="page">Muutosagentit</a>' in page.text
        hidden_on_page = re.search(r'<th scope="row">Naantali</th><td class="count">(.*?)</td>', page.text)
        assert hidden_on_page is not None and 'aria-hidden="true">x<' in hidden_on_page.group(1)
        links = set(re.findall(r'href="(/network/export/[^"?]+)\?lang=fi"', page.text))
        assert links == {"/network/export/page-network.xlsx", *(
            f"/network/export/{name}.{fmt}" for name in ("network-municipalities", "network-sectors",
                                                         "network-months", "network-tasks", "network-survey-1-1")
            for fmt in ("csv", "xlsx"))}

        # Finnish: ';' between cells, the hidden count an x as on the page, the formula kept as text.
        rows = _csv(await reporting.get("/network/export/network-municipalities.csv", params={"lang": "fi"}), ";")
        assert rows == [["Kunta", "Määrä"], ["Naantali", "x"], ["Raisio", "6"]]
        tasks = _csv(await reporting.get("/network/export/network-tasks.csv", params={"lang": "fi"}), ";")
        assert tasks[1] == ["'" + FORMULA_TITLE, "7", "6", "x"]
        survey = _csv(await reporting.get("/network/export/network-survey-1-1.csv", params={"lang": "fi"}), ";")
        assert survey[1:] == [["Koulusta", "6"], ["Lehdestä", "x"]]
        # Swedish: the page's language, in the file too.
        rows = _csv(await reporting.get("/network/export/network-sectors.csv", params={"lang": "sv"}), ";")
        assert rows[0] == ["Sektor", "Antal"] and rows[1][1] == "7"
        survey = _csv(await reporting.get("/network/export/network-survey-1-1.csv", params={"lang": "sv"}), ";")
        assert survey[1:] == [["Från skolan", "6"], ["Från tidningen", "x"]]
        # English: commas.
        rows = _csv(await reporting.get("/network/export/network-months.csv", params={"lang": "en"}), ",")
        assert rows[0][0] == "Month"

        before = datetime.now(UTC)
        whole = await reporting.get("/network/export/page-network.xlsx", params={"lang": "sv"})
        assert whole.status_code == 200
        assert "page-network-varsinais-suomi-" in whole.headers["content-disposition"]
        book = load_workbook(io.BytesIO(whole.content))
        assert len(book.sheetnames) == 5
        sheet = book[book.sheetnames[0]]
        heading = str(sheet["A2"].value)
        # The time the figures were read, in Helsinki time, as Babel writes it in Swedish.
        helsinki = before.astimezone(HELSINKI)
        assert heading.startswith("Förändringsagenternas nätverk – Egentliga Finland")
        assert f"{helsinki.day}.{helsinki.month}.{helsinki.year}" in heading, heading
        assert "under fem" in str(sheet["A3"].value)
        tasks_sheet = next(book[name] for name in book.sheetnames if book[name]["A1"].value == "Uppdrag"
                           or "Uppdrag" in str(book[name]["A1"].value))
        values = [[c.value for c in row] for row in tasks_sheet.iter_rows()]
        assert ["Uppdrag", 7, 6, "x"] in values

        single = await reporting.get("/network/export/network-tasks.xlsx", params={"lang": "fi"})
        book = load_workbook(io.BytesIO(single.content))
        values = [[c.value for c in row] for row in book[book.sheetnames[0]].iter_rows()]
        assert ["'" + FORMULA_TITLE, 7, 6, "x"] in values

        for wrong in ("/network/export/page-network.csv", "/network/export/network-nothing.csv",
                      "/network/export/network-tasks.pdf"):
            assert (await reporting.get(wrong)).status_code == 404, wrong

        # A coordinator sees the menu item and the files as a manager does; a professional gets no statistics.
        async with client_of(apps["routing"]) as routing_2, client_of(apps["reporting"]) as coordinator:
            await signed_in_reporting(routing_2, coordinator, apps["routing"], role="coordinator")
            page = await coordinator.get("/overview", params={"lang": "sv"})
            assert '<a href="/network?lang=sv">Förändringsagenter</a>' in page.text
            assert (await coordinator.get("/network/export/network-tasks.csv")).status_code == 200
        async with client_of(apps["routing"]) as professional:
            await staff(professional, apps["routing"], role="professional", team="family-work")
            assert (await professional.get("/pass/reporting", params={"next": "/network"})).status_code == 403
        async with client_of(apps["reporting"]) as nobody:
            refused = await nobody.get("/network/export/network-tasks.csv")
            assert refused.status_code in (303, 307, 401) and "Raisio" not in refused.text


def client_of(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
