"""A number the region will not text or call, in a real browser: the form says why next to the field and in the
summary, in fi, sv and en, with and without JavaScript; axe-core finds nothing at 320 and 1,366 px (with
JavaScript, which it runs in), and the corrected number is taken."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from services.intake.i18n import t
from tests.browser.test_call_windows import accessible_at_both_widths
from tests.browser.test_family import tab_to

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
async def test_a_landline_for_text_messages_is_refused_next_to_the_field(browser: Browser, intake_server,
                                                                       lang: str) -> None:
    context = await browser.new_context(viewport={"width": 320, "height": 640}, bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{intake_server.url}/m/naantali?lang={lang}")
    await tab_to(page, "#role-parent")
    await page.keyboard.press("Space")
    await tab_to(page, "#message")
    await page.keyboard.type("Apua / hjälp / help")
    await tab_to(page, "#method-phone")  # the group's first choice; the arrow keys move within a radio group
    await page.keyboard.press("ArrowDown")
    await expect(page.locator("#method-sms")).to_be_checked()
    await tab_to(page, "#phone")
    await page.keyboard.type("02 123 4567")  # a Turku landline: it cannot take a text message
    await tab_to(page, "#consent", limit=40)
    await page.keyboard.press("Space")
    await tab_to(page, "#request-form button[type=submit]")
    await page.keyboard.press("Enter")

    why = t("err_phone_not_mobile", lang)
    await expect(page.locator("#error-summary")).to_be_focused()
    await expect(page.locator("#error-summary")).to_contain_text(why)
    await expect(page.locator("#phone-error")).to_have_text(why)
    await expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#phone")).to_have_value("02 123 4567")
    await expect(page.locator("#message")).to_have_value("Apua / hjälp / help")
    await accessible_at_both_widths(page, f"the form refusing a landline for texts in {lang}")

    await page.set_viewport_size({"width": 320, "height": 640})
    await page.fill("#phone", "040 123 4567")
    await page.click("#request-form button[type=submit]")
    await expect(page.locator("h1")).to_have_text(t("receipt_title", lang))
    await context.close()


@pytest.mark.parametrize(("typed", "key"), [("+882 1348 0000", "err_phone_service_number"),
                                            ("+46 70 123 45 67", "err_phone_country"),
                                            ("0700 123456", "err_phone_service_number")])
async def test_without_javascript_the_page_says_why_too(browser: Browser, intake_server, typed: str,
                                                        key: str) -> None:
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{intake_server.url}/m/raisio?lang=sv")
    await page.check("#role-parent")
    await page.fill("#message", "Ring mig")
    await page.check("#method-phone")
    await page.fill("#phone", typed)
    await page.check("#consent")
    await page.click("#request-form button[type=submit]")
    await expect(page.locator("#phone-error")).to_have_text(t(key, "sv", codes="+358"))
    await expect(page.locator("#error-summary")).to_contain_text(t(key, "sv", codes="+358"))
    await expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    # axe-core runs as a script in the page, so it checks the same page with JavaScript (the test above).
    await context.close()
