"""The page-weight measure: it counts a page and every stylesheet and script the page links, once each."""

from __future__ import annotations

import gzip

import httpx

from bench.page_weight import linked_assets, table, weigh

PAGE = """<!doctype html><html><head>
<link rel="icon" href="/static/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/family.css">
<link rel="stylesheet" href="/static/intake.css">
</head><body><script src="/static/form.js" defer></script><script src="/static/form.js" defer></script></body></html>"""
FILES = {"/m/raisio": PAGE.encode(), "/static/family.css": b"body{}" * 100, "/static/intake.css": b".a{}" * 10,
         "/static/form.js": b"x=1;" * 50, "/static/icon.svg": b"<svg/>" * 1000}


def test_the_linked_stylesheets_and_scripts_each_once_in_order() -> None:
    assert linked_assets(PAGE) == ["/static/family.css", "/static/intake.css", "/static/form.js"]


def test_a_first_visit_weighs_the_page_and_its_files() -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return httpx.Response(200, content=FILES[request.url.path])

    with httpx.Client(transport=httpx.MockTransport(answer), base_url="http://intake") as client:
        w = weigh(client, "/m/raisio")
    assert asked == ["/m/raisio", "/static/family.css", "/static/intake.css", "/static/form.js"]
    assert w.page == len(PAGE.encode())
    assert w.assets == {"/static/family.css": 600, "/static/intake.css": 40, "/static/form.js": 200}
    assert w.first_visit == len(PAGE.encode()) + 840
    assert w.page_gzip == len(gzip.compress(PAGE.encode(), compresslevel=6, mtime=0))
    assert w.first_visit_gzip > w.page_gzip
    assert "| `/m/raisio` |" in table([w]) and "family.css 600" in table([w])
