"""The accounts pages in a real browser, in Finnish and Swedish: an admin changes a professional's team with the
keyboard alone and sees it in the account's history; the own-password page and the one-time link's page; axe-core
finds nothing at 320 and 1,366 px, and no page scrolls sideways."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, Page, expect

from deploy.local.infra import free_port
from services.routing.accounts import add_account
from tests.browser.conftest import assert_accessible
from tests.browser.test_family import tab_to
from tests.support import APPS, LiveServer, settings_for

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"
TEXTS = {
    "fi": {"accounts": "Käyttäjät", "done": "Tiimi tallennettiin.", "history": "Tiimi: ", "own": "Vaihda salasana"},
    "sv": {"accounts": "Användare", "done": "Teamet sparades.", "history": "Team: ", "own": "Byt lösenord"},
}


@pytest.fixture
async def routing_server(postgres, kafka, prefix):  # type: ignore[no-untyped-def]
    settings = settings_for("routing", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap)
    async with LiveServer(APPS["routing"](settings), free_port()) as server:
        async with server.app.state.runtime.pool.acquire() as conn:
            await add_account(conn, username="yllapitaja", display_name="Ylva Ylläpitäjä", role="admin",
                              region="varsinais-suomi", team_id=None, password=PASSWORD)
            await add_account(conn, username="perhetyo", display_name="Pekka Perhetyöntekijä", role="professional",
                              region="varsinais-suomi", team_id="family-work", password=PASSWORD,
                              email="pekka@varha.example")
        yield server


async def checked(page: Page, what: str) -> None:
    """axe-core at 1,366 and 320 px, and nothing wider than the window."""
    for width in (1366, 320):
        await page.set_viewport_size({"width": width, "height": 900})
        assert await page.evaluate("document.documentElement.scrollWidth") <= width, f"{what} at {width} px"
        await assert_accessible(page, f"{what} at {width} px")
    await page.set_viewport_size({"width": 1366, "height": 900})


@pytest.mark.parametrize("lang", ["fi", "sv"])
async def test_an_admin_changes_a_team_by_keyboard_and_sees_the_history(browser: Browser, routing_server,
                                                                        lang: str) -> None:
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await page.goto(f"{routing_server.url}/login?lang={lang}")
    await page.fill("#username", "yllapitaja")
    await page.fill("#password", PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/admin/access**")  # an admin's home
    await page.goto(f"{routing_server.url}/admin/accounts?lang={lang}")
    await expect(page.locator("h1")).to_have_text(TEXTS[lang]["accounts"])
    await checked(page, f"the accounts list ({lang})")

    await tab_to(page, "a[href^='/admin/accounts/perhetyo']", limit=40)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Pekka Perhetyöntekijä")
    await checked(page, f"an account's page ({lang})")
    await tab_to(page, "#account-team", limit=40)
    await page.keyboard.press("ArrowUp")  # the team listed before Perhetyö, by the keyboard alone
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.locator("#notice")).to_have_text(TEXTS[lang]["done"])
    await expect(page.locator("table")).to_contain_text(TEXTS[lang]["history"])
    await expect(page.locator("table")).to_contain_text("Ylva Ylläpitäjä")
    await checked(page, f"an account's page after a change ({lang})")

    await page.goto(f"{routing_server.url}/password?lang={lang}")
    await expect(page.locator("h1")).to_have_text(TEXTS[lang]["own"])
    await checked(page, f"the own-password page ({lang})")

    # The page a one-time link opens (the link itself travels by mail: here its row is made directly).
    token = f"browser-{uuid.uuid4().hex}"
    async with routing_server.app.state.runtime.pool.acquire() as conn:
        await conn.execute("INSERT INTO password_resets (token_hash, account_id, reset_id, expires_at)"
                           " VALUES ($1, 'perhetyo', $2, $3)", hashlib.sha256(token.encode()).digest(), uuid.uuid4(),
                           datetime.now(UTC) + timedelta(hours=1))
    visitor = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    link_page = await visitor.new_page()
    await link_page.goto(f"{routing_server.url}/password/reset?token={token}&lang={lang}")
    await expect(link_page.locator("#new")).to_be_visible()
    await checked(link_page, f"the one-time link's page ({lang})")
    await visitor.close()
    await context.close()


ABSENCES = {"fi": ("Poissaolot", "Poissaolo kirjattiin."), "sv": ("Frånvaro", "Frånvaron registrerades.")}


@pytest.mark.parametrize("lang", ["fi", "sv"])
async def test_an_absence_is_recorded_with_its_substitute(browser: Browser, routing_server, lang: str) -> None:
    async with routing_server.app.state.runtime.pool.acquire() as conn:
        await add_account(conn, username=f"sijainen-{lang}", display_name="Sanni Sijainen", role="professional",
                          region="varsinais-suomi", team_id="family-work", password=PASSWORD)
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await page.goto(f"{routing_server.url}/login?lang={lang}")
    await page.fill("#username", "yllapitaja")
    await page.fill("#password", PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/admin/access**")
    await page.get_by_role("link", name=ABSENCES[lang][0]).click()
    await expect(page.locator("h1")).to_have_text(ABSENCES[lang][0])
    await checked(page, f"the absences page ({lang})")
    today = datetime.now(UTC).date()
    await page.select_option("#absence-person", "perhetyo")
    await page.fill("#absence-starts", today.isoformat())
    await page.fill("#absence-ends", (today + timedelta(days=5)).isoformat())
    await page.select_option("#absence-substitute", f"professional:sijainen-{lang}")
    await page.locator("#absence-substitute").focus()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.locator("#notice")).to_contain_text(ABSENCES[lang][1])
    await expect(page.locator("table")).to_contain_text("Sanni Sijainen")
    await checked(page, f"the absences page with an absence ({lang})")
    await context.close()
