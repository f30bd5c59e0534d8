"""Call windows in a real browser: ticked with the keyboard at 320 px in Swedish and kept with an error and across a
language switch; the form asks for a way of answering when none is chosen, with and without JavaScript; the
status page with a scheduled call and the not-reached notice. axe-core at 320 and 1,366 px in fi, sv and en."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, time, timedelta

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from services.intake.i18n import t
from shared.businessdays import HELSINKI, is_business_day
from shared.codec import encode
from shared.events import (
    CallbackScheduled,
    CallbackScheduledPayload,
    NotReachedNotice,
    NotReachedNoticePayload,
    new_event,
)
from shared.topics import cases_topic
from tests.browser.conftest import assert_accessible
from tests.browser.test_family import tab_to
from tests.support import produce, request_body

pytestmark = pytest.mark.browser
WIDTHS = (320, 1366)


async def accessible_at_both_widths(page: Page, what: str) -> None:
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await assert_accessible(page, f"{what} at {width} px")
        assert await page.evaluate("document.documentElement.scrollWidth") <= width, f"{what} scrolls sideways"


async def ticked(page: Page) -> set[str]:
    values: list[str] = await page.eval_on_selector_all(
        "input[name=call_windows]:checked", "inputs => inputs.map(i => i.value)")
    return set(values)


async def test_windows_ticked_with_the_keyboard_at_320_px_are_kept_with_an_error(browser: Browser,
                                                                                intake_server) -> None:
    context = await browser.new_context(viewport={"width": 320, "height": 640}, bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{intake_server.url}/m/kaarina?lang=sv")
    await tab_to(page, "#role-parent")
    await page.keyboard.press("Space")
    await tab_to(page, "#message")
    await page.keyboard.type("Vi vill helst bli uppringda.")
    await tab_to(page, "#method-phone")
    await page.keyboard.press("Space")
    await expect(page.locator("#method-phone")).to_be_checked()
    await tab_to(page, "#phone")
    await page.keyboard.type("040 555 0199")
    await tab_to(page, "input[value=tue-16-18]")
    await page.keyboard.press("Space")
    await tab_to(page, "input[value=thu-8-12]")
    await page.keyboard.press("Space")
    await expect(page.locator("fieldset.weekday", has_text="Tisdag")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 320
    await tab_to(page, "#request-form button[type=submit]")  # past the consent, left unticked
    await page.keyboard.press("Enter")

    summary = page.locator("#error-summary")
    await expect(summary).to_be_focused()
    await expect(summary).to_contain_text(t("err_consent", "sv"))
    assert await ticked(page) == {"tue-16-18", "thu-8-12"}
    await expect(page.locator("#method-phone")).to_be_checked()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 320
    await assert_accessible(page, "the form with call windows and an error at 320 px")

    await tab_to(page, "#consent", limit=40)
    await page.keyboard.press("Space")
    await tab_to(page, "#request-form button[type=submit]")
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Tack, ditt meddelande har tagits emot")
    await context.close()


async def test_windows_show_only_for_a_call_or_a_text_message(page: Page, intake_server) -> None:
    await page.goto(f"{intake_server.url}/m/raisio?lang=en")
    windows = page.locator(".call-windows")
    await expect(windows).to_be_visible()  # nothing chosen yet: in view
    await page.check("#method-email")
    await expect(windows).to_be_hidden()
    await page.check("#method-sms")
    await expect(windows).to_be_visible()
    await page.check("#method-anonymous")
    await expect(windows).to_be_hidden()


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
@pytest.mark.parametrize("javascript", [True, False])
async def test_no_way_of_answering_chosen_asks_for_one(browser: Browser, intake_server, lang: str,
                                                       javascript: bool) -> None:
    context = await browser.new_context(java_script_enabled=javascript)
    page = await context.new_page()
    await page.goto(f"{intake_server.url}/m/rusko?lang={lang}")
    await page.check("#role-parent")
    await page.fill("#message", "Apua / hjälp / help")
    await page.check("#consent")
    await page.click("#request-form button[type=submit]")
    summary = page.locator("#error-summary")
    await expect(summary).to_contain_text(t("err_contact_method", lang))
    await expect(summary).not_to_contain_text(t("err_anonymous", lang))
    await expect(page.locator("#contact_method-error")).to_have_text(t("err_contact_method", lang))
    await context.close()


async def test_switching_the_language_keeps_the_text_and_every_choice(page: Page, intake_server) -> None:
    await page.goto(f"{intake_server.url}/m/raisio?lang=fi")
    await page.check("#role-relative")
    await page.fill("#message", "Tämä teksti ja valinnat säilyvät.")
    await page.check("#method-phone")
    await page.fill("#phone", "040 555 0199")
    await page.check("input[value=wed-12-16]")
    await page.check("input[value=fri-16-18]")
    await page.locator("nav a[hreflang=sv]").click()
    await expect(page.locator("html")).to_have_attribute("lang", "sv")
    await expect(page.locator("#message")).to_have_value("Tämä teksti ja valinnat säilyvät.")
    await expect(page.locator("#role-relative")).to_be_checked()
    await expect(page.locator("#method-phone")).to_be_checked()
    assert await ticked(page) == {"wed-12-16", "fri-16-18"}
    await expect(page.locator("#consent")).not_to_be_checked()
    await page.locator("nav a[hreflang=en]").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("#role-relative")).to_be_checked()
    assert await ticked(page) == {"wed-12-16", "fri-16-18"}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
async def test_the_form_with_call_windows_is_accessible(page: Page, intake_server, lang: str) -> None:
    await page.goto(f"{intake_server.url}/m/turku?lang={lang}")
    await page.check("#method-phone")
    await page.check("input[value=mon-8-12]")
    await accessible_at_both_widths(page, f"the form with call windows in {lang}")


def next_business_day() -> datetime:
    day = datetime.now(HELSINKI).date() + timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(16), HELSINKI)


async def test_the_status_page_with_a_call_and_the_notice(browser: Browser, intake_server, kafka, prefix) -> None:
    async with httpx.AsyncClient(base_url=intake_server.url) as intake:
        body = request_body("raisio", language="sv", contact={
            "method": "phone", "phone": "+358 40 555 0199", "call_windows": ["tue-16-18"]})
        receipt = (await intake.post("/api/v1/requests", json=body)).json()
    case_id = uuid.UUID(receipt["case_id"])
    starts = next_business_day()
    events = [
        new_event(NotReachedNotice, case_id=case_id, region="varsinais-suomi", municipality="raisio",
                  actor="staff:test", payload=NotReachedNoticePayload(attempts=3)),
        new_event(CallbackScheduled, case_id=case_id, region="varsinais-suomi", municipality="raisio",
                  actor="staff:test", payload=CallbackScheduledPayload(
                      callback_id=uuid.uuid4(), starts_at=starts, ends_at=starts + timedelta(hours=1))),
    ]
    await produce(kafka.bootstrap,
                  cases_topic(prefix, "varsinais-suomi"), [(str(case_id).encode(), encode(e)) for e in events])

    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await page.goto(f"{intake_server.url}/status?lang=sv&ref={receipt['reference']}")
    await page.fill("#pickup_code", receipt["pickup_code"])
    await page.get_by_role("button", name="Öppna").click()
    callback = page.locator("#callback")
    for _ in range(50):
        if await callback.count():
            break
        await asyncio.sleep(0.2)
        await page.reload()
    await expect(callback).to_contain_text("Vi ringer dig")
    await expect(callback).to_contain_text("mellan klockan 16 och 17")
    await expect(page.locator(".timeline li.staff")).to_contain_text("Vi försökte nå dig per telefon")
    for lang, said in (("sv", "Vi ringer dig"), ("fi", "Soitamme sinulle"), ("en", "We will call you on")):
        await page.goto(f"{intake_server.url}/status?lang={lang}")
        await expect(page.locator("#callback")).to_contain_text(said)
        await expect(page.locator(".timeline li.staff")).to_contain_text(t("not_reached_notice_text", lang))
        await accessible_at_both_widths(page, f"the status page with a call and the notice in {lang}")
    await context.close()
