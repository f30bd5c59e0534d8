"""The change agents' recruitment in a real browser, in Finnish and Swedish: the front page, the form, its errors,
the answer after sending, the confirmation page, the closed page; axe-core finds nothing at 320 and 1,366 px and
nothing scrolls sideways; the form is filled and sent with the keyboard alone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from deploy.local.infra import free_port
from services.network import service
from services.network.domain import new_token, token_digest
from services.routing.accounts import add_account
from shared.app import UnitOfWork
from shared.staffpass import issue_pass
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_accounts import checked
from tests.network_support import listed
from tests.support import APPS, LiveServer, settings_for

pytestmark = pytest.mark.browser
TEXTS = {"fi": ("Hae muutosagentiksi", "Korjaa nämä kohdat", "Kiitos hakemuksestasi!", "Haku on päättynyt",
                "Vahvista hakemuksesi", "Linkki ei ole voimassa", "Liity muutosagentiksi"),
         "sv": ("Ansök om att bli förändringsagent", "Rätta följande", "Tack för din ansökan!",
                "Ansökningstiden har gått ut", "Bekräfta din ansökan", "Länken gäller inte", "Bli förändringsagent")}


@pytest.fixture
async def network_server(postgres, kafka, prefix) -> AsyncIterator[LiveServer]:  # type: ignore[no-untyped-def]
    settings = settings_for("network", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap)
    app = APPS["network"](settings)
    async with LiveServer(app, free_port()) as server:
        runtime = app.state.runtime
        today = datetime.now(UTC).date()
        async with runtime.pool.acquire() as conn:
            # Varsinais-Suomi recruits now; Pohjois-Pohjanmaa's recruitment closed on 3 February.
            for region, opening, closing in (("varsinais-suomi", today - timedelta(days=3), today + timedelta(days=30)),
                                             ("pohjois-pohjanmaa", date(2026, 1, 5), date(2026, 2, 3))):
                await service.open_campaign(uow=UnitOfWork(conn), settings=runtime.settings,
                                            regions=runtime.regions, region=region, opening_day=opening,
                                            closing_day=closing)
        yield server


async def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return
    raise AssertionError(f"{selector} was not reached with Tab")


@pytest.mark.parametrize("lang", ["fi", "sv"])
async def test_an_applicant_applies_with_the_keyboard(browser: Browser, network_server: LiveServer,
                                                      lang: str) -> None:
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    texts = TEXTS[lang]
    await page.goto(f"{network_server.url}/?lang={lang}")
    await expect(page.locator("h1")).to_have_text(texts[6])
    await checked(page, f"the network's front page ({lang})")

    await page.goto(f"{network_server.url}/join/raisio?lang={lang}")
    await expect(page.locator("h1")).to_have_text(texts[0])
    await checked(page, f"the recruitment form ({lang})")
    if lang == "sv":
        await page.screenshot(path=str(SCREENSHOTS / "network-join-sv.png"), full_page=True)
    await page.locator("button[type=submit]").click()
    await expect(page.locator("#error-summary h2")).to_have_text(texts[1])
    await checked(page, f"the recruitment form with its errors ({lang})")

    await page.goto(f"{network_server.url}/join/raisio?lang={lang}")
    await tab_to(page, "#name")
    await page.keyboard.type("Aino Agentti")
    await page.keyboard.press("Tab")
    await page.keyboard.type("aino@example.fi")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")  # no phone: it is optional
    await page.keyboard.type("Raision kaupunki")
    await page.keyboard.press("Tab")
    await page.keyboard.press("ArrowDown")  # the first sector
    await tab_to(page, "#theme-schools")
    await page.keyboard.press("Space")
    await tab_to(page, f"#speaks-{lang}")
    await page.keyboard.press("Space")
    await tab_to(page, "#why")
    await page.keyboard.type("Haluan auttaa perheitä löytämään palvelut.")
    await tab_to(page, "#consent")
    await page.keyboard.press("Space")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text(texts[2])
    await checked(page, f"the answer after applying ({lang})")

    await page.goto(f"{network_server.url}/confirm?token=not-a-real-token-at-all-0000&lang={lang}")
    await expect(page.locator("h1")).to_have_text(texts[4])
    await checked(page, f"the confirmation page ({lang})")
    await page.locator("button[type=submit]").click()
    await expect(page.locator("h1")).to_have_text(texts[5])
    await checked(page, f"a confirmation link that is not valid ({lang})")

    await page.goto(f"{network_server.url}/join/oulu?lang={lang}")
    await expect(page.locator("h1")).to_have_text(texts[3])
    await checked(page, f"the closed recruitment ({lang})")
    await context.close()


ME_TEXTS = {"fi": ("Omat tietoni", "Tauko alkoi.", "Haluatko varmasti erota?", "Olet eronnut verkostosta"),
            "sv": ("Mina uppgifter", "Pausen har börjat.", "Vill du verkligen lämna nätverket?",
                   "Du har lämnat nätverket")}


@pytest.mark.parametrize("lang", ["fi", "sv"])
async def test_an_agent_pauses_and_leaves_through_the_personal_link(browser: Browser, network_server: LiveServer,
                                                                    lang: str) -> None:
    async with httpx.AsyncClient(base_url=network_server.url) as client:
        applied = await client.post("/api/v1/applications", json={
            "submission_id": str(uuid.uuid4()), "municipality": "raisio", "language": lang, "name": "Aino Agentti",
            "email": "aino@example.fi", "organisation": "Raision kaupunki", "sector": "school",
            "themes": ["youth"], "languages": [lang], "why": "Perheiden vuoksi.", "consent": True})
    assert applied.status_code == 201, applied.text
    # The link as the confirmation makes it (its mail is notify's, tested on its own).
    token = new_token()
    pool = network_server.app.state.runtime.pool
    await pool.execute("UPDATE agents SET status = 'confirmed', link_digest = $2 WHERE agent_id = $1",
                       uuid.UUID(applied.json()["agent_id"]), token_digest(token))
    texts = ME_TEXTS[lang]
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await page.goto(f"{network_server.url}/me/{token}?lang={lang}")
    await expect(page.locator("h1")).to_have_text(texts[0])
    await expect(page.locator("#name")).to_have_value("Aino Agentti")
    await checked(page, f"the agent's own page ({lang})")
    await page.locator("button[value=pause]").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator(".flash")).to_have_text(texts[1])
    await checked(page, f"the agent's page on a break ({lang})")
    await page.fill("#name", "")
    await page.locator("form[action$='/profile'] button[type=submit]").click()
    await expect(page.locator("#error-summary")).to_be_visible()
    await checked(page, f"the agent's profile with its errors ({lang})")
    await page.goto(f"{network_server.url}/me/{token}?lang={lang}")
    await page.locator("button[value=leave]").click()
    await expect(page.locator("h1")).to_have_text(texts[2])
    await checked(page, f"leaving, asked again ({lang})")
    await page.locator("button[value=leave-confirmed]").click()
    await expect(page.locator("h1")).to_have_text(texts[3])
    await checked(page, f"after leaving ({lang})")
    await page.goto(f"{network_server.url}/me/{token}?lang={lang}")
    await expect(page.locator("h1")).not_to_have_text(texts[0])
    await context.close()


@pytest.mark.parametrize("lang", ["fi", "sv"])
async def test_a_network_coordinator_reads_and_filters_the_registry(browser: Browser, network_server: LiveServer,
                                                                    lang: str) -> None:
    async with httpx.AsyncClient(base_url=network_server.url) as client:
        for municipality in ("raisio", "naantali"):
            applied = await client.post("/api/v1/applications", json={
                "submission_id": str(uuid.uuid4()), "municipality": municipality, "language": lang,
                "name": f"Agentti {municipality}", "email": f"{municipality}@example.fi", "organisation": "Koulu",
                "sector": "school", "themes": ["youth"], "languages": [lang], "why": "Perheiden vuoksi.",
                "consent": True})
            assert applied.status_code == 201, applied.text
    runtime = network_server.app.state.runtime
    # Routing signs this pass for a network coordinator (tested on real routing in the integration tests), and its
    # staff directory lists them.
    await listed(network_server.app, "verkosto")
    token = issue_pass(runtime.settings.staff_pass_secret, account_id="verkosto", role="network_coordinator",
                       region="varsinais-suomi", language=lang, session_started=datetime.now(UTC))
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await page.goto(f"{network_server.url}/auth/pass?token={token}")
    await expect(page.locator("h1")).to_have_text({"fi": "Muutosagentit", "sv": "Förändringsagenterna"}[lang])
    for _ in range(100):  # the applications reach the registry through Kafka
        if await page.locator("tbody tr").count() >= 3:
            break
        await page.wait_for_timeout(200)
        await page.reload()
    await checked(page, f"the registry ({lang})")
    if lang == "fi":
        await page.screenshot(path=str(SCREENSHOTS / "network-registry-fi.png"), full_page=True)
    await page.select_option("#f-municipality", "naantali")
    await page.locator("form[action='/registry'] button[type=submit]").click()
    await expect(page.locator("table").nth(1).locator("tbody tr")).to_have_count(1)
    await expect(page.locator("table").nth(1)).to_contain_text("Agentti naantali")
    await checked(page, f"the registry, chosen agents ({lang})")
    await context.close()


@pytest.mark.parametrize("lang", ["fi", "sv"])
async def test_the_dashboards_network_page(browser: Browser, postgres, kafka, prefix,  # type: ignore[no-untyped-def]
                                           lang: str) -> None:
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    routing_port, reporting_port = free_port(), free_port()
    routing_settings = settings_for("routing", **env, reporting_url=f"http://127.0.0.1:{reporting_port}")
    reporting_settings = settings_for("reporting", **env, staff_url=f"http://127.0.0.1:{routing_port}")
    async with LiveServer(APPS["routing"](routing_settings), routing_port) as routing, \
            LiveServer(APPS["reporting"](reporting_settings), reporting_port) as reporting:
        runtime = routing.app.state.runtime
        async with runtime.pool.acquire() as conn:
            await add_account(conn, username="esihenkilo", display_name="Eeva Esihenkilö", role="manager",
                              region="varsinais-suomi", team_id=None, password="correct horse battery staple",
                              keyring=runtime.settings.keyring, topic_prefix=prefix)
        pool = reporting.app.state.runtime.pool
        # The figures as the projection keeps them (tested from the stream in the integration tests).
        for i, municipality in enumerate(["raisio"] * 6 + ["naantali"]):
            await pool.execute("INSERT INTO network_agents (agent_id, region, municipality, sector, applied_on, status)"
                               " VALUES ($1, 'varsinais-suomi', $2, 'school', $3, 'confirmed')", uuid.uuid4(),
                               municipality, date(2026, 1, 10 + i))
        await pool.execute("INSERT INTO network_tasks (task_id, region, title_fi, title_sv, published_on, recipients,"
                           " accepted, reported) VALUES ($1, 'varsinais-suomi', 'Tehtävä', 'Uppdrag', $2, 7, 6, 5)",
                           uuid.uuid4(), date(2026, 2, 10))

        async def known() -> bool:
            return bool(await pool.fetchval("SELECT count(*) FROM staff_accounts"))

        for _ in range(100):
            if await known():
                break
            await asyncio.sleep(0.2)
        context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
        page = await context.new_page()
        await page.goto(f"{reporting.url}/overview?lang={lang}")
        await page.fill("#username", "esihenkilo")
        await page.fill("#password", "correct horse battery staple")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/overview**")
        # The dashboards' menu leads to the network page, by the keyboard alone.
        await tab_to(page, f"nav a[href='/network?lang={lang}']")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/network?lang=*")
        await expect(page.locator("h1")).to_contain_text(
            {"fi": "Muutosagenttien verkosto", "sv": "Förändringsagenternas nätverk"}[lang])
        await expect(page.locator("nav a[aria-current='page']")).to_have_text(
            {"fi": "Muutosagentit", "sv": "Förändringsagenter"}[lang])
        await expect(page.locator(f"a[href='/network/export/network-tasks.csv?lang={lang}']")).to_have_count(1)
        await checked(page, f"the dashboards' network page ({lang})")
        # Each table's download is reached by the keyboard too, and gives the file in the page's language.
        await tab_to(page, f"a[href='/network/export/network-municipalities.csv?lang={lang}']")
        async with page.expect_download() as download:
            await page.keyboard.press("Enter")
        path = await (await download.value).path()
        text = path.read_text(encoding="utf-8-sig")
        assert text.startswith({"fi": "Kunta;Määrä", "sv": "Kommun;Antal"}[lang])
        names = {"fi": ("Naantali", "Raisio"), "sv": ("Nådendal", "Reso")}[lang]  # the page's language
        assert f"{names[0]};x" in text and f"{names[1]};6" in text
        await context.close()
