"""What a family does in a real browser: the button, the form in three languages, the receipt, the answer."""

from __future__ import annotations

import asyncio
import re
import uuid

import asyncpg
import pytest
from playwright.async_api import Page, Route, expect

from deploy.local.infra import free_port
from shared.codec import encode
from shared.events import ReplySent, ReplySentPayload, new_event
from shared.places import sealed_place
from shared.sealing import WrappedKey, seal
from shared.topics import cases_topic
from tests.browser.conftest import SCREENSHOTS, assert_accessible
from tests.support import APPS, LiveServer, produce, settings_for

pytestmark = pytest.mark.browser

MESSAGES = {
    "fi": "Lapsemme ei ole halunnut mennä kouluun. <b>Mistä</b> saisimme apua?",
    "sv": "Vårt barn har svårt att sova och är ofta argt. Vart kan vi vända oss?",
    "en": "We moved here last year and need a child health clinic. Who can help?",
}
PROMISE = {"fi": "saat vastauksen viimeistään", "sv": "får du svar senast", "en": "you will get an answer by"}
THANKS = {"fi": "Kiitos, viestisi on vastaanotettu", "sv": "Tack, ditt meddelande har tagits emot",
          "en": "Thank you, your message has been received"}


async def fill_form(page: Page, message: str, method: str = "anonymous", phone: str | None = None) -> None:
    await page.check("#role-parent")
    await page.select_option("#topic", "child_emotions")
    await page.fill("#message", message)
    await page.check(f"#method-{method}")
    if phone:
        await page.fill("#phone", phone)
    await page.check("#consent")


async def test_button_on_a_municipality_page_leads_to_the_form(page: Page, intake_server) -> None:
    await page.goto(f"{intake_server.url}/demo/raisio?lang=fi")
    button = page.get_by_role("link", name=re.compile("Pyydä apua!"))
    await expect(button).to_be_visible()
    await assert_accessible(page, "the demo page with the button")
    await page.screenshot(path=str(SCREENSHOTS / "button-demo.png"), full_page=True)
    await button.click()
    await expect(page.locator("h1")).to_have_text("Kysy neuvoa tai pyydä apua")
    assert page.url.endswith("/m/raisio?lang=fi")


async def test_button_is_styled_under_the_strict_policy(browser, intake_server) -> None:
    context = await browser.new_context()  # no CSP bypass: the page's own policy applies
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    response = await page.goto(f"{intake_server.url}/demo/rusko")
    assert "script-src 'self'" in (response.headers.get("content-security-policy") or "")
    button = page.get_by_role("link", name=re.compile("Pyydä apua!"))
    await expect(button).to_have_css("background-color", "rgb(15, 76, 92)")
    assert errors == []
    await context.close()


async def test_button_without_javascript_is_a_plain_link(browser, intake_server) -> None:
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{intake_server.url}/demo/naantali?lang=sv")
    await page.get_by_role("link", name="Be om hjälp!").click()
    await expect(page.locator("html")).to_have_attribute("lang", "sv")
    await expect(page.locator("#request-form")).to_be_visible()
    await context.close()


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
async def test_request_sent_in_each_language(page: Page, intake_server, lang: str) -> None:
    await page.goto(f"{intake_server.url}/m/turku?lang={lang}")
    await expect(page.locator("html")).to_have_attribute("lang", lang)
    await expect(page.locator("#promise")).to_contain_text(PROMISE[lang], ignore_case=True)
    await assert_accessible(page, f"the form in {lang}")
    if lang == "sv":
        await page.screenshot(path=str(SCREENSHOTS / "form-sv.png"), full_page=True)
    await fill_form(page, MESSAGES[lang], method="phone", phone="040 123 4567")
    await page.click("#request-form button[type=submit]")
    await expect(page.locator("h1")).to_have_text(THANKS[lang])
    await expect(page.locator("#reference")).to_have_text(re.compile(r"^[2-9A-Z]{4}-[2-9A-Z]{4}$"))
    await assert_accessible(page, f"the receipt in {lang}")


async def test_errors_are_shown_by_the_fields_and_the_text_is_kept(page: Page, intake_server) -> None:
    await page.goto(f"{intake_server.url}/m/oulu?lang=fi")
    await page.fill("#message", "Tämä teksti ei saa kadota.")
    await page.check("#method-sms")
    await page.click("#request-form button[type=submit]")
    summary = page.locator("#error-summary")
    await expect(summary).to_be_visible()
    await expect(summary).to_be_focused()
    await expect(summary).to_contain_text("Valitse, kuka kysyy.")
    await expect(page.locator("#phone-error")).to_contain_text("puhelinnumero")
    await expect(page.locator("#message")).to_have_value("Tämä teksti ei saa kadota.")
    await expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    await assert_accessible(page, "the form with errors")


async def test_a_failed_send_keeps_the_text_and_retries(page: Page, intake_server) -> None:
    failures = 0

    async def flaky(route: Route) -> None:
        nonlocal failures
        if route.request.method == "POST" and failures < 1:
            failures += 1
            await route.abort("connectionrefused")
        else:
            await route.continue_()

    await page.route(re.compile(r".*/m/rusko$"), flaky)
    await page.goto(f"{intake_server.url}/m/rusko?lang=en")
    await fill_form(page, "Please keep every word of this.")
    await page.click("#request-form button[type=submit]")
    await expect(page.locator("#send-status")).to_contain_text("Your text is kept")
    await expect(page.locator("#message")).to_have_value("Please keep every word of this.")
    await expect(page.locator("h1")).to_have_text(THANKS["en"], timeout=15000)
    assert failures == 1


async def test_keyboard_alone_at_320_px(browser, intake_server) -> None:
    context = await browser.new_context(viewport={"width": 320, "height": 640}, bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{intake_server.url}/m/kaarina?lang=sv")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 320
    await page.keyboard.press("Tab")  # the skip link comes first
    await expect(page.locator("a.skip")).to_be_focused()
    await tab_to(page, "#role-parent")
    await page.keyboard.press("Space")
    await tab_to(page, "#message")
    await page.keyboard.type("Skrivet med tangentbordet.")
    await tab_to(page, "#method-phone")
    for _ in range(3):
        await page.keyboard.press("ArrowDown")
    await expect(page.locator("#method-anonymous")).to_be_checked()
    await tab_to(page, "#consent")
    await page.keyboard.press("Space")
    await tab_to(page, "#request-form button[type=submit]")
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text(THANKS["sv"])
    assert await page.evaluate("document.documentElement.scrollWidth") <= 320
    await context.close()


async def test_anonymous_family_picks_up_the_reply(page: Page, intake_server, postgres, kafka, prefix) -> None:
    await page.goto(f"{intake_server.url}/m/raisio?lang=fi")
    await fill_form(page, MESSAGES["fi"])
    await page.click("#request-form button[type=submit]")
    reference = (await page.locator("#reference").text_content() or "").strip()
    code = (await page.locator("#pickup-code").text_content() or "").strip()
    assert len(code.replace("-", "")) == 20

    case_id, data_key = await case_key(postgres.dsn, f"intake_{prefix}", reference, intake_server)
    reply = "Hei! Soitamme teille huomenna. Koulukuraattori voi auttaa; <i>ei hätää</i>."
    event = new_event(ReplySent, case_id=case_id, region="varsinais-suomi", municipality="raisio",
                      actor="staff:test", payload=ReplySentPayload(reply_id=uuid.uuid4(),
                                                                   text=seal(data_key, case_id, reply,
                                                                            sealed_place("reply.sent"))))
    await produce(kafka.bootstrap, cases_topic(prefix, "varsinais-suomi"), [(str(case_id).encode(), encode(event))])

    await page.goto(f"{intake_server.url}/status?lang=fi")
    await page.fill("#reference", reference.lower())
    await page.fill("#pickup_code", code.replace("-", " "))
    await page.get_by_role("button", name="Avaa").click()
    await expect(page.locator("h1")).to_contain_text(reference)
    for _ in range(50):
        if await page.get_by_text(reply).count():
            break
        await asyncio.sleep(0.2)
        await page.reload()
    await expect(page.get_by_text(reply)).to_be_visible()
    await expect(page.get_by_text(MESSAGES["fi"])).to_be_visible()  # markup shown as typed
    assert await page.locator(".timeline i, .timeline b").count() == 0
    await assert_accessible(page, "the status page with a reply")

    await page.fill("#message", "Kiitos! Sopii hyvin.")
    await page.get_by_role("button", name="Lähetä").click()
    await expect(page.get_by_role("status")).to_contain_text("Viestisi on lähetetty")
    for _ in range(50):
        if await page.get_by_text("Kiitos! Sopii hyvin.").count():
            break
        await asyncio.sleep(0.2)
        await page.goto(f"{intake_server.url}/status?lang=fi")
    await expect(page.get_by_text("Kiitos! Sopii hyvin.")).to_be_visible()


async def test_wrong_codes_never_lock_the_reference_and_the_guesser_is_told_to_wait(page: Page, postgres, kafka,
                                                                                       prefix) -> None:
    settings = settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap,
                            pickup_client_failures=6)  # this browser's own limit, reached below
    async with LiveServer(APPS["intake"](settings), free_port()) as server:
        await page.goto(f"{server.url}/m/oulu?lang=en")
        await fill_form(page, "Testing the pick-up code.")
        await page.click("#request-form button[type=submit]")
        reference = (await page.locator("#reference").text_content() or "").strip()
        code = (await page.locator("#pickup-code").text_content() or "").strip()

        async def sign_in(pickup_code: str) -> None:
            await page.goto(f"{server.url}/status?lang=en")
            await page.fill("#reference", reference)
            await page.fill("#pickup_code", pickup_code)
            await page.get_by_role("button", name="Open").click()

        for _ in range(5):  # the old lock came after five
            await sign_in("AAAAA-BBBBB-CCCCC-DDDDD")
            await expect(page.locator("#error-summary")).to_contain_text("does not match")
        await sign_in(code)  # the right code opens at once
        await expect(page.locator("h1")).to_contain_text(reference)
        await page.get_by_role("button", name="Sign out").click()
        await sign_in("AAAAA-BBBBB-CCCCC-DDDDD")  # the sixth wrong code from this browser: it waits now
        await sign_in(code)
        await expect(page.locator("#error-summary")).to_contain_text("Too many attempts")
        await assert_accessible(page, "the status sign-in with an error")


async def tab_to(page: Page, selector: str, limit: int = 15) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    target = page.locator(selector)
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} was not reached with Tab in {limit} presses")


async def case_key(dsn: str, schema: str, reference: str, server) -> tuple[uuid.UUID, bytes]:
    """What routing will do when it replies: open the case's data key with the region's KEK."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            f"SELECT r.case_id, r.region, k.kek_id, k.nonce, k.wrapped FROM {schema}.requests r"
            f" JOIN {schema}.case_keys k USING (case_id) WHERE r.reference = $1", reference)
    finally:
        await conn.close()
    keyring = server.app.state.runtime.settings.keyring
    key = WrappedKey(case_id=row["case_id"], region=row["region"], kek_id=row["kek_id"], nonce=row["nonce"],
                     wrapped=row["wrapped"])
    return row["case_id"], keyring.unwrap(key)
