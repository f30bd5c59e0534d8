"""The region's dashboards in a real browser: sign in at routing, follow the link to the statistics,
every chart drawn beside its table, the filters work, and axe-core finds nothing on any page."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS, assert_accessible
from tests.browser.dashboards import PASSWORD, routing_and_reporting
from tests.integration.test_reporting import publish, the_year
from tests.support import eventually

pytestmark = pytest.mark.browser


async def test_manager_reads_every_dashboard(browser: Browser, postgres, kafka, prefix) -> None:
    async with routing_and_reporting(postgres, kafka, prefix) as (routing, reporting):
        await publish(kafka, prefix, the_year())

        async def known() -> bool:
            row = await reporting.app.state.runtime.pool.fetchval(
                "SELECT count(*) FROM case_facts WHERE region = 'varsinais-suomi'")
            staff = await reporting.app.state.runtime.pool.fetchval("SELECT count(*) FROM staff_accounts")
            return row == 15 and staff == 1

        await eventually(known, what="reporting to know the year and the manager")

        context = await browser.new_context(bypass_csp=True, locale="fi-FI", viewport={"width": 1280, "height": 900})
        page: Page = await context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        # Straight to a dashboard: reporting sends the browser to routing's sign-in and back.
        await page.goto(f"{reporting.url}/overview?period=2026&lang=fi")
        await expect(page.locator("#username")).to_be_visible()
        await page.fill("#username", "esihenkilo")
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="Kirjaudu sisään").click()
        await expect(page.get_by_role("heading", level=1, name="Yleiskuva")).to_be_visible()
        assert page.url.startswith(reporting.url)

        for canvas in ("per_month", "by_municipality", "by_time", "by_hour", "by_weekday"):
            await expect(page.locator(f"#chart-{canvas}")).to_have_attribute("data-drawn", "true")
        # No week has 5 requests: instead of an empty grid, a sentence says why there is no chart.
        await expect(page.locator("#per_week canvas")).to_have_count(0)
        await expect(page.locator("#per_week p.chart-none")).to_contain_text("alle viiden")
        municipalities = page.get_by_role("region", name="Yhteydenotot kunnittain").get_by_role("table")
        await expect(municipalities.get_by_role("row", name="Aura")).to_contain_text("x")
        await expect(municipalities.get_by_role("row", name="Turku")).not_to_contain_text("x")
        await expect(page.locator(".privacy")).to_contain_text("x = luku on piilotettu")
        await assert_accessible(page, "the overview dashboard")
        # The filter form at 320 px: its period and municipality lists fit the screen.
        await page.set_viewport_size({"width": 320, "height": 800})
        for field in ("#f-region", "#f-period", "#f-area"):
            box = await page.locator(field).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, (field, box)
        await assert_accessible(page, "the overview dashboard at 320 px")
        await page.set_viewport_size({"width": 1366, "height": 900})

        # Filters: Turku alone, from the keyboard; the period is a year or a month of one, chosen from a list.
        await expect(page.get_by_label("Ajanjakso", exact=True)).to_have_value("2026")
        assert "maaliskuu 2026" in await page.get_by_label("Ajanjakso", exact=True).inner_text()
        await page.get_by_label("Kunta", exact=True).select_option("turku")
        await page.get_by_role("button", name="Näytä").focus()
        await page.keyboard.press("Enter")
        await expect(page.get_by_label("Kunta", exact=True)).to_have_value("turku")
        await expect(page.locator(".scope")).to_contain_text("Turku")
        await expect(page.get_by_role("region", name="Yhteydenotot kunnittain").get_by_role("row")).to_have_count(3)

        for name, heading in (("Aiheet", "Aiheet ajan mittaan"), ("Vastausajat", "Vastausajat ja määräajat"),
                              ("Lopputulokset", "Lopputulokset ja ohjaukset"), ("Pilottiraportti", "Pilottiraportti")):
            await page.get_by_role("navigation", name="Tilastosivut").get_by_role("link", name=name).click()
            await expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
            await expect(page.locator(".scope")).to_contain_text("Turku")  # the filters go along
            for canvas in await page.locator("canvas[data-chart]").all():
                await expect(canvas).to_have_attribute("data-drawn", "true")
            await assert_accessible(page, f"the {name} page")
        await expect(page.locator(".report")).to_contain_text("Perheet ottivat yhteyttä")

        async with page.expect_download() as download:
            await page.get_by_role("link", name="Excel (XLSX): Lopputulokset").click()
        assert (await download.value).suggested_filename.endswith(".xlsx")

        # Swedish, and then out.
        await page.get_by_role("link", name="På svenska").click()
        await expect(page.get_by_role("heading", level=1, name="Pilotrapport")).to_be_visible()
        await assert_accessible(page, "the pilot report in Swedish")
        await page.get_by_role("button", name="Logga ut").click()
        await asyncio.sleep(0.2)
        assert page.url.startswith(routing.url)
        assert errors == [], errors
        await context.close()


async def test_overview_of_a_demo_year(browser: Browser, postgres, kafka, prefix) -> None:
    """A demo year of Varsinais-Suomi (the model `make run` drives through the APIs), as events:
    the overview draws it, passes axe-core, and is the screenshot in the README."""
    import random

    from deploy.demo.events import year_of_events
    from deploy.demo.model import plan_year
    from shared.regions import load_regions
    from shared.settings import ROOT

    region = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
    end = date(2026, 11, 23)
    plans = plan_year(region, end=end, rng=random.Random(2026),
                      professionals={"family-guidance": ["ohjaaja"], "family-work": ["perhetyo"]})
    events = list(year_of_events(plans, region, team_of={"ohjaaja": "family-guidance", "perhetyo": "family-work"}))
    async with routing_and_reporting(postgres, kafka, prefix) as (routing, reporting):
        await publish(kafka, prefix, events)
        pool = reporting.app.state.runtime.pool

        async def applied() -> bool:
            cases = await pool.fetchval("SELECT count(*) FROM case_facts")
            closed = await pool.fetchval("SELECT count(*) FROM case_facts WHERE feedback IS NOT NULL")
            return cases == len(plans) and closed == sum(p.feedback is not None for p in plans)

        await eventually(applied, timeout=120, what="reporting to apply the demo year")

        context = await browser.new_context(bypass_csp=True, locale="fi-FI", viewport={"width": 1280, "height": 1500})
        page: Page = await context.new_page()
        await page.goto(f"{reporting.url}/overview?lang=fi&period=2026")
        await page.fill("#username", "esihenkilo")
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="Kirjaudu sisään").click()
        await expect(page.get_by_role("heading", level=1, name="Yleiskuva")).to_be_visible()
        for canvas in await page.locator("canvas[data-chart]").all():
            await expect(canvas).to_have_attribute("data-drawn", "true")
        cards = page.locator("#key_figures .card .big")
        total = int((await cards.first.text_content() or "0").replace("\xa0", "").strip())
        assert abs(total - sum(p.received_at.year == 2026 for p in plans)) <= 2  # the year's cases, within ±2
        await assert_accessible(page, "the overview with a demo year")
        await page.wait_for_timeout(400)  # the charts' short entry animation
        await page.screenshot(path=str(SCREENSHOTS / "reporting-overview.png"))
        await context.close()
