"""Without a database: /docs and its files on every service, and error pages for browsers but JSON for the API."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support import APPS, settings_for

HTML = {"accept": "text/html,application/xhtml+xml"}
NOT_FOUND = {"fi": "Sivua ei löydy", "sv": "Sidan hittas inte", "en": "Page not found"}


def client(service: str) -> httpx.AsyncClient:
    app = APPS[service](settings_for(service, prefix="p", dsn="postgresql://x@127.0.0.1:1/x", bootstrap="x:1"))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.mark.parametrize("service", ["intake", "routing", "notify", "reporting"])
async def test_docs_are_served_by_the_service_under_its_policy(service: str) -> None:
    async with client(service) as http:
        page = await http.get("/docs")
        assert page.status_code == 200 and '<html lang="en">' in page.text
        assert "<script>" not in page.text and "style=" not in page.text and "//cdn" not in page.text
        assert "'unsafe-inline'" not in page.headers["content-security-policy"]
        for asset in re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', page.text):
            answer = await http.get(asset)
            assert answer.status_code == 200 and answer.content, asset
        assert len(re.findall(r'src="/docs/assets/', page.text)) == 2  # the bundle and the script that starts it
        for gone in ("/redoc", "/docs/oauth2-redirect"):
            assert (await http.get(gone)).status_code == 404, gone


@pytest.mark.parametrize(("service", "lang"), [("intake", "fi"), ("intake", "sv"), ("intake", "en"),
                                               ("routing", "fi"), ("routing", "sv"), ("reporting", "fi"),
                                               ("reporting", "sv"), ("notify", "en")])
async def test_a_browser_s_unknown_address_is_a_page_in_its_language(service: str, lang: str) -> None:
    async with client(service) as http:
        page = await http.get(f"/no/such/page?lang={lang}", headers=HTML)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert f'<html lang="{lang}">' in page.text
        assert re.search(rf"<title>{NOT_FOUND[lang]}", page.text) and f"<h1>{NOT_FOUND[lang]}</h1>" in page.text
        wrong_method = await http.delete(f"/docs?lang={lang}", headers=HTML)
        assert wrong_method.status_code == 405 and "GET" in wrong_method.headers["allow"]
        assert wrong_method.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("service", ["intake", "routing", "notify", "reporting"])
async def test_the_api_keeps_its_json_errors(service: str) -> None:
    async with client(service) as http:
        for path, headers in (("/api/v1/no-such-thing", HTML), ("/no/such/page", {"accept": "application/json"}),
                              ("/no/such/page", {})):
            answer = await http.get(path, headers=headers)
            assert answer.status_code == 404 and answer.headers["content-type"] == "application/json", path
            assert answer.json()["detail"] == "Not Found"


async def test_a_page_while_the_database_is_away_says_to_try_again() -> None:
    async with client("intake") as http:  # the settings name a database nobody answers at
        page = await http.get("/status?lang=sv", headers=HTML)
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
        assert '<html lang="sv">' in page.text and "<h1>Något gick fel</h1>" in page.text
        assert int(page.headers["retry-after"]) > 0
        api = await http.post("/api/v1/status", json={"reference": "K7M4-2Q9X", "pickup_code": "22222-22222"},
                              headers=HTML)
        assert api.status_code == 503 and api.json()["error"] == "service_unavailable"
