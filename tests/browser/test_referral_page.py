"""The receiving service's referral page in a real browser, in Finnish and Swedish: the link shows the service and
asks the reader's name, the note and the family's contact open only after it, the answer is given with the
keyboard alone, and axe-core finds nothing at 320 and 1,366 px on any of its pages; nothing scrolls sideways."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Browser, expect

from services.routing.accounts import add_account
from shared.referral_links import ReferralLink, sign_link
from tests.browser.test_accounts import PASSWORD, checked, routing_server  # noqa: F401 - the fixture
from tests.browser.test_family import tab_to
from tests.support import eventually, request_body

pytestmark = pytest.mark.browser
NOTE = "Perhe toivoo aikaa iltapäivisin."
TEXTS = {"fi": ("Lähete: Perheneuvola", "Avaa lähete", "Työntekijän viesti", "Vastaus tallennettu"),
         "sv": ("Remiss: Familjerådgivning", "Öppna remissen", "Medarbetarens meddelande", "Svaret sparades")}


async def a_referral(intake_url: str, routing_server) -> str:  # type: ignore[no-untyped-def]  # noqa: F811
    """A request referred to perheneuvola with the family's consent; the path of the service's link."""
    async with routing_server.app.state.runtime.pool.acquire() as conn:
        username = f"koordinaattori-{uuid.uuid4().hex[:6]}"
        await add_account(conn, username=username, display_name="Kaisa Koordinaattori", role="coordinator",
                          region="varsinais-suomi", team_id=None, password=PASSWORD)
    async with httpx.AsyncClient(base_url=intake_url) as intake, \
            httpx.AsyncClient(base_url=routing_server.url) as routing:
        body = request_body("raisio")
        body["contact"] = {"method": "email", "email": "perhe@example.fi", "name": "Virtanen"}
        case_id = (await intake.post("/api/v1/requests", json=body)).json()["case_id"]
        signed = await routing.post("/api/v1/session", json={"username": username, "password": PASSWORD})
        routing.headers["X-CSRF-Token"] = signed.json()["csrf_token"]

        async def visible() -> bool | None:
            return (await routing.get(f"/api/v1/cases/{case_id}")).status_code == 200 or None

        await eventually(visible, what="the case in routing")
        done = await routing.post(f"/api/v1/cases/{case_id}/commands", json={
            "command": "refer", "expected_version": 0,
            "arguments": {"service_id": "perheneuvola", "consent": "spoken", "note": NOTE}})
        assert done.status_code == 200, done.text

        async def referral_id() -> str | None:
            found = (await routing.get(f"/api/v1/cases/{case_id}")).json()["referrals"]
            return found[0]["referral_id"] if found else None

        referral = await eventually(referral_id, what="the referral on the case")
    # Signed as notify signs the link it mails (both services hold the region's KEKs).
    token = sign_link(routing_server.app.state.runtime.settings.keyring, ReferralLink(
        referral_id=uuid.UUID(referral), case_id=uuid.UUID(case_id), service_id="perheneuvola",
        expires_at=(datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)))
    return f"/referral/{token}"


@pytest.mark.parametrize("lang", ["fi", "sv"])
async def test_the_service_opens_and_accepts_a_referral_by_keyboard(
        browser: Browser, intake_server, routing_server, lang: str) -> None:  # noqa: F811
    path = await a_referral(intake_server.url, routing_server)
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await page.goto(f"{routing_server.url}{path}?lang={lang}")
    await expect(page.locator("h1")).to_have_text(TEXTS[lang][0])
    assert NOTE not in await page.content()  # nothing of the family before the reader gives their name
    await checked(page, f"the referral's first page ({lang})")

    await tab_to(page, "#reader-name", limit=30)
    await page.keyboard.type("Pirjo Perheneuvoja")
    await page.keyboard.press("Enter")
    await expect(page.locator("#note-title")).to_have_text(TEXTS[lang][2])
    await expect(page.locator("p.text")).to_have_text(NOTE)
    await expect(page.locator("dl.facts").last).to_contain_text("perhe@example.fi")
    await checked(page, f"the opened referral ({lang})")

    await tab_to(page, "form[action$='/answer'] button.primary", limit=40)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text(TEXTS[lang][3])
    await checked(page, f"the saved answer ({lang})")

    await page.goto(f"{routing_server.url}/referral/{path.rsplit('/', 1)[1][:-4]}AAAA?lang={lang}")
    await expect(page.locator("h1")).not_to_have_text(TEXTS[lang][0])
    await checked(page, f"a refused link ({lang})")
    await context.close()
