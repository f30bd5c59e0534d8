"""Recording a phone contact in a real browser: a coordinator, with the keyboard alone, records one in Finnish and
one in Swedish from the queue (a refused phone number first, kept with everything else written), lands on the new
case with its reference; axe-core finds nothing on the form, the refused form and the case at 320 and 1,366 px."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS, assert_accessible
from tests.browser.test_family import tab_to
from tests.browser.test_staff import routing_server  # noqa: F401 - the fixture
from tests.browser.test_templates import sign_in_by_keyboard

pytestmark = pytest.mark.browser
TEXTS = {
    "fi": {"title": "Kirjaa yhteydenotto", "town": ("Lie", "lieto"), "refused": "Puhelin",
           "channel": "Puhelimitse", "done": "Tallennettu.", "words": "Äiti soitti: 12-vuotias ei halua kouluun."},
    "sv": {"title": "Registrera en kontakt", "town": ("Lund", "lieto"), "refused": "Telefon",
           "channel": "Per telefon", "done": "Sparat.", "words": "Pappa ringde: sonen sover inte om nätterna."},
}
REFERENCE = re.compile(r"[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}")


async def check_both_widths(page: Page, what: str) -> None:
    """axe-core at 1,366 and 320 px, and no sideways scrolling on a phone."""
    for width in (1366, 320):
        await page.set_viewport_size({"width": width, "height": 900})
        assert await page.evaluate("document.documentElement.scrollWidth") <= width, f"{what} scrolls sideways"
        await assert_accessible(page, f"{what} at {width} px")
    await page.set_viewport_size({"width": 1366, "height": 900})


async def fill_by_keyboard(page: Page, lang: str, phone: str) -> None:
    """The form as a worker fills it after a call, with Tab, arrows, typing and the space bar."""
    text = TEXTS[lang]
    await tab_to(page, "#rec-channel-phone", limit=20)  # by phone is chosen already: the radio group's stop
    await tab_to(page, "#rec-municipality", limit=12)  # the day and the time have a stop per part
    await page.keyboard.type(text["town"][0])
    await expect(page.locator("#rec-municipality")).to_have_value(text["town"][1])
    await tab_to(page, "#rec-role", limit=3)
    await page.keyboard.press("ArrowDown")  # the first role: a parent
    await expect(page.locator("#rec-role")).to_have_value("parent")
    await tab_to(page, "#rec-message", limit=6)
    await page.keyboard.type(text["words"])
    await tab_to(page, "#rec-phone", limit=6)  # answered by phone, the method chosen already
    await page.keyboard.type(phone)
    await tab_to(page, "#rec-receipt", limit=6)
    await page.keyboard.press("Space")
    await expect(page.locator("#rec-receipt")).to_be_checked()
    await tab_to(page, ".record-contact button[type=submit]", limit=4)
    await page.keyboard.press("Enter")


@pytest.mark.parametrize("lang", ["fi", "sv"])
async def test_a_coordinator_records_a_phone_contact_by_keyboard(browser: Browser, routing_server,  # noqa: F811
                                                                  lang: str) -> None:
    text = TEXTS[lang]
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await sign_in_by_keyboard(page, routing_server.url, lang)
    await tab_to(page, "a[href^='/contacts/new']", limit=30)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text(text["title"])
    await check_both_widths(page, f"the contact form ({lang})")

    # A number that is no number: refused, named, and nothing the worker wrote is lost.
    await fill_by_keyboard(page, lang, "12")
    await expect(page.locator("#notice")).to_contain_text(text["refused"])
    await expect(page.locator("#rec-message")).to_have_value(text["words"])
    await expect(page.locator("#rec-municipality")).to_have_value("lieto")
    await expect(page.locator("#rec-receipt")).to_be_checked()
    await check_both_widths(page, f"the refused contact form ({lang})")

    await tab_to(page, "#rec-phone", limit=40)
    await page.keyboard.press("Control+A")
    await page.keyboard.type("040 765 4321")
    await tab_to(page, ".record-contact button[type=submit]", limit=8)
    await page.keyboard.press("Enter")

    # The new case, with its reference to tell the family, the family's words and how they got in touch.
    await expect(page.locator("#notice")).to_have_text(text["done"])
    await expect(page.locator("h1")).to_contain_text(REFERENCE)
    await expect(page.locator(".request .text")).to_have_text(text["words"])
    await expect(page.locator(".facts")).to_contain_text(text["channel"])
    await expect(page.locator(".ev-request-recorded")).to_contain_text(text["channel"])
    await expect(page.locator("#reply-text")).to_have_count(0)  # no status page: no written reply
    if lang == "sv":
        await page.screenshot(path=str(SCREENSHOTS / "staff-recorded-contact.png"), full_page=True)
    await check_both_widths(page, f"the recorded case ({lang})")
    reference = REFERENCE.search(await page.locator("h1").inner_text())
    assert reference is not None

    # And it waits in the queue like any new request.
    await page.goto(f"{routing_server.url}/queue?lang={lang}")
    await expect(page.get_by_role("link", name=reference.group(0))).to_have_count(1)
    await context.close()
