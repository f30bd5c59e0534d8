"""Reply templates in a real browser: a coordinator, with the keyboard alone, keeps a Swedish template and
answers a Swedish case with it (inserted, edited, sent); without JavaScript inserting reloads the page with
the text in the box; axe-core on the templates page and the case page in fi, sv and en at 320 and 1,366 px."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS, assert_accessible
from tests.browser.test_family import tab_to
from tests.browser.test_staff import PASSWORD, routing_server  # noqa: F401 - the fixture
from tests.support import request_body

pytestmark = pytest.mark.browser
SV_TEMPLATE = "Hej! Tack för att ni skrev igen. Vi ringer er i morgon mellan 16 och 18."
FI_TEMPLATE = "Hei! Kiitos viestistänne. Soitamme teille huomenna."


async def swedish_case(intake_url: str) -> tuple[str, str]:
    """A family's request in Swedish (sent through intake's API); its case id and reference."""
    async with httpx.AsyncClient(base_url=intake_url) as family:
        accepted = await family.post("/api/v1/requests", json=request_body(
            "kemionsaari", language="sv", topic="family_change", message="Det har blivit värre hemma."))
    assert accepted.status_code == 201, accepted.text
    return accepted.json()["case_id"], accepted.json()["reference"]


async def sign_in_by_keyboard(page: Page, url: str, lang: str) -> None:
    await page.goto(f"{url}/login?lang={lang}")
    await tab_to(page, "#username")
    await page.keyboard.type("koordinaattori")
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Öppna kontakter" if lang == "sv" else "Avoimet yhteydenotot")


async def finnish_template(url: str) -> None:
    """A colleague's Finnish template, so the reply box has more than one language to order."""
    async with httpx.AsyncClient(base_url=url) as colleague:
        signed = await colleague.post("/api/v1/session", json={"username": "koordinaattori", "password": PASSWORD})
        colleague.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        made = await colleague.post("/api/v1/templates", json={"language": "fi", "title": "Yleinen vastaus",
                                                               "text": FI_TEMPLATE, "topic": "family_change"})
        assert made.status_code == 201, made.text


async def tab_back_to(page: Page, selector: str, limit: int = 15) -> None:
    """Press Shift+Tab until ``selector`` has the focus (after a page that opens at its notice, further down)."""
    target = page.locator(selector)
    for _ in range(limit):
        await page.keyboard.press("Shift+Tab")
        if await target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} was not reached with Shift+Tab in {limit} presses")


async def open_case_by_keyboard(page: Page, reference: str) -> None:
    link = page.get_by_role("link", name=reference)
    for _ in range(50):  # the request reaches routing through Kafka
        if await link.count():
            break
        await asyncio.sleep(0.2)
        await page.reload()
    await tab_to(page, f"a:text('{reference}')", limit=60)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_contain_text(reference)


async def test_coordinator_answers_a_swedish_case_with_a_template_by_keyboard(browser: Browser, intake_server,
                                                                               routing_server) -> None:  # noqa: F811
    _, reference = await swedish_case(intake_server.url)
    await finnish_template(routing_server.url)
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await sign_in_by_keyboard(page, routing_server.url, "sv")

    # The templates page, from the menu: a new Swedish template (the page's language is the default).
    await tab_to(page, "nav a[href^='/templates']", limit=20)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Svarsmallar")
    await tab_to(page, "#tpl-topic", limit=30)
    for _ in range(2):  # past "any topic" and finding_services to family_change, the case's topic
        await page.keyboard.press("ArrowDown")
    await tab_to(page, "#tpl-title", limit=3)
    await page.keyboard.type("Vi ringer i morgon")
    await page.keyboard.press("Tab")
    await page.keyboard.type(SV_TEMPLATE)
    await tab_to(page, ".template-form button[type=submit]", limit=3)
    await page.keyboard.press("Enter")
    await expect(page.locator("#notice")).to_have_text("Svarsmallen har lagts till.")
    await expect(page.locator(".templates")).to_contain_text("Vi ringer i morgon")
    await expect(page.locator(".templates")).to_contain_text("förändring i familjen")
    await page.screenshot(path=str(SCREENSHOTS / "staff-templates.png"), full_page=True)

    # The case: the Swedish template is offered first; inserting fills the box and sends nothing.
    await tab_back_to(page, "nav a[href^='/queue']", limit=60)
    await page.keyboard.press("Enter")
    await open_case_by_keyboard(page, reference)
    await tab_to(page, "#reply-template", limit=60)
    assert await page.locator("#reply-template option").all_text_contents() == ["Vi ringer i morgon",
                                                                                 "Yleinen vastaus"]
    assert await page.locator("#reply-template").input_value() != ""
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # "Infoga i svaret"
    box = page.locator("#reply-text")
    await expect(box).to_have_value(SV_TEMPLATE)
    await expect(box).to_be_focused()
    await expect(page.locator("#template-inserted")).to_contain_text("inget har skickats ännu")
    await expect(page.locator(".ev-reply-sent")).to_have_count(0)
    await page.keyboard.press("End")
    await page.keyboard.type(" Hälsningar, Kaisa")
    await page.keyboard.press("Tab")  # the reply button follows the box
    await page.keyboard.press("Enter")
    await expect(page.locator("#notice")).to_have_text("Sparat.")
    await expect(page.locator(".ev-reply-sent")).to_contain_text(f"{SV_TEMPLATE} Hälsningar, Kaisa")
    await expect(page.locator(".ev-reply-sent")).to_have_count(1)
    await context.close()


async def test_without_javascript_inserting_reloads_with_the_text(browser: Browser, intake_server,
                                                                  routing_server) -> None:  # noqa: F811
    case_id, _ = await swedish_case(intake_server.url)
    await finnish_template(routing_server.url)
    context = await browser.new_context(java_script_enabled=False, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await page.goto(f"{routing_server.url}/login?lang=fi")
    await page.fill("#username", "koordinaattori")
    await page.fill("#password", PASSWORD)
    await page.get_by_role("button", name="Kirjaudu sisään").click()
    await expect(page.locator("h1")).to_have_text("Avoimet yhteydenotot")
    for _ in range(50):
        await page.goto(f"{routing_server.url}/cases/{case_id}?lang=fi")
        if await page.locator("#reply-template").count():
            break
        await asyncio.sleep(0.2)
    await expect(page.locator("#reply-text")).to_have_value("")
    await page.get_by_role("button", name="Lisää vastaukseen").click()
    await expect(page.locator("#reply-text")).to_have_value(FI_TEMPLATE)
    assert "template=" in page.url
    await expect(page.locator("#template-inserted")).to_contain_text("mitään ei ole vielä lähetetty")
    await expect(page.locator(".ev-reply-sent")).to_have_count(0)
    await context.close()


async def test_templates_and_case_pages_have_no_violations(browser: Browser, intake_server,
                                                           routing_server) -> None:  # noqa: F811
    case_id, _ = await swedish_case(intake_server.url)
    await finnish_template(routing_server.url)
    for width, height in ((320, 640), (1366, 900)):
        context = await browser.new_context(bypass_csp=True, viewport={"width": width, "height": height})
        page = await context.new_page()
        await page.goto(f"{routing_server.url}/login?lang=fi")
        await page.fill("#username", "koordinaattori")
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="Kirjaudu sisään").click()
        await expect(page.locator("h1")).to_have_text("Avoimet yhteydenotot")
        for lang in ("fi", "sv", "en"):
            await page.goto(f"{routing_server.url}/templates?lang={lang}")
            await expect(page.locator(".templates li")).to_have_count(1)
            await assert_accessible(page, f"the templates page ({lang}, {width} px)")
            assert await page.evaluate("document.documentElement.scrollWidth") <= width
            for _ in range(50):
                await page.goto(f"{routing_server.url}/cases/{case_id}?lang={lang}")
                if await page.locator("#reply-template").count():
                    break
                await asyncio.sleep(0.2)
            await page.locator("#reply-template").focus()
            await assert_accessible(page, f"the case page with templates ({lang}, {width} px)")
        # A form with its problems shown, and the form to edit a template.
        await page.goto(f"{routing_server.url}/templates?lang=sv")
        await page.fill("#tpl-text", "Text utan rubrik")
        await page.locator("#tpl-title").evaluate("el => el.removeAttribute('required')")
        await page.locator(".template-form button[type=submit]").click()
        await expect(page.locator("#tpl-title-error")).to_be_visible()
        await assert_accessible(page, f"the templates page with a problem ({width} px)")
        await page.locator(".templates a").first.click()
        await expect(page.locator("#tpl-title")).to_have_value("Yleinen vastaus")
        await assert_accessible(page, f"the template being edited ({width} px)")
        await context.close()
