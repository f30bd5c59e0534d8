"""The dashboards in a real browser, in Finnish and Swedish: every page fits 1,366 px and 320 px without
sideways scrolling (only a table may scroll, inside its own labelled region); charts name their axes and
units, the per-municipality chart says what it plots and offers counts and the rate per 1,000 children, and a
chart whose every value is hidden gives way to a sentence saying why; a reversed period answers a page in the
page's language; the printed pilot report has no print button or Excel link."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import assert_accessible
from tests.browser.dashboards import PASSWORD, routing_and_reporting
from tests.integration.test_reporting import publish, the_year
from tests.support import eventually

pytestmark = pytest.mark.browser
PAGES = ("overview", "topics", "response", "outcomes", "report")
PERIOD = "period=2026"
# What sticks out past the viewport's right edge, for the failure's message.
WIDER_THAN = ("w => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1)"
              ".map(e => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`)"
              ".slice(0, 10)")


@dataclass
class Dashboards:
    url: str
    page: Page


@asynccontextmanager
async def signed_in_manager(browser: Browser, postgres, kafka, prefix: str) -> AsyncIterator[Dashboards]:
    """Routing and reporting with the small year of test_reporting, and a manager signed in to the statistics."""
    async with routing_and_reporting(postgres, kafka, prefix) as (routing, reporting):
        await publish(kafka, prefix, the_year())
        pool = reporting.app.state.runtime.pool

        async def known() -> bool:
            cases = await pool.fetchval("SELECT count(*) FROM case_facts WHERE region = 'varsinais-suomi'")
            return cases == 15 and await pool.fetchval("SELECT count(*) FROM staff_accounts") == 1

        await eventually(known, what="reporting to know the year and the manager")
        context = await browser.new_context(bypass_csp=True, locale="fi-FI", viewport={"width": 1366, "height": 900})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(f"{reporting.url}/overview?{PERIOD}&lang=fi")
        await page.fill("#username", "esihenkilo")
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="Kirjaudu sisään").click()
        await expect(page.get_by_role("heading", level=1, name="Yleiskuva")).to_be_visible()
        yield Dashboards(reporting.url, page)
        assert errors == [], errors
        await context.close()


async def drawn(page: Page) -> None:
    for canvas in await page.locator("canvas[data-chart]").all():
        await expect(canvas).to_have_attribute("data-drawn", "true")


async def test_every_dashboard_fits_1366_and_320(browser: Browser, postgres, kafka, prefix) -> None:
    async with signed_in_manager(browser, postgres, kafka, prefix) as d:
        page = d.page
        for lang in ("fi", "sv"):
            for name in PAGES:
                for width in (1366, 320):
                    await page.set_viewport_size({"width": width, "height": 900})
                    await page.goto(f"{d.url}/{name}?{PERIOD}&lang={lang}")
                    await drawn(page)
                    wide = await page.evaluate("document.documentElement.scrollWidth")
                    offenders = await page.evaluate(WIDER_THAN, width)
                    assert wide <= width, f"/{name} ({lang}) is {wide} px wide at {width} px: {offenders}"
                    if width == 1366:
                        # Wide enough to show every table whole: none needs its own scroll bar.
                        clipped = await page.evaluate(
                            "[...document.querySelectorAll('.table-box')]"
                            ".filter(b => b.scrollWidth > b.clientWidth + 1).map(b => b.closest('section').id)")
                        assert clipped == [], f"/{name} ({lang}) at 1366 px hides columns of {clipped}"
                    # A table that may scroll does so in a region a keyboard reaches and a screen reader names.
                    for box in await page.locator(".table-box").all():
                        await expect(box).to_have_attribute("tabindex", "0")
                        await expect(box).to_have_attribute("role", "region")
                        await expect(box).to_have_attribute("aria-labelledby", "h-" + (await box.evaluate(
                            "b => b.closest('section').id")))
                    await assert_accessible(page, f"/{name} ({lang}) at {width} px")


async def test_charts_say_what_they_plot_errors_are_pages_and_print_hides_controls(browser: Browser, postgres,
                                                                                     kafka, prefix) -> None:
    async with signed_in_manager(browser, postgres, kafka, prefix) as d:
        page = d.page
        await drawn(page)
        # Every chart names both axes; the value axis carries its unit.
        titles = await page.evaluate(
            "[...document.querySelectorAll('canvas[data-chart]')].map(c => { const o = Chart.getChart(c).options;"
            " return [c.id, o.scales.x.title.display && o.scales.x.title.text,"
            " o.scales.y.title.display && o.scales.y.title.text]; })")
        assert titles and all(x and y for _, x, y in titles), titles
        by_id = {canvas: (x, y) for canvas, x, y in titles}
        assert by_id["chart-per_month"] == ("Kuukausi", "Lukumäärä (kpl)")
        # Per municipality: counts first, the rate per 1,000 children offered, the caption says which is drawn.
        section = page.get_by_role("region", name="Yhteydenotot kunnittain")
        canvas = page.locator("#chart-by_municipality")
        await expect(section.locator("figcaption")).to_have_text("Kaaviossa: Yhteydenottoja – Lukumäärä (kpl)")
        assert by_id["chart-by_municipality"] == ("Lukumäärä (kpl)", "Kunta")
        await section.get_by_role("radio", name="1 000 lasta kohden").check()
        await expect(canvas).to_have_attribute("data-series", "1")
        await expect(section.locator("figcaption")).to_contain_text("Yhteydenottoja 1 000:ta 0–17-vuotiasta kohden")
        shown = await canvas.evaluate("c => [Chart.getChart(c).data.datasets[0].label,"
                                      " Chart.getChart(c).options.scales.x.title.text]")
        assert shown == ["1 000 lasta kohden", "Yhteydenottoja 1 000:ta 0–17-vuotiasta kohden"]
        await section.get_by_role("radio", name="Yhteydenottoja").check()
        await expect(canvas).to_have_attribute("data-series", "0")
        await assert_accessible(page, "the overview with the chart's choice")

        # Aura alone: every count is under 5, so no chart is an empty grid; a sentence says why.
        for lang, why in (("fi", "kaikki sen luvut ovat alle viiden"), ("sv", "alla dess tal är under fem")):
            await page.goto(f"{d.url}/overview?{PERIOD}&municipality=aura&lang={lang}")
            months = page.locator("#per_month")
            await expect(months.locator("canvas")).to_have_count(0)
            await expect(months.locator("p.chart-none")).to_contain_text(why)
            await expect(months.get_by_role("table")).to_be_visible()  # the table stays, with its <5
            await assert_accessible(page, f"the overview of Aura ({lang})")

        # A question the statistics no longer answer (a range of days): a page in the page's language saying what
        # to ask instead, not raw JSON.
        for lang, heading, problem in (
                ("fi", "Sivua ei voi näyttää", "Valitse ajanjaksoksi vuosi tai kuukausi"),
                ("sv", "Sidan kan inte visas", "Välj ett år eller en månad som period")):
            answer = await page.goto(f"{d.url}/response?since=2026-12-31&until=2026-01-01&lang={lang}")
            assert answer is not None and answer.status == 422
            assert (answer.headers.get("content-type") or "").startswith("text/html")
            await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
            await expect(page.get_by_role("alert")).to_contain_text(problem)
            await expect(page.locator("html")).to_have_attribute("lang", lang)
            await assert_accessible(page, f"the refused question's page ({lang})")
        await page.get_by_role("link", name="Svarstider för i år").click()
        await expect(page.get_by_role("heading", level=1, name="Svarstider och tidsfrister")).to_be_visible()

        # The printed pilot report: the sentences and tables, no print button or Excel link.
        await page.goto(f"{d.url}/report?{PERIOD}&lang=fi")
        button = page.get_by_role("button", name="Tulosta")
        excel = page.get_by_role("link", name="Kaikki tämän sivun taulukot Excel-tiedostona")
        await expect(button).to_be_visible()
        await expect(excel).to_be_visible()
        await page.emulate_media(media="print")
        await expect(button).to_be_hidden()
        await expect(excel).to_be_hidden()
        await expect(page.locator(".report")).to_contain_text("Perheet ottivat yhteyttä")
        await expect(page.locator(".downloads").first).to_be_hidden()
        await page.emulate_media(media="screen")
        await expect(button).to_be_visible()
