"""Follow-ups in a real browser: a coordinator, with the keyboard alone, finds the case the family wrote again
on (badge visible, sorted first) and answers it; the family's status page in Swedish after a follow-up, after
closing and after feedback. axe-core on each page at 320 px and 1,366 px."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, assert_accessible
from tests.browser.test_family import tab_to
from tests.browser.test_staff import PASSWORD, routing_server  # noqa: F401 - the fixture, with its accounts
from tests.support import eventually, request_body

pytestmark = pytest.mark.browser
WIDTHS = (320, 1366)


async def accessible_at_both_widths(page: Page, what: str) -> None:
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await assert_accessible(page, f"{what} at {width} px")


@asynccontextmanager
async def coordinator_api(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """routing's API, signed in as the coordinator (to set a case up as the test needs it)."""
    async with httpx.AsyncClient(base_url=url) as client:
        signed = await client.post("/api/v1/session", json={"username": "koordinaattori", "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        yield client


async def act(routing: httpx.AsyncClient, case_id: str, name: str, **arguments: object) -> None:
    async def visible():
        found = await routing.get(f"/api/v1/cases/{case_id}")
        return found.json() if found.status_code == 200 else None

    version = (await eventually(visible, what="the case in routing"))["command_version"]
    done = await routing.post(f"/api/v1/cases/{case_id}/commands",
                              json={"command": name, "expected_version": version, "arguments": arguments})
    assert done.status_code == 200, done.text


async def test_coordinator_finds_the_new_message_by_keyboard_and_answers_it(browser, intake_server,
                                                                            routing_server) -> None:  # noqa: F811
    async with httpx.AsyncClient(base_url=intake_server.url) as intake, \
            coordinator_api(routing_server.url) as routing:
        # An earlier case answered, then the one the family writes again on: by the request's day and arrival
        # alone the earlier would come first.
        earlier = (await intake.post("/api/v1/requests", json=request_body("rusko", language="sv"))).json()
        followed = (await intake.post("/api/v1/requests", json=request_body("rusko", language="sv"))).json()
        for receipt in (earlier, followed):
            await act(routing, receipt["case_id"], "reply", text="Vi ringer i morgon.")
        sent = await intake.post("/api/v1/status/messages", json={
            "reference": followed["reference"], "pickup_code": followed["pickup_code"],
            "message_id": str(uuid.uuid4()), "message": "Det blev värre i natt."})
        assert sent.status_code == 201

        async def badged():
            case = (await routing.get(f"/api/v1/cases/{followed['case_id']}")).json()["case"]
            return case["unread_messages"] == 1

        await eventually(badged, what="the follow-up in routing")

    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await page.goto(f"{routing_server.url}/login?lang=sv")
    await tab_to(page, "#username")
    await page.keyboard.type("koordinaattori")
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Öppna kontakter")
    first_row = page.locator("table.queue tbody tr").first
    await expect(first_row).to_contain_text(followed["reference"])
    await expect(first_row.locator(".badge.new-message")).to_have_text("Nytt meddelande från familjen (1)")
    await expect(first_row.locator(".badge.new-message")).to_be_visible()
    await accessible_at_both_widths(page, "the queue with a follow-up")
    await page.set_viewport_size({"width": 1366, "height": 900})
    await page.screenshot(path=str(SCREENSHOTS / "staff-followup-queue.png"))  # the README's picture

    await tab_to(page, f"a:text('{followed['reference']}')", limit=60)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_contain_text(followed["reference"])
    await expect(page.locator(".facts")).to_contain_text("Följdfråga 1: ska besvaras senast")
    await expect(page.get_by_text("Det blev värre i natt.")).to_be_visible()
    await accessible_at_both_widths(page, "the case page with a follow-up")
    await page.set_viewport_size({"width": 1366, "height": 900})

    await tab_to(page, "#reply-text", limit=80)
    await page.keyboard.type("Vi ringer dig i dag före kl. 16.")
    await tab_to(page, "form[aria-labelledby=reply-title] button", limit=5)
    await page.keyboard.press("Enter")
    await expect(page.locator("#notice")).to_have_text("Sparat.")
    await expect(page.locator(".facts .badge.new-message")).to_have_count(0)
    await page.goto(f"{routing_server.url}/queue?lang=sv")
    row = page.locator("table.queue tbody tr", has_text=followed["reference"])
    await expect(row.locator(".badge.new-message")).to_have_count(0)
    await context.close()


async def test_the_familys_page_after_a_follow_up_closing_and_feedback_in_swedish(browser, intake_server,
                                                                                   routing_server) -> None:  # noqa: F811
    async with httpx.AsyncClient(base_url=intake_server.url) as intake:
        receipt = (await intake.post("/api/v1/requests", json=request_body("parainen", language="sv"))).json()
    async with coordinator_api(routing_server.url) as routing:
        await act(routing, receipt["case_id"], "reply", text="Ring familjerådgivningen, de hjälper.")

        context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
        page = await context.new_page()
        await page.goto(f"{intake_server.url}/status?lang=sv&ref={receipt['reference']}")
        await page.fill("#pickup_code", receipt["pickup_code"])
        await page.get_by_role("button", name="Öppna").click()
        answer = page.get_by_text("Ring familjerådgivningen, de hjälper.")
        for _ in range(50):
            if await answer.count():
                break
            await asyncio.sleep(0.2)
            await page.reload()
        await expect(answer).to_be_visible()

        # A follow-up: on the page at once, with its own promised day.
        await page.fill("#message", "Det hjälpte inte, det blev värre.")
        await page.get_by_role("button", name="Skicka", exact=True).click()
        await expect(page.locator(".flash")).to_have_text("Ditt meddelande har skickats.")
        await expect(page.get_by_text("Det hjälpte inte, det blev värre.")).to_be_visible()
        await expect(page.locator(".promise")).to_contain_text("Vi svarar på ditt nya meddelande senast")
        await accessible_at_both_widths(page, "the status page after a follow-up")

        await act(routing, receipt["case_id"], "reply", text="Vi ringde och kom överens om nästa steg.")
        await act(routing, receipt["case_id"], "close", outcome="referred", referred_to="perheneuvola")

    closed = page.get_by_text("Ditt ärende är avslutat: du hänvisades till Familjerådgivning.")
    for _ in range(50):
        if await closed.count():
            break
        await asyncio.sleep(0.2)
        await page.reload()
    await expect(closed).to_be_visible()
    await expect(page.locator(".promise")).to_have_count(0)
    await accessible_at_both_widths(page, "the status page of a closed case")

    await page.set_viewport_size({"width": 1366, "height": 900})
    await page.check("#score-5")
    await page.get_by_role("button", name="Skicka respons").click()
    await expect(page.locator(".flash")).to_have_text("Tack för din respons!")
    await expect(page.locator("form[action='/status/feedback']")).to_have_count(0)
    await accessible_at_both_widths(page, "the status page after feedback")
    await context.close()
