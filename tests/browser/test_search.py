"""The queue's search in a real browser: a coordinator, with the keyboard alone, finds a case by its reference
typed in lower case with a space, in Finnish and in Swedish, and opens it; nothing found and a term that cannot be
searched are said in the page's language; axe-core finds no WCAG 2.1 AA violation on the search's pages in fi, sv
and en at 320 px and 1,366 px, and none is wider than the screen."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS, assert_accessible
from tests.browser.test_callbacks import no_sideways_scrolling
from tests.browser.test_family import tab_to
from tests.browser.test_followups import coordinator_api
from tests.browser.test_staff import routing_server  # noqa: F401 - the fixture, with its accounts
from tests.browser.test_templates import sign_in_by_keyboard
from tests.support import eventually, request_body

pytestmark = pytest.mark.browser
TEXTS = {
    "fi": {"heading": "Haku", "one": "Löytyi 1 yhteydenotto.", "none": "Haulla ei löytynyt yhtään yhteydenottoa",
           "refused": "Hae viitteellä", "label": "Viite, puhelinnumero tai sähköpostiosoite"},
    "sv": {"heading": "Sökning", "one": "1 kontakt hittades.", "none": "Sökningen hittade inga kontakter",
           "refused": "Sök med en referens", "label": "Referens, telefonnummer eller e-postadress"},
    "en": {"heading": "Search", "one": "1 request found.", "none": "Nothing found",
           "refused": "Search by a reference", "label": "Reference, phone number or e-mail address"},
}


async def two_cases(intake_url: str, routing_url: str) -> list[dict[str, Any]]:
    """Two requests, as families send them, both in routing's queue."""
    async with httpx.AsyncClient(base_url=intake_url) as intake, coordinator_api(routing_url) as routing:
        receipts = [(await intake.post("/api/v1/requests", json=request_body(municipality))).json()
                    for municipality in ("raisio", "parainen")]
        for receipt in receipts:
            async def projected(case_id: str = receipt["case_id"]) -> bool:
                return (await routing.get(f"/api/v1/cases/{case_id}")).status_code == 200

            await eventually(projected, what="the request in routing")
    return receipts


async def search_by_keyboard(page: Page, typed: str) -> None:
    await tab_to(page, "#s-q", limit=40)
    await page.keyboard.type(typed)
    await page.keyboard.press("Enter")


async def test_a_coordinator_finds_a_case_by_a_reference_typed_with_a_space_by_keyboard(
        browser: Browser, intake_server, routing_server) -> None:  # noqa: F811
    wanted, other = await two_cases(intake_server.url, routing_server.url)
    typed = wanted["reference"].lower().replace("-", " ")  # "k7m4 2q9x", as read out over the phone
    for lang in ("fi", "sv"):
        text = TEXTS[lang]
        context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
        page = await context.new_page()
        await sign_in_by_keyboard(page, routing_server.url, lang)
        await expect(page.get_by_role("search").get_by_label(text["label"])).to_be_visible()
        await search_by_keyboard(page, typed)
        await expect(page.locator("h1")).to_have_text(text["heading"])
        await expect(page.get_by_role("status")).to_have_text(text["one"])
        rows = page.locator("table.queue tbody tr")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text(wanted["reference"])
        await expect(page.get_by_role("link", name=other["reference"])).to_have_count(0)
        await expect(page.locator("#s-q")).to_have_value(typed)  # what was typed is shown back, to correct it
        if lang == "sv":
            await page.screenshot(path=str(SCREENSHOTS / "staff-search.png"))  # the README's picture
        await tab_to(page, f"a:text('{wanted['reference']}')", limit=60)
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_contain_text(wanted["reference"])
        await context.close()


async def test_the_search_pages_are_accessible_and_fit_the_screen(browser: Browser, intake_server,
                                                                  routing_server) -> None:  # noqa: F811
    wanted, _ = await two_cases(intake_server.url, routing_server.url)
    for width, height in ((320, 640), (1366, 900)):
        context = await browser.new_context(bypass_csp=True, viewport={"width": width, "height": height})
        page = await context.new_page()
        await sign_in_by_keyboard(page, routing_server.url, "fi")
        for lang, text in TEXTS.items():
            url = f"{routing_server.url}/queue?lang={lang}"
            await page.goto(url)
            await assert_accessible(page, f"the queue with its search box ({lang}, {width} px)")
            await no_sideways_scrolling(page, width, f"the queue with its search box ({lang})")
            for typed, expected in ((wanted["reference"].lower(), text["one"]), ("ei.kukaan@example.fi", text["none"]),
                                    ("lapsi ei nuku", text["refused"])):
                await page.goto(url)
                await search_by_keyboard(page, typed)
                if expected == text["refused"]:
                    alert = page.get_by_role("alert")
                    await expect(alert).to_contain_text(expected)
                    await expect(page.locator("#s-q")).to_have_attribute("aria-invalid", "true")
                else:
                    await expect(page.get_by_role("status")).to_contain_text(expected)
                await assert_accessible(page, f"the search's answer {expected!r} ({lang}, {width} px)")
                await no_sideways_scrolling(page, width, f"the search's answer {expected!r} ({lang})")
        await context.close()
