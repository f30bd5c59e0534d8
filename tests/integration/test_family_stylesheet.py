"""The family's stylesheet: one file, served by intake and by the network from their own origin, cacheable, before
each service's own small sheet; the pages load nothing else to look as they do."""

from __future__ import annotations

from typing import Any

import pytest

from bench.page_weight import linked_assets
from tests.support import APPS, running, settings_for

pytestmark = pytest.mark.integration


async def test_intake_and_the_network_serve_one_family_stylesheet_then_their_own(postgres: Any, kafka: Any,
                                                                                   prefix: str) -> None:
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    served: dict[str, dict[str, Any]] = {}
    async with running(APPS["intake"](settings_for("intake", **env))) as intake, \
            running(APPS["network"](settings_for("network", **env))) as network, \
            running(APPS["routing"](settings_for("routing", **env))) as routing:
        for name, client, page in (("intake", intake, "/m/raisio?lang=sv"), ("network", network, "/?lang=sv")):
            html = await client.get(page)
            assert html.status_code == 200, (name, html.status_code)
            sheets = [path for path in linked_assets(html.text) if path.endswith(".css")]
            assert sheets == ["/static/family.css", f"/static/{name}.css"], (name, sheets)
            served[name] = {path: await client.get(path) for path in sheets}
        # A staff service has its own look: the family's sheet is not one of its files.
        assert (await routing.get("/static/family.css")).status_code == 404
    for name, answers in served.items():
        for path, answer in answers.items():
            assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/css"), (name, path)
            # Same origin under the pages' policy, and kept by the browser (no no-store on static files).
            assert "no-store" not in answer.headers.get("cache-control", ""), (name, path)
            assert "style-src 'self'" in answer.headers["content-security-policy"]
    assert served["intake"]["/static/family.css"].content == served["network"]["/static/family.css"].content
    family = served["intake"]["/static/family.css"].text
    # The page's frame, form fields and errors are the family's; the receipt is intake's, the tables the network's.
    assert "header.site" in family and ".error-summary" in family and ".field-error" in family
    assert ".receipt" in served["intake"]["/static/intake.css"].text and ".receipt" not in family
    assert ".table-scroll" in served["network"]["/static/network.css"].text and ".table-scroll" not in family
