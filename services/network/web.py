"""What the network's pages share: rendering in the page's language, framing by a municipality, error pages.

Everything a person typed is rendered escaped (Jinja2's autoescape for HTML templates).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import structlog
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from services.network.i18n import pick_lang, t
from shared.errors import Forbidden, NotFound
from shared.http import cross_site, domain_error_response, wants_html
from shared.i18n import language_links
from shared.regions import Municipality, Region

log = structlog.get_logger(__name__)
HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
FIELD_LABEL_KEYS = {"name": "name_label", "email": "email_label", "phone": "phone_label",
                    "organisation": "organisation_label", "sector": "sector_label", "themes": "themes_legend",
                    "languages": "languages_legend", "why": "why_label", "consent": "consent_label",
                    "municipality": "municipality_label", "language": "language_label",
                    "website": "honeypot_label"}
# Where the error summary's link leads for a group of choices: its first box.
FIELD_IDS = {"themes": "theme-early_support", "languages": "speaks-fi", "consent": "consent"}


def render(request: Request, template: str, lang: str, status: int = 200, *, region: Region | None = None,
           municipality: Municipality | None = None, **context: Any) -> HTMLResponse:
    """A page in ``lang``, with links to the same page in the other languages and the error summary's labels."""
    # The personal link's token stays out of the language links (and so out of the page).
    links = language_links(request.url.path, request.query_params.multi_items(), drop=("token",))
    errors: dict[str, str] = context.pop("errors", {})
    return TEMPLATES.TemplateResponse(request, template, status_code=status, context={
        "lang": lang, "t": lambda key, **values: t(key, lang, **values),
        "region_name": region.name.get(lang) if region else None,
        "header_place": municipality.name.get(lang) if municipality else region.name.get(lang) if region else None,
        "municipality": municipality, "lang_links": links, "errors": errors,
        "field_labels": {f: t(k, lang) for f, k in FIELD_LABEL_KEYS.items()}, "field_ids": FIELD_IDS,
        # A coordinator's page: the session's CSRF token for its forms (coordinators.coordinator sets it).
        "csrf": getattr(request.state, "csrf", None),
        **context,
    })


async def not_found_page(request: Request, exc: NotFound) -> Response:
    """HTML for browsers, JSON for the API."""
    if not wants_html(request):
        return domain_error_response(exc)
    lang = pick_lang(request.query_params.get("lang"), [])
    return render(request, "info.html", lang, 404, title=t("not_found_title", lang),
                  paragraphs=[t("page_not_found_body", lang)])


ERROR_TEXTS = {404: ("not_found_title", "page_not_found_body"), 405: ("error_title", "method_not_allowed_body")}


async def error_page(request: Request, status: int) -> Response:
    lang = pick_lang(request.query_params.get("lang"), [])
    title, body = ERROR_TEXTS.get(status, ("error_title", "error_body"))
    return render(request, "info.html", lang, status, title=t(title, lang), paragraphs=[t(body, lang)])


class CrossSiteRefused(Forbidden):
    """A write that a browser says came from another site's page."""

    code = "cross_site_refused"


async def _form_lang(request: Request, fallback: str | None = None) -> str:
    """The language of the page a refused form was sent from (its hidden ``lang``), else the address's, else
    ``fallback`` (a coordinator's own)."""
    given = request.query_params.get("lang")
    if request.method not in ("GET", "HEAD"):
        value = (await request.form()).get("lang")
        given = value if isinstance(value, str) and value else given
    return pick_lang(given, [fallback] if fallback else [])


async def refuse_cross_site(request: Request) -> None:
    """No write of the network may come from another site's page: not a coordinator's form, nor an agent's behind
    their personal link (the link in another site's form would still be theirs), nor an application in someone's
    name. Every form here is posted from the network's own pages; a script (no browser headers) is judged by the
    rest of its checks."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and cross_site(request):
        log.info("network.cross_site_write_refused")  # no path: an agent's link is in it
        raise CrossSiteRefused("a form of another site cannot write here", language=await _form_lang(request))


# Every router of the network takes this: a write from another site's page is refused before its route runs.
WRITES_GUARDED = [Depends(refuse_cross_site)]

REFUSED_TEXTS = {"form_refused": ("form_refused_title", "form_refused_body"),
                 "cross_site_refused": ("form_refused_title", "cross_site_body")}


async def refused_page(request: Request, exc: Forbidden) -> Response:
    """403 for a refused write: a page in the reader's language for a browser, the API's JSON otherwise."""
    if not wants_html(request):
        return domain_error_response(exc)
    lang = await _form_lang(request, str(exc.context.get("language") or "") or None)
    title, body = REFUSED_TEXTS.get(exc.code, ("form_refused_title", "form_refused_body"))
    return render(request, "info.html", lang, 403, title=t(title, lang), paragraphs=[t(body, lang)])

