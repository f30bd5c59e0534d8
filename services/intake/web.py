"""What the family's pages share: rendering in the page's language, framing by the municipality, the 404 page.

Everything the family typed is rendered escaped (Jinja2's autoescape for HTML templates).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from services.intake.i18n import pick_lang, t
from shared.app import get_runtime
from shared.errors import NotFound
from shared.http import domain_error_response, wants_html
from shared.i18n import language_links
from shared.regions import Municipality, Region

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
FIELD_LABEL_KEYS = {"requester_role": "who_legend", "message": "message_label", "phone": "phone_label",
                    "email": "email_label", "contact_method": "answer_legend", "consent": "privacy_link",
                    "name": "name_label", "website": "honeypot_label", "topic": "topic_label",
                    "child_age_group": "age_label", "reference": "receipt_reference",
                    "pickup_code": "status_code_label", "score": "feedback_title",
                    "call_windows": "call_windows_legend", "call_times": "call_times_label",
                    "comment": "feedback_comment", "feedback": "a11y_feedback_label",
                    "contact": "a11y_feedback_contact", "m": "a11y_feedback_municipality"}
FIELD_IDS = {"requester_role": "role-parent", "contact_method": "method-phone", "score": "score-1",
             "m": "feedback-municipality"}


def render(request: Request, template: str, lang: str, status: int = 200, *, region: Region | None = None,
           municipality: Municipality | None = None, **context: Any) -> HTMLResponse:
    """A page in ``lang``, with links to the same page in the other languages and the error summary's labels."""
    # No region is guessed: a page reached without a municipality names none (a Parainen family must not
    # read Pohde's name or be told Pohde keeps their data).
    links = language_links(request.url.path, request.query_params.multi_items())
    errors: dict[str, str] = context.pop("errors", {})
    return TEMPLATES.TemplateResponse(request, template, status_code=status, context={
        "lang": lang, "t": lambda key, **values: t(key, lang, **values),
        "region_name": region.name.get(lang) if region else None,
        "county_name": region.county.get(lang) if region else None,
        "header_place": municipality.name.get(lang) if municipality else region.name.get(lang) if region else None,
        "municipality": municipality, "lang_links": links, "errors": errors,
        "field_labels": {f: t(k, lang) for f, k in FIELD_LABEL_KEYS.items()}, "field_ids": FIELD_IDS,
        **context,
    })


def place(request: Request, municipality_id: str) -> tuple[Region, Municipality]:
    """The region and the municipality of ``municipality_id``, or of one of its names ('pargas', 'åbo');
    404 naming it when none is served here."""
    return get_runtime(request).regions.find(municipality_id)


def place_of(request: Request, m: str | None) -> tuple[Region | None, Municipality | None]:
    """The region and municipality a page's ``m=`` names; neither when it names none (an unknown one is 404)."""
    return place(request, m) if m else (None, None)


def canonical(request: Request, typed: str, municipality: Municipality) -> RedirectResponse | None:
    """A page asked for by a municipality's other name moves, for good, to the address of its id."""
    if typed == municipality.id:
        return None
    path = request.url.path
    # The name is the path's last segment (``/m/<name>``, ``/demo/<name>``); Starlette gives it decoded.
    prefix = path[:path.rindex("/") + 1]
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"{prefix}{municipality.id}{query}", status_code=301)


async def not_found_page(request: Request, exc: NotFound) -> Response:
    """HTML for browsers, JSON for the API: an unknown municipality is named either way."""
    if not wants_html(request):
        return domain_error_response(exc)
    lang = pick_lang(request.query_params.get("lang"), [])
    name = str(exc.context.get("municipality", ""))
    return render(request, "info.html", lang, 404, title=t("not_found_title", lang),
                  paragraphs=[t("unknown_municipality", lang, id=name) if name else t("page_not_found_body", lang)],
                  home=True)


# The page a browser gets for an HTTP error, by status; any other status gets the general one.
ERROR_TEXTS = {404: ("not_found_title", "page_not_found_body"), 405: ("error_title", "method_not_allowed_body")}


async def error_page(request: Request, status: int) -> Response:
    """An unknown address (or a method it does not answer) in the page's language, naming no region."""
    lang = pick_lang(request.query_params.get("lang"), [])
    title, body = ERROR_TEXTS.get(status, ("error_title", "error_body"))
    return render(request, "info.html", lang, status, title=t(title, lang), paragraphs=[t(body, lang)], home=True)
