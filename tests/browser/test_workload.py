"""The team's workload in a real browser: a coordinator reaches it from the queue with the keyboard alone, reads
the counts per team and per professional in Finnish and Swedish, and sorts by a column; at 320 px and 1,366 px,
with axe-core, and no page wider than the screen. A manager's page names no professional."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS, assert_accessible
from tests.browser.test_family import tab_to
from tests.browser.test_staff import PASSWORD, routing_server  # noqa: F401  (the fixture)
from tests.support import LiveServer, eventually, request_body

pytestmark = pytest.mark.browser
TEXTS = {  # the menu's link, the heading, the people table's caption, its "open" column, the row without a team
    "fi": ("Työkuorma", "Tiimien työkuorma", "Avoimet yhteydenotot työntekijöittäin", "Avoimia", "Ei vielä tiimiä"),
    "sv": ("Arbetsbelastning", "Teamens arbetsbelastning", "Öppna kontakter per anställd", "Öppna", "Inget team ännu"),
}


async def sign_in(page: Page, url: str, username: str, lang: str) -> None:
    await page.goto(f"{url}/login?lang={lang}")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(lambda u: "/login" not in u)


async def fits(page: Page, width: int, what: str) -> None:
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, (what, wide)
    await assert_accessible(page, what)


async def test_a_coordinator_reaches_and_sorts_the_workload_with_the_keyboard(
        browser: Browser, intake_server: LiveServer, routing_server: LiveServer) -> None:  # noqa: F811
    from services.routing.accounts import add_account

    async with routing_server.app.state.runtime.pool.acquire() as conn:
        await add_account(conn, username="esihenkilo", display_name="Eeva Esihenkilö", role="manager",
                          region="varsinais-suomi", team_id=None, password=PASSWORD)
    async with httpx.AsyncClient(base_url=intake_server.url) as family:
        accepted = await family.post("/api/v1/requests", json=request_body("naantali"))
        assert accepted.status_code == 201, accepted.text
    pool = routing_server.app.state.runtime.pool

    async def projected() -> bool:
        return bool(await pool.fetchval("SELECT count(*) FROM cases"))

    await eventually(projected, what="the request in routing")

    for width in (320, 1366):
        for lang, (link, title, caption, open_column, no_team) in TEXTS.items():
            context = await browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900})
            page = await context.new_page()
            await sign_in(page, routing_server.url, "koordinaattori", lang)
            await page.goto(f"{routing_server.url}/queue?lang={lang}")
            await tab_to(page, f"nav a[href='/workload?lang={lang}']", limit=25)
            await page.keyboard.press("Enter")
            await expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
            await expect(page.get_by_role("link", name=link)).to_have_attribute("aria-current", "page")
            teams = page.get_by_role("table").first
            await expect(teams.get_by_role("row", name=no_team)).to_contain_text("1")
            people = page.get_by_role("table", name=caption)
            await expect(people.get_by_role("rowheader", name="Pekka Perhetyöntekijä")).to_be_visible()
            await fits(page, width, f"the workload in {lang} at {width} px")
            if (lang, width) == ("fi", 1366):
                await page.screenshot(path=str(SCREENSHOTS / "staff-workload.png"), full_page=True)

            # Sorting by a column with the keyboard: the header says how the table is sorted now.
            header = people.get_by_role("columnheader", name=open_column)
            await tab_to(page, "table th a[href*='sort=open']", limit=40)
            await page.keyboard.press("Enter")
            await expect(header).to_have_attribute("aria-sort", "descending")
            await tab_to(page, "table th a[href*='sort=open']", limit=40)
            await page.keyboard.press("Enter")
            await expect(people.get_by_role("columnheader", name=open_column)).to_have_attribute(
                "aria-sort", "ascending")
            await fits(page, width, f"the workload sorted in {lang} at {width} px")
            await context.close()

    # A manager: the counts per team, no table of people and no professional's name.
    context = await browser.new_context(bypass_csp=True, viewport={"width": 320, "height": 900})
    page = await context.new_page()
    await sign_in(page, routing_server.url, "esihenkilo", "sv")
    await page.goto(f"{routing_server.url}/workload?lang=sv")
    await expect(page.get_by_role("table")).to_have_count(1)
    await expect(page.get_by_text("Perhetyöntekijä")).to_have_count(0)
    await fits(page, 320, "a manager's workload in sv at 320 px")
    await context.close()
