"""Browser tests: intake served over real HTTP, driven by Playwright in Debian's chromium.

Never a downloaded browser: Playwright launches ``/usr/bin/chromium`` through ``executable_path``.
axe-core comes from npm (``node_modules/axe-core``) and checks every page against WCAG 2.1 AA.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright

from deploy.local.infra import free_port
from shared.settings import ROOT
from tests.support import APPS, LiveServer, settings_for

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists() or not AXE.exists():
        pytest.fail("Debian's chromium and node_modules/axe-core are needed: run deploy/local/install.sh")
    async with async_playwright() as pw:
        instance = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield instance
        await instance.close()


@pytest.fixture
async def intake_server(postgres, kafka, prefix) -> AsyncIterator[LiveServer]:
    settings = settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap)
    async with LiveServer(APPS["intake"](settings), free_port()) as server:
        yield server


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    # bypass_csp lets the test inject axe-core into pages whose policy allows no foreign script.
    context = await browser.new_context(bypass_csp=True, locale="fi-FI")
    page = await context.new_page()
    yield page
    await context.close()


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; the list of WCAG 2.1 A/AA violations, each with its nodes."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "targets": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]]


async def assert_accessible(page: Page, what: str) -> None:
    violations = await axe_violations(page)
    assert violations == [], f"axe-core found WCAG 2.1 AA violations on {what}:\n{json.dumps(violations, indent=1)}"
