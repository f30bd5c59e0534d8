"""The outcomes page's contact tables in a real browser: the not-reached rate by contact method and the attempts per
reached family, their chart drawn, small counts hidden, and axe-core finding nothing in fi, sv and en at 320 and
1,366 px."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from services.reporting.privacy import SUPPRESSED
from tests.browser.conftest import assert_accessible
from tests.browser.dashboards import PASSWORD, routing_and_reporting
from tests.integration.test_contact_reporting import the_cases
from tests.integration.test_reporting import publish
from tests.support import eventually

pytestmark = pytest.mark.browser
PERIOD = "period=2026"
# Each language's table titles and the row of text messages (three closed, one not reached: both hidden).
TITLES = {
    "fi": ("Tavoittamatta jääneet yhteydenottotavan mukaan", "Yhteydenottoyritykset tavoitettua perhettä kohden",
           "Tekstiviesti"),
    "sv": ("Inte nådda enligt kontaktsätt", "Kontaktförsök per nådd familj", "Textmeddelande"),
    "en": ("Families not reached, by way of answering", "Contact attempts per reached family", "Text message"),
}


async def test_the_contact_tables_read_and_pass_axe_in_every_language_and_width(browser: Browser, postgres, kafka,
                                                                               prefix) -> None:
    async with routing_and_reporting(postgres, kafka, prefix) as (routing, reporting):
        events, _ = the_cases()
        await publish(kafka, prefix, events)

        async def known() -> bool:
            pool = reporting.app.state.runtime.pool
            facts = await pool.fetchval("SELECT count(*) FROM case_facts WHERE contact_attempts > 0")
            staff = await pool.fetchval("SELECT count(*) FROM staff_accounts")
            return facts == 21 and staff == 1

        await eventually(known, what="reporting to know the attempts and the manager")

        context = await browser.new_context(bypass_csp=True, locale="fi-FI", viewport={"width": 1366, "height": 900})
        page: Page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(f"{reporting.url}/outcomes?{PERIOD}&lang=fi")
        await page.fill("#username", "esihenkilo")
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="Kirjaudu sisään").click()
        await expect(page.get_by_role("heading", level=1, name="Lopputulokset ja ohjaukset")).to_be_visible()

        for lang, (rate_title, attempts_title, sms_row) in TITLES.items():
            for width, height in ((1366, 900), (320, 640)):
                await page.set_viewport_size({"width": width, "height": height})
                await page.goto(f"{reporting.url}/outcomes?{PERIOD}&lang={lang}")
                rate = page.get_by_role("region", name=rate_title).get_by_role("table")
                await expect(rate.get_by_role("row", name=sms_row)).to_contain_text(SUPPRESSED)
                await expect(page.locator("#chart-not_reached_by_method")).to_have_attribute("data-drawn", "true")
                attempts = page.get_by_role("region", name=attempts_title).get_by_role("table")
                await expect(attempts.get_by_role("row")).to_have_count(7)  # heading, 1, 2, 3, 4+, mean; total
                assert await page.evaluate("document.documentElement.scrollWidth") <= width
                await assert_accessible(page, f"the outcomes page in {lang} at {width} px")
        assert errors == [], errors
        await context.close()
