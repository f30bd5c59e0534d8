"""The regional team in a real browser: a coordinator triages and assigns, a professional replies,
the family reads the reply with the pick-up code. Keyboard alone; axe-core on the queue and the case."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import Page, expect

from deploy.local.infra import free_port
from services.routing.accounts import add_account
from tests.browser.conftest import SCREENSHOTS, assert_accessible
from tests.browser.test_family import fill_form, tab_to
from tests.support import APPS, LiveServer, settings_for

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


@pytest.fixture
async def routing_server(postgres, kafka, prefix):
    settings = settings_for("routing", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap)
    async with LiveServer(APPS["routing"](settings), free_port()) as server:
        async with server.app.state.runtime.pool.acquire() as conn:
            await add_account(conn, username="koordinaattori", display_name="Kaisa Koordinaattori",
                              role="coordinator", region="varsinais-suomi", team_id=None, password=PASSWORD)
            await add_account(conn, username="perhetyo", display_name="Pekka Perhetyöntekijä", role="professional",
                              region="varsinais-suomi", team_id="family-work", password=PASSWORD)
        yield server


async def sign_in(page: Page, url: str, username: str) -> None:
    await page.goto(f"{url}/login?lang=fi")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.get_by_role("button", name="Kirjaudu sisään").click()


async def open_case(page: Page, reference: str) -> None:
    for _ in range(50):  # the request reaches routing through Kafka
        if await page.get_by_role("link", name=reference).count():
            break
        await asyncio.sleep(0.2)
        await page.reload()
    await page.get_by_role("link", name=reference).click()


async def test_coordinator_assigns_professional_replies_family_reads(page: Page, browser, intake_server,
                                                                     routing_server) -> None:
    await page.goto(f"{intake_server.url}/m/naantali?lang=fi")
    await fill_form(page, "Poikamme jännittää koulua niin, ettei pysty menemään sinne. Mitä voimme tehdä?")
    await page.click("#request-form button[type=submit]")
    reference = (await page.locator("#reference").text_content() or "").strip()
    code = (await page.locator("#pickup-code").text_content() or "").strip()

    staff_context = await browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    coordinator = await staff_context.new_page()
    await sign_in(coordinator, routing_server.url, "koordinaattori")
    await expect(coordinator.locator("h1")).to_have_text("Avoimet yhteydenotot")
    await open_case(coordinator, reference)
    await expect(coordinator.get_by_text("Poikamme jännittää koulua")).to_be_visible()
    await coordinator.select_option("#triage-topic", "child_mental_wellbeing")
    await coordinator.get_by_role("button", name="Arvioi").click()
    await expect(coordinator.locator("#notice")).to_have_text("Tallennettu.")
    await coordinator.select_option("#assign-to", "team:family-work")
    await coordinator.get_by_role("button", name="Ohjaa", exact=True).click()
    await expect(coordinator.locator(".timeline")).to_contain_text("Perhetyö")
    await coordinator.goto(f"{routing_server.url}/queue?lang=fi")
    await assert_accessible(coordinator, "the queue")
    await coordinator.screenshot(path=str(SCREENSHOTS / "staff-queue.png"), full_page=True)
    await staff_context.close()

    pro_context = await browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    professional = await pro_context.new_page()
    await sign_in(professional, routing_server.url, "perhetyo")
    await open_case(professional, reference)
    await professional.fill("#reply-text", "Hei! Koulukuraattori ja perhetyö voivat auttaa. Soitamme huomenna.")
    await professional.get_by_role("button", name="Vastaa kirjallisesti").click()
    await expect(professional.locator(".ev-reply-sent")).to_contain_text("Koulukuraattori")
    await assert_accessible(professional, "the case page")
    await professional.screenshot(path=str(SCREENSHOTS / "staff-case.png"), full_page=True)
    await pro_context.close()

    await page.goto(f"{intake_server.url}/status?lang=fi&ref={reference}")
    await page.fill("#pickup_code", code)
    await page.get_by_role("button", name="Avaa").click()
    reply = page.get_by_text("Koulukuraattori ja perhetyö voivat auttaa")
    for _ in range(50):
        if await reply.count():
            break
        await asyncio.sleep(0.2)
        await page.reload()
    await expect(reply).to_be_visible()


async def test_staff_work_by_keyboard_alone(browser, intake_server, routing_server) -> None:
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1024, "height": 768})
    family = await context.new_page()
    await family.goto(f"{intake_server.url}/m/rusko?lang=sv")
    await fill_form(family, "Hur får vi familjerådgivning på svenska?")
    await family.click("#request-form button[type=submit]")
    reference = (await family.locator("#reference").text_content() or "").strip()

    page = await context.new_page()
    await page.goto(f"{routing_server.url}/login?lang=sv")
    await tab_to(page, "#username")
    await page.keyboard.type("koordinaattori")
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Öppna kontakter")
    link = page.get_by_role("link", name=reference)
    for _ in range(50):
        if await link.count():
            break
        await asyncio.sleep(0.2)
        await page.reload()
    await tab_to(page, f"a:text('{reference}')", limit=60)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_contain_text(reference)
    await tab_to(page, "#triage-urgency", limit=40)
    await page.keyboard.press("ArrowDown")
    await tab_to(page, "form[aria-labelledby=triage-title] button", limit=5)
    await page.keyboard.press("Enter")
    await expect(page.locator("#notice")).to_have_text("Sparat.")
    await expect(page.locator(".facts")).to_contain_text(re.compile("brådskande"))
    await context.close()


async def test_queue_follows_new_requests_without_reloading(browser, intake_server, routing_server) -> None:
    context = await browser.new_context(bypass_csp=True)
    try:
        queue = await context.new_page()
        await sign_in(queue, routing_server.url, "koordinaattori")
        await expect(queue.locator("h1")).to_have_text("Avoimet yhteydenotot")
        family = await context.new_page()
        await family.goto(f"{intake_server.url}/m/masku?lang=fi")
        await fill_form(family, "Uusi kysymys jonoon.")
        await family.click("#request-form button[type=submit]")
        reference = (await family.locator("#reference").text_content() or "").strip()
        await expect(queue.get_by_role("link", name=reference)).to_be_visible(timeout=20000)  # no reload
        await expect(queue.locator("#queue-live")).to_have_text("Jono päivittyi.")
    finally:
        await context.close()
