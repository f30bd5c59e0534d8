"""The pages a family sees before the status page: the button, the form, the receipt, privacy and accessibility.

Server-rendered and complete without JavaScript; ``form.js`` only adds the counter, the draft
kept in the tab and automatic retries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from services.intake import service
from services.intake.accessibility_feedback import record_feedback
from services.intake.deps import IntakeRuntime, IntakeRuntimeDep, LimitersDep, accept_within_limit
from services.intake.family import normalise
from services.intake.forms import (
    AccessibilityForm,
    ReceiptForm,
    RequestForm,
    control_character_errors,
    parse_request,
)
from services.intake.i18n import long_date, pick_lang, t
from services.intake.web import HERE, canonical, place, place_of, render
from shared.app import ConnDep, unit_of_work
from shared.businessdays import answer_due
from shared.callbacks import WEEKDAYS
from shared.collation import sort_key
from shared.errors import DomainError
from shared.events import Topic
from shared.http import framed_by_municipality
from shared.regions import Municipality, Region

TOPICS: tuple[str, ...] = Topic.__args__  # type: ignore[attr-defined]

router = APIRouter(include_in_schema=False)


@router.get("/")
async def index(request: Request, runtime: IntakeRuntimeDep, lang: str | None = None) -> HTMLResponse:
    chosen = pick_lang(lang, [])
    return render(request, "index.html", chosen, regions=municipalities_by_region(runtime, chosen))


def municipalities_by_region(runtime: IntakeRuntime, lang: str) -> list[tuple[Region, list[tuple[str, str]]]]:
    """Each region with its municipalities' ids and names in ``lang``, both in that language's alphabetical order
    (in Swedish 'Åbo' comes after 'Vörå', not among the a's)."""
    key = sort_key(lang)
    regions = sorted(runtime.regions, key=lambda r: key(r.name.get(lang)))
    return [(r, sorted(((m.id, m.name.get(lang)) for m in r.municipalities), key=lambda item: key(item[1])))
            for r in regions]


@router.get("/button.js")
async def button_js() -> FileResponse:
    return FileResponse(HERE / "static" / "button.js", media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"})


@router.get("/demo/{municipality_id}")
async def demo(request: Request, municipality_id: str, lang: str | None = None) -> Response:
    region, municipality = place(request, municipality_id)
    if (moved := canonical(request, municipality_id, municipality)) is not None:
        return moved
    chosen = pick_lang(lang, municipality.languages)
    return render(request, "demo.html", chosen, region=region, municipality=municipality)


def _form(request: Request, region: Region, municipality: Municipality, lang: str, values: dict[str, Any],
          errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    due = answer_due(datetime.now(UTC), region.deadline.business_days)
    return framed_by_municipality(render(request, "form.html", lang, status, region=region, municipality=municipality,
                                         values=values, errors=errors or {}, due_text=long_date(due, lang),
                                         topics=TOPICS, weekdays=WEEKDAYS, bands=region.callbacks.bands),
                                  municipality)


@router.get("/m/{municipality_id}")
async def form_page(request: Request, municipality_id: str, lang: str | None = None) -> Response:
    region, municipality = place(request, municipality_id)
    if (moved := canonical(request, municipality_id, municipality)) is not None:
        return moved
    return _form(request, region, municipality, pick_lang(lang, municipality.languages), RequestForm().values())


@router.post("/m/{municipality_id}")
async def form_submit(request: Request, municipality_id: str, form: Annotated[RequestForm, Form()],
                      runtime: IntakeRuntimeDep, limits: LimitersDep) -> HTMLResponse:
    region, municipality = place(request, municipality_id)
    lang = pick_lang(form.lang, municipality.languages)
    values = form.values()
    body, errors = parse_request(values, municipality_id=municipality.id, lang=lang, website=form.website,
                                 bands=region.callbacks.bands, contact=region.contact)
    if body is None:
        return _form(request, region, municipality, lang, values, errors, status=422)
    receipt, created = await accept_within_limit(runtime, limits, request, body)
    return _receipt(request, region, municipality, lang, 201 if created else 200, reference=receipt.reference,
                    pickup_code=receipt.pickup_code, anonymous=body.contact.method == "anonymous",
                    answer_due=receipt.answer_due)


def _receipt(request: Request, region: Region, municipality: Municipality, lang: str, status: int, *,
             reference: str, pickup_code: str | None, anonymous: bool, answer_due: date) -> HTMLResponse:
    page = render(request, "receipt.html", lang, status, region=region, municipality=municipality,
                  receipt={"reference": reference}, pickup_code=pickup_code, anonymous=anonymous,
                  due_text=long_date(answer_due, lang))
    return framed_by_municipality(page, municipality)


@router.post("/m/{municipality_id}/receipt")
async def receipt_in_language(request: Request, municipality_id: str, form: Annotated[ReceiptForm, Form()],
                              conn: ConnDep, runtime: IntakeRuntimeDep, limits: LimitersDep) -> Response:
    """The receipt in the language chosen on it, code and all; a wrong code leads to the status sign-in."""
    region, municipality = place(request, municipality_id)
    lang = pick_lang(form.lang, municipality.languages)
    if control_character_errors({"reference": form.reference.strip(),
                                 "pickup_code": form.pickup_code.strip()}, lang):
        # Not a reference or a code: the sign-in, empty, as for any wrong one (it names the problem when typed).
        return RedirectResponse(f"/status?{urlencode({'lang': lang, 'm': municipality.id})}", status_code=303)
    try:
        again = await service.receipt_again(conn=conn, reference=form.reference[:20],
                                            pickup_code=form.pickup_code[:40], settings=runtime.settings,
                                            opener=limits.opener(request))
    except DomainError:  # a wrong code, too many wrong codes or attempts from here: sign in as anyone would
        query = urlencode({"lang": lang, "m": municipality.id, "ref": form.reference[:20]})
        return RedirectResponse(f"/status?{query}", status_code=303)
    region, municipality = place(request, again.municipality)
    return _receipt(request, region, municipality, lang, 200, reference=again.reference,
                    pickup_code=normalise(form.pickup_code), anonymous=again.anonymous, answer_due=again.answer_due)


def _info(request: Request, runtime: IntakeRuntime, lang: str | None, m: str | None, title: str, body: str,
          *, names_controller: bool = False, **extra: Any) -> HTMLResponse:
    region, municipality = place_of(request, m)
    chosen = pick_lang(lang, municipality.languages if municipality else [])
    # Without a municipality the page cannot know the family's controller: it says so and lists each region's.
    county = region.county.get(chosen) if region else t("privacy_your_county", chosen)
    controllers = municipalities_by_region(runtime, chosen) if names_controller and not region else None
    page = render(request, "info.html", chosen, extra.pop("status", 200), region=region, municipality=municipality,
                  title=t(title, chosen), paragraphs=[t(body, chosen, county=county)], controllers=controllers,
                  **extra)
    return framed_by_municipality(page, municipality)  # the form links here with its municipality


@router.get("/privacy")
async def privacy(request: Request, runtime: IntakeRuntimeDep, lang: str | None = None,
                  m: str | None = None) -> HTMLResponse:
    return _info(request, runtime, lang, m or None, "privacy_title", "privacy_body", names_controller=True)


@router.get("/accessibility")
async def accessibility(request: Request, runtime: IntakeRuntimeDep, lang: str | None = None,
                        m: str | None = None) -> HTMLResponse:
    return _info(request, runtime, lang, m or None, "a11y_title", "a11y_body", feedback_form=True,
                 municipalities=None if m else municipalities_by_region(runtime, pick_lang(lang, [])))


@router.post("/accessibility/feedback")
async def accessibility_feedback(request: Request, form: Annotated[AccessibilityForm, Form()],
                                 runtime: IntakeRuntimeDep, limits: LimitersDep) -> HTMLResponse:
    lang = pick_lang(form.lang, [])
    m = form.m or None
    # The municipality first: feedback to one nobody serves (an unknown name is a 404 page) is never stored.
    region, municipality = place_of(request, m)
    text, contact = form.feedback[:4000], form.contact[:200]
    errors: dict[str, str] = {}
    if municipality is None:
        errors["m"] = t("a11y_feedback_choose_municipality", lang)
    if not text.strip():
        errors["feedback"] = t("err_required", lang)
    errors |= control_character_errors({"feedback": text, "contact": contact}, lang, multiline=["feedback"])
    if errors or region is None or municipality is None:
        return _info(request, runtime, form.lang, m, "a11y_title", "a11y_body", feedback_form=True, status=422,
                     errors=errors, values={"feedback": text, "contact": contact},
                     municipalities=None if municipality else municipalities_by_region(runtime, lang))
    limits.submit.hit(request, "feedback")
    # A connection only now: an empty form is answered even while the database is away.
    async with unit_of_work(runtime) as uow:
        await record_feedback(uow=uow, region=region, municipality=municipality, language=lang,
                              text=text, contact=contact or None,
                              reference=service.new_reference(), settings=runtime.settings)
    return _info(request, runtime, form.lang, m, "a11y_title", "a11y_body", feedback_form=True,
                 flash=t("a11y_feedback_thanks", lang))
