"""The network's forms in a real browser, in Finnish, Swedish and English: a coordinator publishes news from the
page (the form carries the session's token); the same form with its token tampered with, and an agent's pause
posted from another site's page, end on a page in the reader's language that says nothing changed; axe-core finds
nothing on the pages at 320 and 1,366 px."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from playwright.async_api import Browser, Route, expect

from services.network.domain import new_token, token_digest
from shared.staffpass import issue_pass
from tests.browser.test_accounts import checked
from tests.browser.test_network import network_server  # noqa: F401
from tests.integration.test_network_recruitment import application
from tests.network_support import listed
from tests.support import LiveServer

pytestmark = pytest.mark.browser
REFUSED = {"fi": "Lomaketta ei otettu vastaan", "sv": "Formuläret togs inte emot", "en": "The form was not accepted"}
NEWS = {"fi": "Uutiset", "sv": "Nyheter", "en": "News"}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
async def test_a_coordinators_form_needs_its_token(browser: Browser, network_server: LiveServer,  # noqa: F811
                                                   lang: str) -> None:
    runtime = network_server.app.state.runtime
    await listed(network_server.app, "verkosto")
    token = issue_pass(runtime.settings.staff_pass_secret, account_id="verkosto", role="network_coordinator",
                       region="varsinais-suomi", language=lang, session_started=datetime.now(UTC))
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await page.goto(f"{network_server.url}/auth/pass?token={token}")
    await page.goto(f"{network_server.url}/news?lang={lang}")
    title = f"Uutinen {uuid.uuid4().hex[:6]}"
    await page.fill("#title_fi", title)
    await page.fill("#title_sv", title)  # the list shows the Swedish title on a Swedish page
    await page.fill("#body_fi", "Teksti.")
    await page.fill("#body_sv", "Text.")
    await page.locator("form[action='/news'] button[type=submit]").click()
    await expect(page.locator("main")).to_contain_text(title)
    # The page's own form again, its token changed as another site's copy of it would have it.
    await page.fill("#title_fi", "Väärennetty")
    await page.fill("#title_sv", "Väärennetty")
    await page.fill("#body_fi", "Teksti.")
    await page.fill("#body_sv", "Text.")
    await page.evaluate("document.querySelector(\"form[action='/news'] input[name=csrf]\").value = 'forged'")
    await page.locator("form[action='/news'] button[type=submit]").click()
    await expect(page.locator("h1")).to_have_text(REFUSED[lang])
    await checked(page, f"a coordinator's refused form ({lang})")
    await page.goto(f"{network_server.url}/news?lang={lang}")
    await expect(page.locator("main")).not_to_contain_text("Väärennetty")
    await context.close()


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
async def test_another_sites_form_cannot_pause_an_agent(browser: Browser, network_server: LiveServer,  # noqa: F811
                                                        lang: str) -> None:
    pool = network_server.app.state.runtime.pool
    async with httpx.AsyncClient(base_url=network_server.url) as client:
        applied = await client.post("/api/v1/applications", json=application())
        assert applied.status_code == 201, applied.text
    agent_id, link = uuid.UUID(applied.json()["agent_id"]), new_token()
    await pool.execute("UPDATE agents SET status = 'confirmed', link_digest = $2 WHERE agent_id = $1", agent_id,
                       token_digest(link))
    # Another site on the same machine (loopback, so no private-network rule stands in the way): another host.
    evil_site = network_server.url.replace("127.0.0.1", "localhost")
    html = (f'<!doctype html><html lang="en"><title>Win a prize</title><form method="post" '
            f'action="{network_server.url}/me/{link}/status"><input type="hidden" name="action" value="pause">'
            f'<input type="hidden" name="lang" value="{lang}"><button>Claim</button></form></html>')
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = await context.new_page()

    async def evil(route: Route) -> None:
        await route.fulfill(body=html, content_type="text/html")

    await page.route(f"{evil_site}/prize", evil)
    await page.goto(f"{evil_site}/prize")
    await page.locator("button").click()
    await expect(page.locator("h1")).to_have_text(REFUSED[lang])
    await checked(page, f"an agent's form sent from another site ({lang})")
    assert await pool.fetchval("SELECT status FROM agents WHERE agent_id = $1", agent_id) == "confirmed"
    # From the agent's own page, the same button pauses.
    await page.goto(f"{network_server.url}/me/{link}?lang={lang}")
    await page.locator("button[value=pause]").click()
    await page.wait_for_url("**done=paused**")
    assert await pool.fetchval("SELECT status FROM agents WHERE agent_id = $1", agent_id) == "paused"
    await context.close()
