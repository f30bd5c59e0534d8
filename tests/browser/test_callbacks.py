"""Calls to families in a real browser: a coordinator, with the keyboard alone and in Swedish, finds the case the
family wrote again on, schedules a call and answers with a reply template; axe-core on the case page and the
"callbacks today" page in fi, sv and en at 320 px and 1,366 px, with no sideways scrolling."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS, assert_accessible
from tests.browser.test_family import tab_to
from tests.browser.test_followups import act, coordinator_api
from tests.browser.test_staff import PASSWORD, routing_server  # noqa: F401 - the fixture, with its accounts
from tests.browser.test_templates import sign_in_by_keyboard
from tests.support import eventually, request_body

pytestmark = pytest.mark.browser
SV_TEMPLATE = "Hej! Vi ringer er vid den tid vi kom överens om."


async def swedish_case_with_a_new_message(intake_url: str, routing: httpx.AsyncClient) -> dict[str, str]:
    """A Swedish family's case by phone, answered, then written on again: the queue's badge."""
    async with httpx.AsyncClient(base_url=intake_url) as intake:
        receipt = (await intake.post("/api/v1/requests", json=request_body("kemionsaari", language="sv"))).json()
        await act(routing, receipt["case_id"], "reply", text="Vi hör av oss.")
        sent = await intake.post("/api/v1/status/messages", json={
            "reference": receipt["reference"], "pickup_code": receipt["pickup_code"],
            "message_id": str(uuid.uuid4()), "message": "Det blev värre i natt, ring oss gärna."})
        assert sent.status_code == 201, sent.text

    async def badged():
        case = (await routing.get(f"/api/v1/cases/{receipt['case_id']}")).json()["case"]
        return case["unread_messages"] == 1

    await eventually(badged, what="the follow-up in routing")
    return receipt


async def no_sideways_scrolling(page: Page, width: int, what: str) -> None:
    scroll = await page.evaluate("document.documentElement.scrollWidth")
    # What sticks out, to say where to look when it fails.
    wide = await page.evaluate(
        "(width) => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > width)"
        ".slice(0, 8).map(e => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)",
        width)
    assert scroll <= width, f"{what} scrolls sideways at {width} px ({scroll} px wide): {wide}"


async def test_coordinator_schedules_a_call_and_answers_with_a_template_by_keyboard_in_swedish(
        browser: Browser, intake_server, routing_server) -> None:  # noqa: F811
    async with coordinator_api(routing_server.url) as routing:
        receipt = await swedish_case_with_a_new_message(intake_server.url, routing)
        made = await routing.post("/api/v1/templates", json={"language": "sv", "title": "Vi ringer",
                                                             "text": SV_TEMPLATE})
        assert made.status_code == 201, made.text

    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900}, locale="sv-SE")
    page = await context.new_page()
    await sign_in_by_keyboard(page, routing_server.url, "sv")
    first_row = page.locator("table.queue tbody tr").first
    await expect(first_row).to_contain_text(receipt["reference"])
    await expect(first_row.locator(".badge.new-message")).to_have_text("Nytt meddelande från familjen (1)")
    await tab_to(page, f"a:text('{receipt['reference']}')", limit=60)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_contain_text(receipt["reference"])

    # The call: the proposal is in the form already; the coordinator names who calls and schedules it.
    section = page.locator("section.call")
    await expect(section.locator("h2")).to_have_text("Ring familjen")
    await expect(section).to_contain_text("Försök 1 av 3.")
    await expect(section).to_contain_text("Familjen valde inga tider.")  # this request chose no windows
    await tab_to(page, "#cb-day", limit=60)
    day = await page.locator("#cb-day").input_value()
    start, end = await page.locator("#cb-start").input_value(), await page.locator("#cb-end").input_value()
    assert day and start and end, "the form is prefilled with the proposal"
    await tab_to(page, "#cb-caller", limit=12)  # through the date and times, segment by segment
    await page.keyboard.press("ArrowDown")  # from "the case's worker or team" to the one professional
    await expect(page.locator("#cb-caller")).to_have_value("perhetyo")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # "Planera samtalet"
    await expect(page.locator("#notice")).to_have_text("Sparat.")
    await expect(section.locator(".scheduled")).to_contain_text("Pekka Perhetyöntekijä")
    await expect(section.locator(".scheduled")).to_contain_text(f"{start.lstrip('0').replace(':', '.')}–")
    await expect(page.locator(".ev-callback-scheduled")).to_have_count(1)
    await section.screenshot(path=str(SCREENSHOTS / "staff-call.png"))  # the README's picture

    # The answer: the Swedish template inserted, edited and sent.
    await tab_to(page, "#reply-template", limit=60)
    await expect(page.locator("#reply-template option").first).to_have_text("Vi ringer")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # "Infoga i svaret"
    box = page.locator("#reply-text")
    await expect(box).to_have_value(SV_TEMPLATE)
    await expect(box).to_be_focused()
    await page.keyboard.press("End")
    await page.keyboard.type(" Hälsningar, Kaisa")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.locator("#notice")).to_have_text("Sparat.")
    await expect(page.locator(".ev-reply-sent").last).to_contain_text(f"{SV_TEMPLATE} Hälsningar, Kaisa")
    await expect(page.locator(".facts .badge.new-message")).to_have_count(0)

    # The day's calls, from the menu: the call is there, its reference a link back to the case.
    await page.goto(f"{routing_server.url}/callbacks?lang=sv&day={day}")
    await expect(page.locator("h1")).to_have_text("Samtal till familjer")
    row = page.locator("table.calls tbody tr", has_text=receipt["reference"])
    await expect(row).to_contain_text("Pekka Perhetyöntekijä")
    await expect(row).to_contain_text("Planerat")
    await context.close()

    # axe-core and the width, in each language, at both widths: the case with its call, the day's list.
    for width, height in ((320, 640), (1366, 900)):
        context = await browser.new_context(bypass_csp=True, viewport={"width": width, "height": height})
        page = await context.new_page()
        await page.goto(f"{routing_server.url}/login?lang=fi")
        await page.fill("#username", "koordinaattori")
        await page.fill("#password", PASSWORD)
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_have_text("Avoimet yhteydenotot")
        for lang in ("fi", "sv", "en"):
            await page.goto(f"{routing_server.url}/cases/{receipt['case_id']}?lang={lang}")
            await expect(page.locator("section.call .scheduled")).to_be_visible()
            await assert_accessible(page, f"the case page with a call ({lang}, {width} px)")
            await no_sideways_scrolling(page, width, f"the case page ({lang})")
            await page.goto(f"{routing_server.url}/callbacks?lang={lang}&day={day}")
            await expect(page.locator("table.calls tbody tr")).to_have_count(1)
            await assert_accessible(page, f"the callbacks page ({lang}, {width} px)")
            await no_sideways_scrolling(page, width, f"the callbacks page ({lang})")
        # A day that is not one, and a day without calls.
        await page.goto(f"{routing_server.url}/callbacks?lang=sv&day=igår")
        await expect(page.locator("#notice")).to_contain_text("Dagen är ogiltig")
        await assert_accessible(page, f"the callbacks page with a problem ({width} px)")
        await page.goto(f"{routing_server.url}/callbacks?lang=en&day=2026-01-01")
        await expect(page.locator("main")).to_contain_text("No calls on this day.")
        await assert_accessible(page, f"the callbacks page without calls ({width} px)")
        await no_sideways_scrolling(page, width, "the callbacks page without calls")
        await context.close()
