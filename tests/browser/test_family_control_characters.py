"""A text holding a control or direction character, sent from a real browser: the error beside the field, in the
page's language, the text kept, and the page still WCAG 2.1 AA at 320 px and 1,366 px."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from services.intake.i18n import t
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

OVERRIDE = "\u202e"


@pytest.mark.parametrize("width", [320, 1366])
async def test_the_form_says_which_field_holds_one_in_the_page_s_language(browser: Browser, intake_server,
                                                                          width: int) -> None:
    context = await browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{intake_server.url}/m/kaarina?lang=sv")
    await page.check("#role-parent")
    await page.fill("#message", f"Vi behöver{OVERRIDE} hjälp med sömnen.")
    await page.check("#method-sms")
    await page.fill("#phone", "040 123 4567")
    await page.fill("#name", "Mormor")
    await page.fill("#call_times", "efter\u2066 kl. 17")
    await page.check("#consent")
    await page.click("#request-form button[type=submit]")
    said = t("err_control_chars", "sv")
    await expect(page.locator("#error-summary")).to_be_visible()
    await expect(page.locator("#message-error")).to_have_text(said)
    await expect(page.locator("#call_times-error")).to_have_text(said)
    await expect(page.locator("#call_times")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#name-error")).to_have_count(0)
    await expect(page.locator("#message")).to_have_value(f"Vi behöver{OVERRIDE} hjälp med sömnen.")
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    await assert_accessible(page, f"the form with a control character at {width} px")

    await page.goto(f"{intake_server.url}/accessibility?lang=en")
    await page.fill("#feedback", "The contrast\u2067 is low.")
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#feedback-error")).to_have_text(t("err_control_chars", "en"))
    await expect(page.locator("#feedback")).to_have_value("The contrast\u2067 is low.")
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    await assert_accessible(page, f"the accessibility feedback with a control character at {width} px")
    await context.close()
