"""What the family's pages share: rendering in the page's language, framing by the municipality, the 404 page.

Everything the family typed is rendered escaped (Jinja2's autoescape for HTML templates).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from services.intake.i18n import LANG_NAMES, LANGS, pick_lang, t
from shared.app import get_runtime
from shared.errors import NotFound
from shared.http import allow_framing, domain_error_response
from shared.regions import Municipality, Region

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
FIELD_LABEL_KEYS = {"requester_role": "who_legend", "message": "message_label", "phone": "phone_label",
                    "email": "email_label", "contact_method": "answer_legend", "consent": "privacy_link",
                    "name": "name_label", "website": "honeypot_label", "topic": "topic_label",
                    "child_age_group": "age_label", "reference": "receipt_reference",
                    "pickup_code": "status_code_label", "score": "feedback_title",
                    "call_windows": "call_windows_legend"}
FIELD_IDS = {"requester_role": "role-parent", "contact_method": "method-phone", "score": "score-1"}


def render(request: Request, template: str, lang: str, status: int = 200, *, region: Region | None = None,
           municipality: Municipality | None = None, **context: Any) -> HTMLResponse:
    """A page in ``lang``, with links to the same page in the other languages and the error summary's labels."""
    runtime = get_runtime(request)
    region = region or next(iter(runtime.regions))
    path = request.url.path
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    links = [(code, LANG_NAMES[code], f"{path}?{urlencode({**query, 'lang': code})}") for code in LANGS]
    errors: dict[str, str] = context.pop("errors", {})
    return TEMPLATES.TemplateResponse(request, template, status_code=status, context={
        "lang": lang, "t": lambda key, **values: t(key, lang, **values),
        "region_name": region.name.get(lang), "county_name": region.county.get(lang),
        "header_place": municipality.name.get(lang) if municipality else region.name.get(lang),
        "municipality": municipality, "lang_links": links, "errors": errors,
        "field_labels": {f: t(k, lang) for f, k in FIELD_LABEL_KEYS.items()}, "field_ids": FIELD_IDS,
        **context,
    })


def framed_by_municipality(response: HTMLResponse, municipality: Municipality | None) -> HTMLResponse:
    """The form and what it shows in the same frame (receipt, privacy, accessibility) may be framed by the
    municipality's own site, as its configuration names it; every other page by nobody."""
    return allow_framing(response, [municipality.website_origin] if municipality and municipality.website_origin
                         else [])


def place(request: Request, municipality_id: str) -> tuple[Region, Municipality]:
    """The region and the municipality of ``municipality_id`` (404 naming it when none is served here)."""
    return get_runtime(request).regions.region_of(municipality_id)


async def not_found_page(request: Request, exc: NotFound) -> Response:
    """HTML for browsers, JSON for the API: an unknown municipality is named either way."""
    if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
        return domain_error_response(exc)
    lang = pick_lang(request.query_params.get("lang"), [])
    name = str(exc.context.get("municipality", ""))
    return render(request, "info.html", lang, 404, title=t("not_found_title", lang),
                  paragraphs=[t("unknown_municipality", lang, id=name) if name else exc.detail])
