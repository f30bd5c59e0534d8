"""Picking a service from the directory in a real browser, in Finnish and in Swedish, with the keyboard alone: the
search box lists the services for the family's municipality and language as one types, the arrow keys and Enter
choose one, and the case referred to it shows the service's phones, pages and places; axe-core finds nothing on
the case page with the list open and after the referral, at 320 px and 1,366 px, with no sideways scrolling."""

from __future__ import annotations

import argparse

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from services.routing import directory_admin
from shared.settings import ROOT
from tests.browser.conftest import SCREENSHOTS, assert_accessible
from tests.browser.test_callbacks import no_sideways_scrolling
from tests.browser.test_family import tab_to
from tests.browser.test_followups import coordinator_api
from tests.browser.test_staff import routing_server  # noqa: F401 - the fixture, with its accounts
from tests.browser.test_templates import sign_in_by_keyboard
from tests.support import eventually, request_body

pytestmark = pytest.mark.browser
BUNDLE = ROOT / "deploy" / "demo" / "ptv" / "varsinais-suomi.json"
CASES = {"fi": ("raisio", "lastenneuvola", "Lastenneuvola", "Palvelun yhteystiedot: Lastenneuvola", "Tahvontie 7"),
         "sv": ("kemionsaari", "rådgivning", "Barnrådgivning", "Tjänstens kontaktuppgifter: Barnrådgivning",
                "Tahvovägen 7")}


async def a_request(intake_url: str, routing: httpx.AsyncClient, municipality: str, lang: str) -> str:
    async with httpx.AsyncClient(base_url=intake_url) as intake:
        sent = await intake.post("/api/v1/requests", json=request_body(municipality, language=lang))
        assert sent.status_code == 201, sent.text
    case_id: str = sent.json()["case_id"]

    async def seen() -> bool:
        return (await routing.get(f"/api/v1/cases/{case_id}")).status_code == 200

    await eventually(seen, what="the request in routing")
    return case_id


async def pick_by_keyboard(page: Page, typed: str, name: str) -> None:
    """Type into the refer form's search box, move down the list with the arrow key and choose with Enter."""
    await tab_to(page, "#refer-q", limit=200)
    await expect(page.locator("#refer-q")).to_have_attribute("role", "combobox")
    await page.keyboard.type(typed, delay=30)
    listbox = page.locator("#refer-listbox")
    await expect(listbox).to_be_visible()
    await expect(page.locator("#refer-q")).to_have_attribute("aria-expanded", "true")
    await expect(listbox.locator("[role=option]").first).to_contain_text(name)
    await page.keyboard.press("ArrowDown")
    first = listbox.locator("[role=option]").first
    await expect(first).to_have_attribute("aria-selected", "true")
    await expect(page.locator("#refer-q")).to_have_attribute("aria-activedescendant", "refer-option-0")
    await page.keyboard.press("Enter")
    await expect(listbox).to_be_hidden()
    await expect(page.locator("#refer-q")).to_have_value(name)
    await expect(page.locator("#refer-choices input[type=radio]:checked")).to_have_count(1)
    await expect(page.locator("#refer-choices input:checked + label")).to_contain_text(name)
    await expect(page.locator("#refer-q-status")).to_contain_text(name)


async def test_a_coordinator_picks_a_service_by_keyboard_in_finnish_and_swedish(
        browser: Browser, intake_server, routing_server) -> None:  # noqa: F811
    settings = routing_server.app.state.runtime.settings
    await directory_admin.run(argparse.Namespace(region="varsinais-suomi", from_file=BUNDLE, save=None), settings)
    async with coordinator_api(routing_server.url) as routing:
        async def projected() -> bool:
            found = await routing.get("/api/v1/directory", params={"q": "lastenneuvola", "language": "fi"})
            return any(s["name"] == "Lastenneuvola" and s["detail"] for s in found.json()["services"])

        await eventually(projected, what="the directory in routing")
        cases = {lang: await a_request(intake_server.url, routing, municipality, lang)
                 for lang, (municipality, *_) in CASES.items()}

    for lang, (_, typed, name, heading, street) in CASES.items():
        context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900},
                                            locale="sv-SE" if lang == "sv" else "fi-FI")
        page = await context.new_page()
        await sign_in_by_keyboard(page, routing_server.url, lang)
        await page.goto(f"{routing_server.url}/cases/{cases[lang]}?lang={lang}")
        await pick_by_keyboard(page, typed, name)
        if lang == "fi":
            await page.keyboard.press("Backspace")  # typing again opens the list again, for the picture
            await expect(page.locator("#refer-listbox")).to_be_visible()
            await page.locator("section.service-action").first.screenshot(
                path=str(SCREENSHOTS / "staff-directory.png"))
            await page.keyboard.press("Escape")
            await expect(page.locator("#refer-listbox")).to_be_hidden()
        # The family's consent and a note for the service, as a referral needs them.
        await tab_to(page, "#refer-note", limit=40)
        await page.keyboard.type("Perhe toivoo soittoa iltaisin.")
        await tab_to(page, "#refer-consent-spoken", limit=10)
        await page.keyboard.press("Space")
        await tab_to(page, "#refer-title ~ form button.primary", limit=40)
        await page.keyboard.press("Enter")
        await expect(page.locator("#notice")).to_be_visible()
        channels = page.locator("section.service-channels")
        await expect(channels.locator("h2")).to_have_text(heading)
        await expect(channels).to_contain_text(street)
        await expect(channels.get_by_role("link", name="+358 2 2626 1500")).to_be_visible()
        await context.close()

    for width, height in ((320, 640), (1366, 900)):
        for lang, (_, typed, *_) in CASES.items():
            context = await browser.new_context(bypass_csp=True, viewport={"width": width, "height": height})
            page = await context.new_page()
            await sign_in_by_keyboard(page, routing_server.url, lang)
            await page.goto(f"{routing_server.url}/cases/{cases[lang]}?lang={lang}")
            await expect(page.locator("section.service-channels")).to_be_visible()
            await assert_accessible(page, f"a referred case's page ({lang}, {width} px)")
            await no_sideways_scrolling(page, width, f"a referred case's page ({lang})")
            await page.locator("#close-q").fill(typed)
            await page.locator("#close-q").dispatch_event("input")
            await expect(page.locator("#close-listbox")).to_be_visible()
            await assert_accessible(page, f"the service list open ({lang}, {width} px)")
            await no_sideways_scrolling(page, width, f"the service list open ({lang})")
            # Without the script's list: the search form's own answer, the matches as the close form's choices.
            await page.goto(f"{routing_server.url}/cases/{cases[lang]}?lang={lang}&service_q={typed}")
            await expect(page.locator("#close-choices input[type=radio]")).not_to_have_count(1)
            await assert_accessible(page, f"a search's answer ({lang}, {width} px)")
            await context.close()
