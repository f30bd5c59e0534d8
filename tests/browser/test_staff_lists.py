"""The staff's lists in a real browser, in Finnish and Swedish: the queue's heading follows its filter, closed
cases come newest first a page at a time (keyboard-usable links, the API pages too), cases written in Swedish
or English are marked and a legend says what each mark means; the access log shows references and actions in
words, its CSV is a spreadsheet's file in the reader's language; the accounts page names teams; a professional
who opens the statistics is told why they cannot. axe-core on each page at 320 px and 1,366 px."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from deploy.local.infra import free_port
from services.routing.accounts import active_account, add_account
from services.routing.audit import record_access
from shared.businessdays import HELSINKI, answer_due
from shared.events import (
    CaseClosed,
    CaseClosedPayload,
    CaseTriaged,
    CaseTriagedPayload,
    EventBase,
    RequestSubmitted,
    RequestSubmittedPayload,
    new_event,
)
from shared.places import sealed_place
from shared.sealing import new_data_key, seal
from shared.topics import cases_topic
from tests.browser.conftest import assert_accessible
from tests.browser.test_dashboard_layout import WIDER_THAN
from tests.browser.test_staff import PASSWORD, routing_server, sign_in  # noqa: F401 - the fixture, with its accounts
from tests.support import APPS, LiveServer, eventually, produce, settings_for

pytestmark = pytest.mark.browser
REGION = "varsinais-suomi"
CLOSED = 55  # more than a page of 50
WIDTHS = (1366, 320)


def submitted(reference: str, at: datetime, language: str = "fi") -> RequestSubmitted:
    case_id = uuid.uuid4()
    return new_event(
        RequestSubmitted, case_id=case_id, region=REGION, municipality="turku", actor="family", occurred_at=at,
        payload=RequestSubmittedPayload(
            submission_id=uuid.uuid4(), reference=reference, language=language, requester_role="parent",
            topic="parent_coping", contact_method="anonymous", answer_due=answer_due(at, 1),
            deadline_business_days=1, personal=seal(new_data_key(), case_id, {"message": "SALAINEN"},
                                                            sealed_place("request.submitted"))))


def later(first: RequestSubmitted, cls: type[EventBase], payload: object, at: datetime) -> EventBase:
    return new_event(cls, case_id=first.case_id, region=REGION, municipality=first.municipality,
                     actor="staff:tester", payload=payload, occurred_at=at)


def closed_reference(i: int) -> str:
    return f"KS{i:02d}-ABCD"


async def seed(server: LiveServer, kafka, prefix: str) -> dict[str, uuid.UUID]:
    """55 closed cases (the one received last closed last), an urgent one in Swedish, one in English, one in Finnish."""
    base = datetime(2026, 9, 1, 9, 0, tzinfo=HELSINKI).astimezone(UTC)
    events: list[EventBase] = []
    for i in range(CLOSED):
        request = submitted(closed_reference(i), base + timedelta(hours=i))
        events += [request, later(request, CaseClosed, CaseClosedPayload(outcome="guidance_enough"),
                                  base + timedelta(days=10, hours=i))]
    now = datetime.now(UTC)
    swedish, english, finnish = (submitted("SV01-URGT", now, "sv"), submitted("EN01-OPEN", now, "en"),
                                 submitted("FI01-OPEN", now, "fi"))
    events += [swedish, english, finnish,
               later(swedish, CaseTriaged, CaseTriagedPayload(topic="parent_coping", urgency="urgent",
                                                              child_welfare_concern=False), now)]
    await produce(kafka.bootstrap, cases_topic(prefix, REGION),
                  [(str(e.case_id).encode(), e.model_dump_json().encode()) for e in events])
    pool = server.app.state.runtime.pool

    async def projected() -> bool:
        closed = await pool.fetchval("SELECT count(*) FROM cases WHERE status = 'closed'")
        urgent = await pool.fetchval("SELECT count(*) FROM cases WHERE urgency = 'urgent'")
        return closed == CLOSED and urgent == 1 and await pool.fetchval("SELECT count(*) FROM cases") == CLOSED + 3

    await eventually(projected, timeout=60, what="routing to project the cases")
    return {"SV01-URGT": swedish.case_id, "EN01-OPEN": english.case_id}


async def fits_and_accessible(page: Page, what: str) -> None:
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        wide = await page.evaluate("document.documentElement.scrollWidth")
        offenders = await page.evaluate(WIDER_THAN, width)
        assert wide <= width, f"{what} is {wide} px wide at {width} px: {offenders}"
        await assert_accessible(page, f"{what} at {width} px")
    await page.set_viewport_size({"width": 1366, "height": 900})


async def test_queue_heading_pages_and_marks(browser: Browser, routing_server, kafka, prefix) -> None:  # noqa: F811
    await seed(routing_server, kafka, prefix)
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await sign_in(page, routing_server.url, "koordinaattori")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Avoimet yhteydenotot")

    # Marks beside the reference, each with words a screen reader speaks, and a legend for them.
    swedish = page.get_by_role("row").filter(has_text="SV01-URGT")
    await expect(swedish).to_contain_text("kiireellinen")
    await expect(swedish).to_contain_text("kirjoitettu ruotsiksi")
    await expect(swedish.locator(".lang-mark")).to_have_attribute("title", "kirjoitettu ruotsiksi")
    await expect(page.get_by_role("row").filter(has_text="EN01-OPEN")).to_contain_text("kirjoitettu englanniksi")
    await expect(page.get_by_role("row").filter(has_text="FI01-OPEN")).not_to_contain_text("kirjoitettu")
    legend = page.get_by_role("region", name="Merkkien selitys")
    for meaning in ("kiireellinen", "kirjoitettu ruotsiksi", "kirjoitettu englanniksi"):
        await expect(legend).to_contain_text(meaning)
    await fits_and_accessible(page, "the open queue")

    # Closed: the heading says so, the case closed last comes first, 50 to a page.
    await page.select_option("#f-status", "closed")
    await page.get_by_role("button", name="Näytä").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Päätetyt yhteydenotot")
    await expect(page).to_have_title(re.compile("^Päätetyt yhteydenotot"))
    rows = page.locator("#queue table tbody tr")
    await expect(rows).to_have_count(50)
    await expect(rows.first).to_contain_text(closed_reference(CLOSED - 1))
    await expect(rows.nth(1)).to_contain_text(closed_reference(CLOSED - 2))
    paging = page.get_by_role("navigation", name="Sivut")
    await expect(paging.get_by_role("link", name="Edellinen sivu")).to_have_count(0)
    # The next page from the keyboard.
    await paging.get_by_role("link", name="Seuraava sivu").focus()
    await page.keyboard.press("Enter")
    await expect(paging).to_contain_text("Sivu 2")
    await expect(rows).to_have_count(CLOSED - 50)
    await expect(rows.last).to_contain_text(closed_reference(0))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Päätetyt yhteydenotot")
    await expect(paging.get_by_role("link", name="Seuraava sivu")).to_have_count(0)
    await fits_and_accessible(page, "the second page of closed cases")
    await paging.get_by_role("link", name="Edellinen sivu").focus()
    await page.keyboard.press("Enter")
    await expect(rows).to_have_count(50)

    # Swedish: the same heading, marks and legend in Swedish.
    await page.goto(f"{routing_server.url}/queue?lang=sv&status=closed")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Avslutade kontakter")
    await expect(page.get_by_role("navigation", name="Sidor").get_by_role("link", name="Nästa sida")).to_be_visible()
    await page.goto(f"{routing_server.url}/queue?lang=sv")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Öppna kontakter")
    await expect(page.get_by_role("row").filter(has_text="SV01-URGT")).to_contain_text("skriven på svenska")
    await expect(page.get_by_role("region", name="Teckenförklaring")).to_contain_text("brådskande")
    await fits_and_accessible(page, "the open queue in Swedish")
    await context.close()

    # The API pages the same way, and says where the next and previous pages are.
    async with httpx.AsyncClient(base_url=routing_server.url) as api:
        signed = await api.post("/api/v1/session", json={"username": "koordinaattori", "password": PASSWORD})
        assert signed.status_code == 200
        first = await api.get("/api/v1/cases", params={"status": "closed", "limit": 50})
        newest = [c["reference"] for c in first.json()][:2]
        assert newest == [closed_reference(CLOSED - 1), closed_reference(CLOSED - 2)]
        assert len(first.json()) == 50 and 'rel="next"' in first.headers["link"]
        assert "prev" not in first.headers["link"]
        following = re.search(r"<([^>]+)>; rel=\"next\"", first.headers["link"])
        assert following is not None
        second = await api.get(following.group(1))
        assert len(second.json()) == CLOSED - 50 and second.json()[-1]["reference"] == closed_reference(0)
        assert 'rel="prev"' in second.headers["link"] and 'rel="next"' not in second.headers["link"]
        assert (await api.get("/api/v1/cases", params={"page": 0})).status_code == 422


async def test_access_log_and_accounts_in_words(browser: Browser, routing_server, kafka, prefix) -> None:  # noqa: F811
    cases = await seed(routing_server, kafka, prefix)
    runtime = routing_server.app.state.runtime
    async with runtime.pool.acquire() as conn:
        await add_account(conn, username="yllapito", display_name="Ylva Ylläpitäjä", role="admin", region=REGION,
                          team_id=None, password=PASSWORD)
        coordinator = await active_account(conn, "koordinaattori")
        assert coordinator is not None
        for action in ("view", "api_view"):
            await record_access(conn, account=coordinator, case_id=cases["SV01-URGT"], region=REGION, action=action,
                                topic_prefix=prefix)
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900},
                                        accept_downloads=True)
    page = await context.new_page()
    await sign_in(page, routing_server.url, "yllapito")
    await page.goto(f"{routing_server.url}/admin/access?lang=fi&case=sv01-urgt")
    log = page.get_by_role("table", name="Käyttöloki")
    await expect(log.get_by_role("row")).to_have_count(3)
    for text in ("SV01-URGT", "Avasi yhteydenoton", "Avasi yhteydenoton rajapinnan kautta", "koordinaattori"):
        await expect(log).to_contain_text(text)
    body = await log.text_content() or ""
    assert str(cases["SV01-URGT"]) not in body and "api_view" not in body and "view" not in body
    await fits_and_accessible(page, "the access log")

    await page.get_by_role("link", name="På svenska").click()
    log = page.get_by_role("table", name="Användningslogg")
    await expect(log).to_contain_text("Öppnade kontakten via gränssnittet")
    await expect(log).to_contain_text("koordinator")
    async with page.expect_download() as download:
        await page.get_by_role("link", name="Exportera som CSV").click()
    raw = (await (await download.value).path()).read_bytes()
    assert raw.startswith("\ufeff".encode())  # Excel reads å, ä and ö right
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert {r["Åtgärd"] for r in rows} == {"Öppnade kontakten", "Öppnade kontakten via gränssnittet"}
    assert {r["Referens"] for r in rows} == {"SV01-URGT"} and {r["Roll"] for r in rows} == {"koordinator"}
    for r in rows:  # Helsinki time with its offset, not UTC
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[23]:00", r["Tidpunkt"]), r
    await fits_and_accessible(page, "the access log in Swedish")

    for lang, team in (("fi", "Perhetyö"), ("sv", "Familjearbete")):
        await page.goto(f"{routing_server.url}/admin/accounts?lang={lang}")
        row = page.get_by_role("row").filter(has_text="perhetyo")
        await expect(row).to_contain_text(team)
        assert "family-work" not in (await page.locator("main").text_content() or "")
        await fits_and_accessible(page, f"the accounts page ({lang})")
    await context.close()


async def test_a_professional_is_told_why_the_statistics_do_not_open(browser: Browser, routing_server,  # noqa: F811
                                                                     postgres, kafka, prefix) -> None:
    reporting_settings = settings_for("reporting", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap,
                                      staff_url=routing_server.url)
    async with LiveServer(APPS["reporting"](reporting_settings), free_port()) as reporting:
        context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
        page = await context.new_page()
        # Straight to a dashboard: reporting sends the browser to sign in at routing, and then to its pass.
        await page.goto(f"{reporting.url}/overview?lang=fi")
        await page.fill("#username", "perhetyo")
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="Kirjaudu sisään").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Tilastot eivät ole käytettävissäsi")
        await expect(page.locator("main")).to_contain_text("Roolisi on ammattilainen")
        assert page.url.startswith(f"{routing_server.url}/pass/reporting")  # not sent on to the queue silently
        await fits_and_accessible(page, "the statistics refused")
        await page.get_by_role("link", name="Takaisin omille sivuillesi").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Avoimet yhteydenotot")

        for path in ("/pass/reporting?next=%2Foverview&lang=sv", "/summary?lang=sv"):
            answer = await page.goto(f"{routing_server.url}{path}")
            assert answer is not None and answer.status == 403, path
            await expect(page.get_by_role("heading", level=1)).to_have_text("Statistiken är inte tillgänglig för dig")
            await expect(page.locator("html")).to_have_attribute("lang", "sv")
        await fits_and_accessible(page, "the statistics refused in Swedish")
        await context.close()
