"""The pages a family sees: the form, the receipt, the status page, privacy and accessibility.

Server-rendered and complete without JavaScript; ``form.js`` only adds the counter, the draft
kept in the tab and automatic retries. Everything the family typed is rendered escaped.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.intake import family
from services.intake.api import accept, limiter
from services.intake.i18n import LANG_NAMES, LANGS, long_date, pick_lang, t
from services.intake.models import NewRequest
from services.intake.settings import IntakeSettings
from shared.app import get_runtime
from shared.businessdays import HELSINKI, answer_due
from shared.errors import DomainError, NotFound
from shared.events import Topic
from shared.http import allow_framing, domain_error_response
from shared.regions import Municipality, Region

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
COOKIE = "apua_status"
TOPICS: tuple[str, ...] = Topic.__args__  # type: ignore[attr-defined]
FIELD_ERROR_KEYS = {"requester_role": "err_requester_role", "message": "err_message", "phone": "err_phone",
                    "email": "err_email", "contact_method": "err_contact_method", "consent": "err_consent",
                    "website": "err_honeypot"}
FIELD_LABEL_KEYS = {"requester_role": "who_legend", "message": "message_label", "phone": "phone_label",
                    "email": "email_label", "contact_method": "answer_legend", "consent": "privacy_link",
                    "name": "name_label", "website": "honeypot_label", "topic": "topic_label",
                    "child_age_group": "age_label", "reference": "receipt_reference",
                    "pickup_code": "status_code_label", "score": "feedback_title"}
FIELD_IDS = {"requester_role": "role-parent", "contact_method": "method-phone", "score": "score-1"}

router = APIRouter(include_in_schema=False)


def render(request: Request, template: str, lang: str, status: int = 200, *, region: Region | None = None,
           municipality: Municipality | None = None, **context: Any) -> HTMLResponse:
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


def _place(request: Request, municipality_id: str) -> tuple[Region, Municipality]:
    return get_runtime(request).regions.region_of(municipality_id)


@router.get("/")
async def index(request: Request, lang: str | None = None) -> HTMLResponse:
    runtime = get_runtime(request)
    chosen = pick_lang(lang, [])
    items = [(r.name.get(chosen), [(m.id, m.name.get(chosen)) for m in r.municipalities]) for r in runtime.regions]
    return render(request, "index.html", chosen, regions=items)


@router.get("/button.js")
async def button_js() -> FileResponse:
    return FileResponse(HERE / "static" / "button.js", media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"})


@router.get("/demo/{municipality_id}")
async def demo(request: Request, municipality_id: str, lang: str | None = None) -> HTMLResponse:
    region, municipality = _place(request, municipality_id)
    chosen = pick_lang(lang, municipality.languages)
    return render(request, "demo.html", chosen, region=region, municipality=municipality)


def _form_values(form: FormData | None = None) -> dict[str, str]:
    fields = ["submission_id", "requester_role", "topic", "child_age_group", "message", "contact_method", "name",
              "phone", "email", "call_times", "consent"]
    values = {f: str(form.get(f, "")) if form is not None else "" for f in fields}
    if not values["submission_id"]:
        values["submission_id"] = str(uuid.uuid4())
    return values


def _form(request: Request, region: Region, municipality: Municipality, lang: str, values: dict[str, str],
          errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    due = answer_due(datetime.now(UTC), region.deadline.business_days)
    return framed_by_municipality(render(request, "form.html", lang, status, region=region, municipality=municipality,
                                         values=values, errors=errors or {}, due_text=long_date(due, lang),
                                         topics=TOPICS), municipality)


@router.get("/m/{municipality_id}")
async def form_page(request: Request, municipality_id: str, lang: str | None = None) -> HTMLResponse:
    region, municipality = _place(request, municipality_id)
    return _form(request, region, municipality, pick_lang(lang, municipality.languages), _form_values())


def _to_request(municipality_id: str, lang: str, values: dict[str, str], honeypot: str) -> dict[str, Any]:
    method = values["contact_method"] or None
    contact: dict[str, Any] = {"method": method}
    if method != "anonymous":
        for name in ("name", "phone", "email", "call_times"):
            if values[name].strip():
                contact[name] = values[name]
    return {"submission_id": values["submission_id"], "municipality": municipality_id, "language": lang,
            "requester_role": values["requester_role"] or None, "topic": values["topic"] or None,
            "child_age_group": values["child_age_group"] or None, "message": values["message"],
            "contact": contact, "website": honeypot or None}


def _form_errors(exc: ValidationError, lang: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        field = loc[-1] if loc else "message"
        if loc[:1] == ["contact"]:
            text = str(error.get("msg", ""))
            field = ("contact_method" if len(loc) == 1 or field == "method" else field)
            if "phone number" in text:
                field = "phone"
            elif "e-mail" in text:
                field = "email"
            elif "anonymous" in text:
                errors["contact_method"] = t("err_anonymous", lang)
                continue
        errors.setdefault(field, t(FIELD_ERROR_KEYS.get(field, "err_invalid"), lang))
    return errors


@router.post("/m/{municipality_id}")
async def form_submit(request: Request, municipality_id: str) -> HTMLResponse:
    region, municipality = _place(request, municipality_id)
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), municipality.languages)
    values = _form_values(form)
    errors: dict[str, str] = {}
    if values["consent"] != "yes":
        errors["consent"] = t("err_consent", lang)
    try:
        body = NewRequest.model_validate(_to_request(municipality.id, lang, values, str(form.get("website", ""))))
    except ValidationError as exc:
        errors = {**_form_errors(exc, lang), **errors}
    if errors:
        return _form(request, region, municipality, lang, values, errors, status=422)
    receipt, created = await accept(get_runtime(request), request, body)
    receipt_page = render(request, "receipt.html", lang, 201 if created else 200, region=region,
                          municipality=municipality, receipt=receipt, pickup_code=receipt.pickup_code,
                          anonymous=body.contact.method == "anonymous", due_text=long_date(receipt.answer_due, lang))
    return framed_by_municipality(receipt_page, municipality)


@router.get("/status")
async def status_page(request: Request, lang: str | None = None, ref: str = "") -> Response:
    chosen = pick_lang(lang, [])
    runtime = get_runtime(request)
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        session = await family.find_session(conn, request.cookies.get(COOKIE))
        if session is not None:
            return await _case_page(request, conn, session, chosen)
    return render(request, "status_login.html", chosen, values={"reference": ref[:20]})


async def _case_page(request: Request, conn: Any, session: family.FamilySession, lang: str, *,
                     flash: str | None = None, errors: dict[str, str] | None = None,
                     status: int = 200) -> HTMLResponse:
    runtime = get_runtime(request)
    view = await family.status_view(conn, session.case_id, runtime.settings.kek_bytes)
    region, municipality = runtime.regions.region_of(view.municipality)
    timeline = [{"at": i.at, "at_text": i.at.astimezone(HELSINKI).strftime("%d.%m.%Y %H:%M"),
                 "from_staff": i.from_staff, "text": i.text} for i in view.timeline]
    return render(request, "status_case.html", lang, status, region=region, municipality=municipality,
                  view={**view.__dict__, "timeline": timeline, "has_reply": view.has_reply}, csrf=session.csrf,
                  due_text=long_date(view.answer_due, lang), flash=flash, errors=errors or {},
                  message_id=str(uuid.uuid4()), values={"message": ""})


@router.post("/status")
async def status_sign_in(request: Request) -> Response:
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [])
    reference, code = str(form.get("reference", ""))[:20], str(form.get("pickup_code", ""))[:40]
    runtime = get_runtime(request)
    assert runtime.pool is not None
    try:
        limiter(request, "status").hit(request, "status")
        async with runtime.pool.acquire() as conn:
            case_id = await family.verify_pickup(conn, reference, code,
                                                 key=family.pickup_key(runtime.settings.kek_bytes))
            token, _ = await family.open_session(conn, case_id)
    except (family.WrongCode, family.Locked, DomainError) as exc:
        retry_after = getattr(exc, "retry_after", None)
        message = (t("err_too_many", lang, minutes=max(1, int(retry_after) // 60 + 1)) if retry_after
                   else t("status_wrong", lang))
        response = render(request, "status_login.html", lang, exc.status_code, values={"reference": reference},
                          errors={"reference": message})
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response
    redirect = RedirectResponse(f"/status?lang={lang}", status_code=303)
    settings = runtime.settings
    assert isinstance(settings, IntakeSettings)
    redirect.set_cookie(COOKIE, token, max_age=family.SESSION_MINUTES * 60, httponly=True, samesite="strict",
                        secure=settings.cookie_secure, path="/status")
    return redirect


async def _session_or_login(request: Request, conn: Any, form: FormData) -> family.FamilySession | None:
    session = await family.find_session(conn, request.cookies.get(COOKIE))
    if session is None or str(form.get("csrf", "")) != session.csrf:
        return None
    return session


FamilyAction = Callable[[Any, family.FamilySession, FormData, str], Awaitable[Response]]


async def _as_family(request: Request, action: FamilyAction) -> Response:
    """Run a signed-in family's form action (session and CSRF checked), then let the relay go."""
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [])
    runtime = get_runtime(request)
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        session = await _session_or_login(request, conn, form)
        if session is None:
            return RedirectResponse(f"/status?lang={lang}", status_code=303)
        response = await action(conn, session, form, lang)
    if runtime.relay is not None:
        runtime.relay.wake()
    return response


@router.post("/status/messages")
async def status_message(request: Request) -> Response:
    settings = get_runtime(request).settings

    async def add(conn: Any, session: family.FamilySession, form: FormData, lang: str) -> Response:
        text = str(form.get("message", ""))
        if not text.strip() or len(text) > 4000:
            return await _case_page(request, conn, session, lang, errors={"message": t("err_message", lang)},
                                    status=422)
        try:
            message_id = uuid.UUID(str(form.get("message_id", "")))
        except ValueError:
            message_id = uuid.uuid4()
        try:
            await family.add_message(conn, case_id=session.case_id, message_id=message_id, text=text,
                                     kek=settings.kek_bytes, topic_prefix=settings.topic_prefix)
        except DomainError:  # closed meanwhile: the page shows the current state
            return await _case_page(request, conn, session, lang, status=409)
        return await _case_page(request, conn, session, lang, flash=t("add_message_sent", lang))

    return await _as_family(request, add)


@router.post("/status/feedback")
async def status_feedback(request: Request) -> Response:
    settings = get_runtime(request).settings

    async def give(conn: Any, session: family.FamilySession, form: FormData, lang: str) -> Response:
        score = str(form.get("score", ""))
        if score not in {"1", "2", "3", "4", "5"}:
            return await _case_page(request, conn, session, lang, errors={"score": t("err_required", lang)},
                                    status=422)
        comment = str(form.get("comment", ""))[:1000].strip() or None
        try:
            await family.give_feedback(conn, case_id=session.case_id, score=int(score), comment=comment,
                                       kek=settings.kek_bytes, topic_prefix=settings.topic_prefix)
        except DomainError:
            pass  # already given or not closed: the page shows the current state
        return await _case_page(request, conn, session, lang, flash=t("feedback_thanks", lang))

    return await _as_family(request, give)


@router.post("/status/sign-out")
async def status_sign_out(request: Request) -> Response:
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [])
    runtime = get_runtime(request)
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        if await _session_or_login(request, conn, form) is not None:
            await family.close_session(conn, request.cookies.get(COOKIE))
    response = RedirectResponse(f"/status?lang={lang}", status_code=303)
    response.delete_cookie(COOKIE, path="/status")
    return response


def _info(request: Request, lang: str | None, m: str | None, title: str, body: str, **extra: Any) -> HTMLResponse:
    runtime = get_runtime(request)
    region, municipality = (runtime.regions.region_of(m) if m else (next(iter(runtime.regions)), None))
    chosen = pick_lang(lang, municipality.languages if municipality else [])
    page = render(request, "info.html", chosen, extra.pop("status", 200), region=region, municipality=municipality,
                  title=t(title, chosen), paragraphs=[t(body, chosen, county=region.county.get(chosen))], **extra)
    return framed_by_municipality(page, municipality)  # the form links here with its municipality


@router.get("/privacy")
async def privacy(request: Request, lang: str | None = None, m: str | None = None) -> HTMLResponse:
    return _info(request, lang, m or None, "privacy_title", "privacy_body")


@router.get("/accessibility")
async def accessibility(request: Request, lang: str | None = None, m: str | None = None) -> HTMLResponse:
    return _info(request, lang, m or None, "a11y_title", "a11y_body", feedback_form=True)


@router.post("/accessibility/feedback")
async def accessibility_feedback(request: Request) -> HTMLResponse:
    form = await request.form()
    m = str(form.get("m", "")) or None
    lang = str(form.get("lang", ""))
    text = str(form.get("feedback", ""))[:4000]
    if not text.strip():
        return _info(request, lang, m, "a11y_title", "a11y_body", feedback_form=True, status=422,
                     errors={"feedback": t("err_required", pick_lang(lang, []))})
    limiter(request, "submit").hit(request, "feedback")
    runtime = get_runtime(request)
    assert runtime.pool is not None
    await runtime.pool.execute(
        "INSERT INTO accessibility_feedback (municipality, language, feedback, contact) VALUES ($1, $2, $3, $4)",
        m, pick_lang(lang, []), text, str(form.get("contact", ""))[:200] or None)
    return _info(request, lang, m, "a11y_title", "a11y_body", feedback_form=True,
                 flash=t("a11y_feedback_thanks", pick_lang(lang, [])))


async def not_found_page(request: Request, exc: NotFound) -> Response:
    """HTML for browsers, JSON for the API: an unknown municipality is named either way."""
    if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
        return domain_error_response(exc)
    lang = pick_lang(request.query_params.get("lang"), [])
    name = str(exc.context.get("municipality", ""))
    return render(request, "info.html", lang, 404, title=t("not_found_title", lang),
                  paragraphs=[t("unknown_municipality", lang, id=name) if name else exc.detail])
