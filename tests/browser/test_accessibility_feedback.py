"""Accessibility feedback in a real browser, in Finnish and Swedish: a family on the accessibility page without a
municipality chooses one and sends feedback with the keyboard alone; the region's admin finds it in the list and
opens it; axe-core finds nothing at 320 and 1,366 px, and nothing scrolls sideways."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, expect

from tests.browser.test_accounts import PASSWORD, checked, routing_server  # noqa: F401 - the fixture
from tests.browser.test_family import tab_to

pytestmark = pytest.mark.browser
TEXTS = {"fi": ("Saavutettavuusseloste", "Kiitos", "Saavutettavuuspalaute", "Raisio"),
         "sv": ("Tillgänglighetsutlåtande", "Tack", "Respons om tillgänglighet", "Reso")}


@pytest.mark.parametrize("lang", ["fi", "sv"])
async def test_feedback_is_sent_by_keyboard_and_read_by_the_admin(browser: Browser, intake_server, routing_server,  # noqa: F811
                                                                  lang: str) -> None:
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await page.goto(f"{intake_server.url}/accessibility?lang={lang}")
    await expect(page.locator("h1")).to_have_text(TEXTS[lang][0])
    await checked(page, f"the accessibility page ({lang})")
    await tab_to(page, "#feedback-municipality", limit=40)
    await page.keyboard.type(TEXTS[lang][3])  # a select takes typed letters: Raisio is Reso in Swedish
    await page.keyboard.press("Tab")
    await page.keyboard.type(f"Painikkeen teksti on liian vaalea ({lang}).")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.locator(".flash")).to_contain_text(TEXTS[lang][1])
    await checked(page, f"the accessibility page after sending ({lang})")

    admin = await context.new_page()
    await admin.goto(f"{routing_server.url}/login?lang={lang}")
    await admin.fill("#username", "yllapitaja")
    await admin.fill("#password", PASSWORD)
    await admin.keyboard.press("Enter")
    await admin.wait_for_url("**/admin/access**")
    for _ in range(100):  # the feedback reaches routing through Kafka
        await admin.goto(f"{routing_server.url}/admin/feedback?lang={lang}")
        if await admin.locator("table a").count():
            break
        await asyncio.sleep(0.2)
    await expect(admin.locator("h1")).to_have_text(TEXTS[lang][2])
    await checked(admin, f"the admins' feedback list ({lang})")
    await admin.locator("table a").first.click()
    await expect(admin.locator("p.text").first).to_contain_text("Painikkeen teksti")
    await checked(admin, f"one feedback ({lang})")
    await context.close()
