"""The key figure "answered by the promised day" when the late count is small: its share reads as a bound
("yli 78 %", "över 78 %") under the true share, its note says why, the page says when its data was read, and
axe-core finds nothing at 320 and 1,366 px, in Finnish and in Swedish."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, Page, expect

from shared.businessdays import HELSINKI
from shared.events import EventBase, ReplySent, ReplySentPayload
from shared.places import sealed_place
from shared.sealing import new_data_key, seal
from tests.browser.conftest import assert_accessible
from tests.browser.dashboards import PASSWORD, routing_and_reporting
from tests.integration.test_reporting import follow, publish, submitted
from tests.support import eventually

pytestmark = pytest.mark.browser
IN_TIME, LATE, OVERDUE = 40, 3, 4


def a_year_with_few_late() -> list[EventBase]:
    """Turku's families on Mondays: most answered the same day, three after the promised day, four never."""
    first = datetime(2026, 2, 2, 10, 0, tzinfo=HELSINKI)
    events: list[EventBase] = []
    for i in range(IN_TIME + LATE + OVERDUE):
        request = submitted("turku", (first + timedelta(days=7 * (i % 36))).astimezone(UTC))
        events.append(request)
        if i >= IN_TIME + LATE:
            continue  # never answered: overdue
        replied = request.occurred_at + timedelta(days=3 if i >= IN_TIME else 0, hours=2)
        events.append(follow(request, ReplySent, ReplySentPayload(
            reply_id=uuid.uuid4(), text=seal(new_data_key(), request.case_id, "x", sealed_place("reply.sent"))),
            replied))
    return events


async def test_the_share_in_time_reads_as_a_bound_in_finnish_and_swedish(browser: Browser, postgres, kafka,
                                                                         prefix) -> None:
    async with routing_and_reporting(postgres, kafka, prefix) as (routing, reporting):
        await publish(kafka, prefix, a_year_with_few_late())

        async def known() -> bool:
            pool = reporting.app.state.runtime.pool
            cases = await pool.fetchval("SELECT count(*) FROM case_facts WHERE first_response_at IS NOT NULL")
            return cases == IN_TIME + LATE and await pool.fetchval("SELECT count(*) FROM staff_accounts") == 1

        await eventually(known, what="reporting to know the year and the manager")
        context = await browser.new_context(bypass_csp=True, locale="fi-FI", viewport={"width": 1366, "height": 900})
        page: Page = await context.new_page()
        await page.goto(f"{reporting.url}/overview?period=2026&lang=fi")
        await page.fill("#username", "esihenkilo")
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="Kirjaudu sisään").click()
        await expect(page.get_by_role("heading", level=1, name="Yleiskuva")).to_be_visible()

        truth = 100 * IN_TIME / (IN_TIME + LATE + OVERDUE)
        for lang, words, note in (("fi", "yli", "alarajana"), ("sv", "över", "nedre gräns")):
            await page.goto(f"{reporting.url}/overview?period=2026&lang={lang}")
            card = page.locator("#key_figures .card").nth(4)
            # Three late hide the count in time (beside the published answered it would tell them), and with it
            # its share; the published answered and late still say it is over some whole percent.
            await expect(card.locator(".big")).to_have_text(re.compile("x"))
            shown = (await card.locator(".pct").text_content() or "").replace("\xa0", " ")
            found = re.fullmatch(rf"\({words} (\d+) %\)", shown.strip())
            assert found is not None, shown
            assert 0 < int(found.group(1)) < truth
            await expect(page.locator("#key_figures .note")).to_contain_text(note)
            await expect(page.locator(".as-of")).to_be_visible()
            await assert_accessible(page, f"the overview's key figures in {lang} at 1,366 px")
            await page.set_viewport_size({"width": 320, "height": 800})
            box = await card.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, box
            await assert_accessible(page, f"the overview's key figures in {lang} at 320 px")
            await page.set_viewport_size({"width": 1366, "height": 900})
        await context.close()
