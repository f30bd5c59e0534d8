"""Routing's summary in a real browser: a coordinator's work per team, a manager's way to the dashboards; in
Finnish, Swedish and English, at 320 px and 1,366 px, with axe-core, and no page wider than the screen."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_staff import PASSWORD, routing_server  # noqa: F401  (the fixture)
from tests.support import LiveServer

pytestmark = pytest.mark.browser
TEXTS = {
    "fi": ("Yhteenveto", "Odottaa vastausta", "Avaa tilastosivut", "Kirjaudu sisään"),
    "sv": ("Sammanfattning", "Väntar på svar", "Öppna statistiksidorna", "Logga in"),
    "en": ("Summary", "Waiting for a reply", "Open the statistics pages", "Sign in"),
}


async def test_summary_shows_work_per_team_or_the_way_to_the_dashboards(browser: Browser,
                                                                         routing_server: LiveServer) -> None:  # noqa: F811
    from services.routing.accounts import add_account

    async with routing_server.app.state.runtime.pool.acquire() as conn:
        await add_account(conn, username="esihenkilo", display_name="Eeva Esihenkilö", role="manager",
                          region="varsinais-suomi", team_id=None, password=PASSWORD)
    for username, works in (("esihenkilo", False), ("koordinaattori", True)):
        for width in (320, 1366):
            context = await browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900})
            page = await context.new_page()
            await page.goto(f"{routing_server.url}/login?lang=fi")
            await page.fill("#username", username)
            await page.fill("#password", PASSWORD)
            await page.get_by_role("button", name=TEXTS["fi"][3]).click()
            for lang, (title, waiting, link, _) in TEXTS.items():
                await page.goto(f"{routing_server.url}/summary?lang={lang}")
                await expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
                if works:
                    table = page.get_by_role("table")
                    await expect(table.get_by_role("columnheader", name=waiting)).to_be_visible()
                    await expect(table.get_by_role("rowheader")).not_to_have_count(0)
                    await expect(page.get_by_role("link", name=link)).to_have_count(0)
                else:
                    await expect(page.get_by_role("table")).to_have_count(0)
                    await expect(page.get_by_role("link", name=link)).to_be_visible()
                wide = await page.evaluate("document.documentElement.scrollWidth")
                assert wide <= width, (username, lang, width, wide)
                await assert_accessible(page, f"the summary of a {username} in {lang} at {width} px")
            await context.close()
