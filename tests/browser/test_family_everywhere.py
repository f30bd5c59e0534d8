"""What a trial in a real browser found on the family's pages and on every service: each defect's test.

Pages reached without a municipality name no region; the receipt keeps its code when the language is
switched; references are read as typed; municipalities answer to their Swedish names; error pages are
pages in the page's language; /docs works under the services' own Content Security Policy.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from deploy.local.infra import free_port
from shared.collation import sort_key
from tests.browser.conftest import assert_accessible
from tests.browser.test_family import MESSAGES, THANKS, fill_form
from tests.support import APPS, LiveServer, settings_for

pytestmark = pytest.mark.browser

# Every region's names as a family could read them: none may show on a page that knows no municipality.
REGION_WORDS = ["Pohde", "Varha", "Pohjois-Pohjanmaa", "Norra Österbotten", "North Ostrobothnia",
                "Varsinais-Suomi", "Egentliga Finland", "Southwest Finland"]
WIDTHS = (320, 1366)


async def region_words_in(page: Page, selector: str = "body") -> list[str]:
    text = " ".join(await page.locator(selector).all_inner_texts()) + " " + await page.title()
    return [word for word in REGION_WORDS if word in text]


async def fits(page: Page, width: int) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("lang", ["fi", "sv"])
async def test_pages_without_a_municipality_name_no_region(browser: Browser, intake_server, lang: str) -> None:
    for width in WIDTHS:
        context = await browser.new_context(bypass_csp=True, viewport={"width": width, "height": 800})
        page = await context.new_page()
        for path in ("/status", "/accessibility", "/no-such-page"):
            await page.goto(f"{intake_server.url}{path}?lang={lang}")
            await expect(page.locator("html")).to_have_attribute("lang", lang)
            assert await region_words_in(page) == [], path
            await fits(page, width)
            await assert_accessible(page, f"{path} in {lang} at {width} px")
        # The front page and the privacy notice list every region, but as a list, never as the page's own.
        for path in ("/", "/privacy"):
            await page.goto(f"{intake_server.url}{path}?lang={lang}")
            assert await region_words_in(page, "header, footer") == [], path  # and the title
            await fits(page, width)
            await assert_accessible(page, f"{path} in {lang} at {width} px")
        await context.close()


@pytest.mark.parametrize(("lang", "heading", "varha", "pohde"), [
    ("fi", "Rekisterinpitäjä kunnittain", "Varsinais-Suomen hyvinvointialue (Varha)",
     "Pohjois-Pohjanmaan hyvinvointialue (Pohde)"),
    ("sv", "Personuppgiftsansvarig per kommun", "Egentliga Finlands välfärdsområde (Varha)",
     "Norra Österbottens välfärdsområde (Pohde)")])
async def test_privacy_without_a_municipality_asks_and_lists_each_controller(
        page: Page, intake_server, lang: str, heading: str, varha: str, pohde: str) -> None:
    await page.goto(f"{intake_server.url}/privacy?lang={lang}")
    await expect(page.get_by_role("heading", name=heading)).to_be_visible()
    await expect(page.get_by_role("heading", name=varha)).to_be_visible()
    await expect(page.get_by_role("heading", name=pohde)).to_be_visible()
    await page.get_by_role("link", name="Pargas" if lang == "sv" else "Parainen", exact=True).click()
    await expect(page.locator("main")).to_contain_text(varha)
    assert "Pohde" not in await page.locator("body").inner_text()
    await expect(page.locator("footer .county")).to_have_text(varha)


async def test_the_link_in_a_message_opens_the_municipality_s_region_and_so_does_the_case(
        page: Page, intake_server) -> None:
    await page.goto(f"{intake_server.url}/status?ref=K7M4-2Q9X&m=parainen&lang=sv")
    await expect(page.locator(".brand .where")).to_have_text("Pargas")
    await expect(page.locator("footer .county")).to_have_text("Egentliga Finlands välfärdsområde (Varha)")
    assert "Pohde" not in await page.locator("body").inner_text()
    await assert_accessible(page, "the status sign-in of Parainen in Swedish")

    await page.goto(f"{intake_server.url}/m/parainen?lang=sv")
    await fill_form(page, MESSAGES["sv"])
    await page.click("#request-form button[type=submit]")
    reference = (await page.locator("#reference").text_content() or "").strip()
    code = (await page.locator("#pickup-code").text_content() or "").strip()
    for link in await page.locator("a[href^='/status']").all():  # the receipt's link and the footer's
        assert "m=parainen" in (await link.get_attribute("href") or "")

    await page.goto(f"{intake_server.url}/status?lang=sv")  # no municipality: the case tells its region
    await page.fill("#reference", reference)
    await page.fill("#pickup_code", code)
    await page.locator("main button[type=submit]").click()
    await expect(page.locator("h1")).to_contain_text(reference)
    await expect(page.locator(".brand .where")).to_have_text("Pargas")
    await expect(page.locator("footer .county")).to_have_text("Egentliga Finlands välfärdsområde (Varha)")
    assert "Pohde" not in await page.locator("body").inner_text()


@pytest.mark.parametrize(("first", "then"), [("fi", "sv"), ("sv", "en")])
@pytest.mark.parametrize("javascript", [True, False])
async def test_switching_language_on_the_receipt_keeps_the_receipt(
        browser: Browser, intake_server, first: str, then: str, javascript: bool) -> None:
    context = await browser.new_context(bypass_csp=True, java_script_enabled=javascript)
    page = await context.new_page()
    await page.goto(f"{intake_server.url}/m/parainen?lang={first}")
    await fill_form(page, MESSAGES[first])
    await page.click("#request-form button[type=submit]")
    await expect(page.locator("h1")).to_have_text(THANKS[first])
    reference = (await page.locator("#reference").text_content() or "").strip()
    code = (await page.locator("#pickup-code").text_content() or "").strip()
    names = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}
    await page.get_by_role("navigation").get_by_role("button", name=names[then]).click()
    await expect(page.locator("h1")).to_have_text(THANKS[then])
    await expect(page.locator("html")).to_have_attribute("lang", then)
    await expect(page.locator("#reference")).to_have_text(reference)
    await expect(page.locator("#pickup-code")).to_have_text(code)
    if javascript:  # axe-core is a script: the page without it is the same page
        await assert_accessible(page, f"the receipt switched to {then}")
    await context.close()


@pytest.mark.parametrize(("lang", "typing", "button"), [
    ("fi", lambda ref: ref.replace("-", ""), "Avaa"),
    ("sv", lambda ref: ref.lower().replace("-", " "), "Öppna")])
async def test_a_reference_is_read_as_typed_and_wrong_codes_never_lock_the_family_out(
        page: Page, intake_server, lang: str, typing, button: str) -> None:
    await page.goto(f"{intake_server.url}/m/raisio?lang={lang}")
    await fill_form(page, MESSAGES[lang])
    await page.click("#request-form button[type=submit]")
    reference = (await page.locator("#reference").text_content() or "").strip()
    code = (await page.locator("#pickup-code").text_content() or "").strip()
    await page.goto(f"{intake_server.url}/status?lang={lang}")
    await page.fill("#reference", f" {typing(reference)} ")
    await page.fill("#pickup_code", code.lower())
    await page.get_by_role("button", name=button).click()
    await expect(page.locator("h1")).to_contain_text(reference)

    async with httpx.AsyncClient(base_url=intake_server.url) as api:  # the API reads it the same way
        answer = await api.post("/api/v1/status", json={"reference": typing(reference), "pickup_code": code})
        assert answer.status_code == 200 and answer.json()["reference"] == reference

    await page.context.clear_cookies()
    for _ in range(5):
        await page.goto(f"{intake_server.url}/status?lang={lang}")
        await page.fill("#reference", typing(reference))
        await page.fill("#pickup_code", "AAAAA-BBBBB-CCCCC-DDDDD")
        await page.get_by_role("button", name=button).click()
    await assert_accessible(page, f"a wrong code in {lang}")
    # Five wrong codes lock nothing: the family's own code opens the page at once (the guesser is slowed by
    # address instead, with limits these tests lift; tests/attacks/test_pickup_attacks.py tries them).
    await page.fill("#reference", typing(reference))
    await page.fill("#pickup_code", code)
    await page.get_by_role("button", name=button).click()
    await expect(page.locator("h1")).to_contain_text(reference)


@pytest.mark.parametrize(("typed", "canonical", "lang"), [
    ("/m/pargas", "/m/parainen", "sv"), ("/m/%C3%A5bo", "/m/turku", "sv"), ("/m/abo", "/m/turku", "sv"),
    ("/m/Kimito%C3%B6n", "/m/kemionsaari", "sv"), ("/demo/nadendal", "/demo/naantali", "sv"),
    ("/m/pargas", "/m/parainen", "fi")])
async def test_municipalities_answer_to_their_swedish_names(page: Page, intake_server, typed: str, canonical: str,
                                                            lang: str) -> None:
    await page.goto(f"{intake_server.url}{typed}?lang={lang}")
    assert page.url == f"{intake_server.url}{canonical}?lang={lang}"
    await expect(page.locator("html")).to_have_attribute("lang", lang)
    if typed.startswith("/m/"):
        await expect(page.locator("#request-form")).to_be_visible()


@pytest.mark.parametrize("lang", ["fi", "sv"])
async def test_the_index_sorts_by_the_page_s_language(page: Page, intake_server, lang: str) -> None:
    await page.goto(f"{intake_server.url}/?lang={lang}")
    for region in await page.locator("ul.municipalities").all():
        names = await region.locator("li > a:first-child").all_inner_texts()
        assert names == sorted(names, key=sort_key(lang))
    if lang == "sv":
        varha = page.locator("h2", has_text="Egentliga Finland").locator("xpath=following-sibling::ul[1]")
        names = await varha.locator("li > a:first-child").all_inner_texts()
        assert "Pargas" in names and names[-1] == "Åbo" and names.index("Pargas") < names.index("Salo")
    # The demo links' accessible names start with the word they show (label-content-name-mismatch).
    raisio = "Reso" if lang == "sv" else "Raisio"
    await expect(page.locator("a[href^='/demo/raisio']")).to_have_accessible_name(re.compile(rf"^demo\W+{raisio}\b"))
    await assert_accessible(page, f"the front page in {lang}")


@pytest.mark.parametrize(("lang", "title"), [("fi", "Sivua ei löydy"), ("sv", "Sidan hittas inte"),
                                             ("en", "Page not found")])
async def test_unknown_addresses_are_pages_in_the_page_s_language(page: Page, intake_server, lang: str,
                                                                  title: str) -> None:
    for path in ("/no-such-page", "/m/atlantis", f"/m/{quote('åland')}"):
        answer = await page.goto(f"{intake_server.url}{path}?lang={lang}")
        assert answer is not None and answer.status == 404
        assert (answer.headers.get("content-type") or "").startswith("text/html")
        await expect(page.locator("html")).to_have_attribute("lang", lang)
        await expect(page.locator("h1")).to_have_text(title)
        assert title in await page.title()
        await assert_accessible(page, f"{path} in {lang}")
    async with httpx.AsyncClient(base_url=intake_server.url) as api:  # the API keeps its JSON
        for path in ("/api/v1/nothing", "/no-such-page"):
            answer = await api.get(path, headers={"accept": "application/json"})
            assert answer.status_code == 404 and answer.headers["content-type"] == "application/json", path


@pytest.fixture
async def every_service(postgres, kafka, prefix) -> AsyncIterator[dict[str, str]]:
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    ports = {name: free_port() for name in ("intake", "routing", "notify", "reporting")}
    async with LiveServer(APPS["intake"](settings_for("intake", **env)), ports["intake"]) as intake, \
            LiveServer(APPS["routing"](settings_for("routing", **env)), ports["routing"]) as routing, \
            LiveServer(APPS["notify"](settings_for("notify", **env)), ports["notify"]) as notify, \
            LiveServer(APPS["reporting"](settings_for("reporting", **env)), ports["reporting"]) as reporting:
        yield {"intake": intake.url, "routing": routing.url, "notify": notify.url, "reporting": reporting.url}


async def test_docs_work_under_each_service_s_own_policy(browser: Browser, every_service: dict[str, str]) -> None:
    for service, url in every_service.items():
        for width in WIDTHS:
            await docs_under_the_policy(browser, service, url, width)
        context = await browser.new_context(bypass_csp=True)
        page = await context.new_page()
        await page.goto(f"{url}/docs")
        await expect(page.locator(".opblock").first).to_be_visible(timeout=15000)
        await assert_accessible(page, f"{service}'s /docs")
        await context.close()


async def docs_under_the_policy(browser: Browser, service: str, url: str, width: int) -> None:
    """Swagger UI draws the service's operations with nothing blocked and nothing loaded from elsewhere."""
    context = await browser.new_context(viewport={"width": width, "height": 900})  # the page's own policy
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"{msg.text} {msg.location.get('url', '')}")
            if msg.type == "error" else None)
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    answer = await page.goto(f"{url}/docs")
    assert answer is not None and "script-src 'self'" in (answer.headers.get("content-security-policy") or "")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("Pyydä apua!", timeout=15000)
    await expect(page.locator(".opblock").first).to_be_visible()
    assert problems == [], (service, problems)
    loaded = await page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(name.startswith((url, "data:")) for name in loaded), (service, loaded)
    await fits(page, width)
    await context.close()


NOT_FOUND = {"fi": "Sivua ei löydy", "sv": "Sidan hittas inte", "en": "Page not found"}


async def test_every_service_s_unknown_addresses_are_pages(page: Page, every_service: dict[str, str]) -> None:
    for service, url in every_service.items():
        # Notify's pages are English, for the people who run it; the others' follow ?lang=.
        for lang in ("en",) if service == "notify" else ("fi", "sv"):
            answer = await page.goto(f"{url}/no/such/page?lang={lang}")
            assert answer is not None and answer.status == 404, service
            assert (answer.headers.get("content-type") or "").startswith("text/html"), service
            await expect(page.locator("html")).to_have_attribute("lang", lang)
            await expect(page.locator("h1")).to_have_text(NOT_FOUND[lang])
            assert NOT_FOUND[lang] in await page.title(), service
            await assert_accessible(page, f"{service}'s unknown address in {lang}")
        async with httpx.AsyncClient(base_url=url) as api:
            answer = await api.get("/api/v1/no-such-thing", headers={"accept": "text/html"})
            assert answer.status_code == 404 and answer.headers["content-type"] == "application/json", service
