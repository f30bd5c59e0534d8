"""Linking a duplicate in a real browser: a coordinator, with the keyboard alone, in Finnish and in Swedish, opens
the family's second request from the queue and links it to the first by the reference as typed back (lower case,
a space for the dash); axe-core on both case pages, a refused link and the family's status page of the duplicate,
in fi, sv and en at 320 px and 1,366 px, with no sideways scrolling."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS, assert_accessible
from tests.browser.test_callbacks import no_sideways_scrolling
from tests.browser.test_family import tab_to
from tests.browser.test_followups import coordinator_api
from tests.browser.test_staff import PASSWORD, routing_server  # noqa: F401 - the fixture, with its accounts
from tests.browser.test_templates import sign_in_by_keyboard
from tests.support import eventually, request_body

pytestmark = pytest.mark.browser
WORDS = {  # what each language's pages say, as the catalogs do
    "fi": {"done": "Tallennettu.", "title": "Yhdistetyt asiat",
           "kept": "asia, joka jatkuu (tämä on sen kaksoiskappale)", "family": "asianne jatkuu siinä", "open": "Avaa"},
    "sv": {"done": "Sparat.", "title": "Kopplade ärenden", "kept": "ärendet som fortsätter (detta är dess dubblett)",
           "family": "ert ärende fortsätter där", "open": "Öppna"},
    "en": {"done": "Saved.", "title": "Linked cases", "kept": "the case that goes on (this one is its duplicate)",
           "family": "your matter continues there", "open": "Open"},
}


async def two_requests(intake_url: str, routing: httpx.AsyncClient, municipality: str,
                       lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """A family's request and, a little later, their second one about the same matter, both in routing."""
    async with httpx.AsyncClient(base_url=intake_url) as intake:
        receipts = []
        for _ in range(2):
            sent = await intake.post("/api/v1/requests", json=request_body(municipality, language=lang))
            assert sent.status_code == 201, sent.text
            receipts.append(sent.json())
    for receipt in receipts:
        async def seen(case_id: str = receipt["case_id"]) -> bool:
            return (await routing.get(f"/api/v1/cases/{case_id}")).status_code == 200

        await eventually(seen, what="the request in routing")
    return receipts[0], receipts[1]


async def link_by_keyboard(page: Page, kept: dict[str, str], duplicate: dict[str, str], lang: str) -> None:
    """From the queue to the duplicate's page, then its reference typed into the link form and sent."""
    await tab_to(page, f"a:text('{duplicate['reference']}')", limit=60)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_contain_text(duplicate["reference"])
    await tab_to(page, "#link-reference", limit=60)
    await page.keyboard.type(kept["reference"].lower().replace("-", " "))
    await page.keyboard.press("Tab")  # to the chosen kind: "a duplicate of the other"
    await expect(page.locator("#link-kind-duplicate")).to_be_focused()
    await expect(page.locator("#link-kind-duplicate")).to_be_checked()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.locator("#notice")).to_have_text(WORDS[lang]["done"])
    section = page.locator("section.links")
    await expect(section.locator("h2")).to_have_text(WORDS[lang]["title"])
    await expect(section.locator(".linked li")).to_have_count(1)
    await expect(section.locator(".linked li")).to_contain_text(WORDS[lang]["kept"])
    await expect(section.get_by_role("link", name=kept["reference"])).to_be_visible()
    await expect(page.locator(".ev-case-linked")).to_have_count(1)
    await expect(page.locator(".ev-case-closed")).to_have_count(1)
    await expect(page.locator("#link-reference")).to_have_count(0)  # closed: nothing more to link


async def test_a_coordinator_links_a_duplicate_by_keyboard_in_finnish_and_swedish(
        browser: Browser, intake_server, routing_server) -> None:  # noqa: F811
    async with coordinator_api(routing_server.url) as routing:
        fi_kept, fi_duplicate = await two_requests(intake_server.url, routing, "raisio", "fi")
        sv_kept, sv_duplicate = await two_requests(intake_server.url, routing, "kemionsaari", "sv")

    for lang, kept, duplicate in (("fi", fi_kept, fi_duplicate), ("sv", sv_kept, sv_duplicate)):
        context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900},
                                            locale="sv-SE" if lang == "sv" else "fi-FI")
        page = await context.new_page()
        await sign_in_by_keyboard(page, routing_server.url, lang)
        await link_by_keyboard(page, kept, duplicate, lang)
        # Back to the case kept, by the link in the list: the duplicate is listed there, closed.
        await tab_to(page, f"section.links a:text('{kept['reference']}')", limit=60)
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_contain_text(kept["reference"])
        await expect(page.locator("section.links .linked li")).to_contain_text(duplicate["reference"])
        if lang == "fi":  # the README's picture: the duplicate listed, and the form to link another
            await page.locator("section.links").screenshot(path=str(SCREENSHOTS / "staff-links.png"))
        # A reference of no case: refused on the page, in the page's language, the typing kept.
        await tab_to(page, "#link-reference", limit=60)
        await page.keyboard.type("ZZZZ 9999")
        await page.keyboard.press("Enter")
        await expect(page.locator("#notice")).to_be_visible()
        await expect(page.locator("#link-reference")).to_have_value("ZZZZ 9999")
        await context.close()

    # axe-core and the width: both case pages and a refusal, in each language, at both widths.
    refusal = {"fi": "tällä tunnuksella ei löydy asiaa", "sv": "det finns inget ärende med den referensen",
               "en": "there is no case with this reference"}
    for width, height in ((320, 640), (1366, 900)):
        context = await browser.new_context(bypass_csp=True, viewport={"width": width, "height": height})
        page = await context.new_page()
        await page.goto(f"{routing_server.url}/login?lang=fi")
        await page.fill("#username", "koordinaattori")
        await page.fill("#password", PASSWORD)
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_have_text("Avoimet yhteydenotot")
        for lang in ("fi", "sv", "en"):
            await page.goto(f"{routing_server.url}/cases/{fi_duplicate['case_id']}?lang={lang}")
            await expect(page.locator("section.links .linked li")).to_contain_text(WORDS[lang]["kept"])
            await assert_accessible(page, f"the duplicate's case page ({lang}, {width} px)")
            await no_sideways_scrolling(page, width, f"the duplicate's case page ({lang})")
            await page.goto(f"{routing_server.url}/cases/{fi_kept['case_id']}?lang={lang}")
            await expect(page.locator("#link-reference")).to_be_visible()
            await assert_accessible(page, f"the kept case's page ({lang}, {width} px)")
            await no_sideways_scrolling(page, width, f"the kept case's page ({lang})")
            await page.fill("#link-reference", "ZZZZ-9999")
            await page.locator("form.link-form button[type=submit]").click()
            await expect(page.locator("#notice")).to_contain_text(refusal[lang])
            await assert_accessible(page, f"a refused link ({lang}, {width} px)")
            await no_sideways_scrolling(page, width, f"a refused link ({lang})")
        await context.close()

        # The family of the duplicate reads where their matter goes on, in each language.
        context = await browser.new_context(bypass_csp=True, viewport={"width": width, "height": height})
        page = await context.new_page()
        for lang in ("fi", "sv", "en"):
            await page.goto(f"{intake_server.url}/status?lang={lang}")
            if await page.locator("#reference").count():
                await page.fill("#reference", fi_duplicate["reference"])
                await page.fill("#pickup_code", fi_duplicate["pickup_code"])
                await page.get_by_role("button", name=WORDS[lang]["open"]).click()

            async def told(lang: str = lang, page: Page = page) -> bool:
                await page.goto(f"{intake_server.url}/status?lang={lang}")
                return WORDS[lang]["family"] in await page.content()

            await eventually(told, what="the family's page to say the matter continues")
            assert fi_kept["reference"] not in await page.content()
            await assert_accessible(page, f"the duplicate's status page ({lang}, {width} px)")
            await no_sideways_scrolling(page, width, f"the duplicate's status page ({lang})")
        await context.close()
