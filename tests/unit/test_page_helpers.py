"""What every service's pages share: the links to the same page in the other languages, framing by a municipality."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from starlette.responses import HTMLResponse

from shared.http import FRAME_ANCESTORS_HEADER, framed_by_municipality
from shared.i18n import language_links


def test_the_language_links_keep_the_query_but_the_language_and_what_is_dropped() -> None:
    links = language_links("/tables", [("lang", "sv"), ("m", "raisio"), ("topic", "a"), ("topic", "b"),
                                       ("token", "secret")], drop=("token",))
    assert [code for code, _, _ in links] == ["fi", "sv", "en"]
    assert [name for _, name, _ in links] == ["Suomeksi", "På svenska", "In English"]
    assert links[1][2] == "/tables?m=raisio&topic=a&topic=b&lang=sv"
    assert all("secret" not in href for _, _, href in links)


def test_an_empty_query_gives_only_the_language() -> None:
    assert language_links("/", [])[2] == ("en", "In English", "/?lang=en")


def test_a_municipalitys_own_site_may_frame_its_page_and_nobody_else_anothers() -> None:
    raisio: Any = SimpleNamespace(website_origin="https://www.raisio.fi")
    unknown: Any = SimpleNamespace(website_origin=None)
    assert framed_by_municipality(HTMLResponse("x"), raisio).headers[FRAME_ANCESTORS_HEADER] == "https://www.raisio.fi"
    assert FRAME_ANCESTORS_HEADER not in framed_by_municipality(HTMLResponse("x"), unknown).headers
    assert FRAME_ANCESTORS_HEADER not in framed_by_municipality(HTMLResponse("x"), None).headers
