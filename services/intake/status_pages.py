"""The status page: the family signs in with the reference and the pick-up code, reads the answer, writes more.

A short session (a cookie for ``/status`` only) stands for the code afterwards; every form carries the
session's CSRF token, and a form without the right one goes back to the sign-in.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from babel.dates import format_date
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.intake import service
from services.intake.deps import IntakeRuntime, IntakeRuntimeDep, LimitersDep
from services.intake.family import SESSION_MINUTES, FamilySession, close_session, find_session, wait_minutes
from services.intake.forms import (
    FamilyForm,
    FeedbackForm,
    MessageForm,
    SignInForm,
    control_character_errors,
    parse_feedback,
    parse_message,
)
from services.intake.i18n import long_date, pick_lang, t
from services.intake.queries import StatusView
from services.intake.referrals import family_referrals, public_service
from services.intake.service import FeedbackAlreadyGiven, JoinedElsewhere
from services.intake.service_channels import ways_of
from services.intake.web import place_of, render
from shared.app import ConnDep, UnitOfWorkDep
from shared.businessdays import HELSINKI, answer_due
from shared.db import Conn
from shared.errors import DomainError
from shared.events import CaseOutcome
from shared.http import same_token
from shared.i18n import BABEL_LOCALE
from shared.regions import Region
from shared.sessions import clear_session_cookie, set_session_cookie

COOKIE = "apua_status"
CLOSINGS: tuple[str, ...] = CaseOutcome.__args__  # type: ignore[attr-defined]

router = APIRouter(include_in_schema=False)


def _to_sign_in(lang: str) -> RedirectResponse:
    return RedirectResponse(f"/status?lang={lang}", status_code=303)


# What a redirect after a send says on the page it leads to (post/redirect/get).
SENT_FLASH = {"message": "add_message_sent", "feedback": "feedback_thanks"}


@router.get("/status")
async def status_page(request: Request, conn: ConnDep, runtime: IntakeRuntimeDep, lang: str | None = None,
                      ref: str = "", sent: str = "", m: str = "") -> Response:
    chosen = pick_lang(lang, [])
    session = await find_session(conn, request.cookies.get(COOKIE))
    if session is not None:  # the case's own region, whatever the link said
        flash = t(SENT_FLASH[sent], chosen) if sent in SENT_FLASH else None
        return await _case_page(request, conn, runtime, session, chosen, flash=flash)
    # The links the service sends carry the municipality (m=); without one the sign-in names no region.
    region, municipality = place_of(request, m or None)
    return render(request, "status_login.html", chosen, region=region, municipality=municipality,
                  values={"reference": ref[:20]})


def _sent(lang: str, what: str) -> RedirectResponse:
    """After a send, the page is read again with GET: a reload sends nothing twice."""
    return RedirectResponse(f"/status?lang={lang}&sent={what}", status_code=303)


async def _case_page(request: Request, conn: Conn, runtime: IntakeRuntime, session: FamilySession, lang: str, *,
                     flash: str | None = None, errors: dict[str, str] | None = None,
                     refusal: str | None = None, status: int = 200, kept_message: str = "") -> HTMLResponse:
    view = await service.read_status(conn=conn, case_id=session.case_id, settings=runtime.settings)
    region, municipality = runtime.regions.region_of(view.municipality)
    timeline = [{"at": i.at, "at_text": i.at.astimezone(HELSINKI).strftime("%d.%m.%Y %H:%M"),
                 "from_staff": i.from_staff, "text": i.text,
                 "notice": t("not_reached_notice_text", lang) if i.notice == "not_reached_notice" else None}
                for i in view.timeline]
    return render(request, "status_case.html", lang, status, region=region, municipality=municipality,
                  view={**view.__dict__, "timeline": timeline, "has_reply": view.has_reply,
                        "answered": view.answered}, csrf=session.csrf,
                  promise=_promise(view, region, lang), closing=_closing(view, region, lang), flash=flash,
                  callback=_callback(view, lang), referrals=await _referrals(conn, view, region, lang),
                  refusal=refusal, errors=errors or {}, message_id=str(uuid.uuid4()), values={"message": kept_message})


async def _referrals(conn: Conn, view: StatusView, region: Region, lang: str) -> list[dict[str, object]]:
    """Where the family was referred: the service, every way to reach it and its hours, and how far the referral
    is."""
    out: list[dict[str, object]] = []
    today = datetime.now(HELSINKI).date()
    for referral in await family_referrals(conn, view.case_id):
        public = await public_service(conn, region, referral.service_id)
        if public is None:
            continue  # a service the region no longer lists: nothing true to say of it
        name = public.name.get(lang)
        out.append({"name": name, "name_lang": lang if getattr(public.name, lang, None) else "fi",
                    "ways": ways_of(public.listed, lang, today) if public.listed is not None else None,
                    "contact": public.contact, "web": public.web,
                    "state": t(f"referral_family_{referral.status}", lang),
                    "overdue": referral.overdue and referral.status == "sent"})
    return out


def _promise(view: StatusView, region: Region, lang: str) -> str | None:
    """The day the family is promised an answer: the request's until answered, then a follow-up's; none once
    answered with nothing new, or closed."""
    if view.closed:
        return None
    if not view.answered:
        return t("receipt_promise", lang, date=long_date(view.answer_due, lang))
    if view.waiting_since is not None:
        due = answer_due(view.waiting_since, region.deadline.business_days)
        return t("followup_promise", lang, date=long_date(due, lang))
    return None


# The day of a call as people write it in each language: 'ti 8.12.', 'tis 8 dec.', 'Tue 8 Dec'.
CALL_DAY = {"fi": "EEE d.M.", "sv": "EEE d MMM", "en": "EEE d MMM"}


def _callback(view: StatusView, lang: str) -> str | None:
    """'We will call you on Tue 8 Dec between 16 and 17', Helsinki time; None without a call ahead."""
    if view.callback is None or view.closed:
        return None
    starts, ends = (moment.astimezone(HELSINKI) for moment in view.callback)
    return t("callback_scheduled", lang, day=format_date(starts.date(), CALL_DAY[lang], locale=BABEL_LOCALE[lang]),
             start=_hour(starts, lang), end=_hour(ends, lang))


def _hour(moment: datetime, lang: str) -> str:
    """'16' on the hour, else '16.30' (Finnish and Swedish) or '16:30' (English)."""
    if moment.minute == 0:
        return str(moment.hour)
    return f"{moment.hour}{':' if lang == 'en' else '.'}{moment.minute:02d}"


def _closing(view: StatusView, region: Region, lang: str) -> str | None:
    """How the case ended, in words for the family: guidance, a named service, or the same worker going on."""
    if not view.closed:
        return None
    if view.outcome == "referred" and view.referred_to:
        service_ = next((s for s in region.local_services if s.id == view.referred_to), None)
        if service_ is not None:
            return t("closed_referred", lang, service=service_.name.get(lang))
    known = view.outcome in CLOSINGS and view.outcome != "referred"  # a referral without its service says less
    return t(f"closed_{view.outcome}" if known else "case_closed", lang)


@router.post("/status")
async def status_sign_in(request: Request, form: Annotated[SignInForm, Form()], conn: ConnDep,
                         runtime: IntakeRuntimeDep, limits: LimitersDep) -> Response:
    lang = pick_lang(form.lang, [])
    reference = form.reference[:20]
    refused = control_character_errors({"reference": form.reference.strip(), "pickup_code": form.pickup_code.strip()},
                                       lang)
    if refused:  # nothing to look up: what was typed is not a reference or a code
        region, municipality = place_of(request, form.m or None)
        return render(request, "status_login.html", lang, 422, region=region, municipality=municipality,
                      values={"reference": ""}, errors=refused)
    try:
        token, _ = await service.sign_in(conn=conn, reference=reference, pickup_code=form.pickup_code[:40],
                                         settings=runtime.settings, opener=limits.opener(request))
    except DomainError as exc:  # a wrong code, or too many wrong codes or attempts from this client
        retry_after = getattr(exc, "retry_after", None)
        message = (t("err_too_many", lang, minutes=wait_minutes(int(retry_after))) if retry_after
                   else t("status_wrong", lang))
        region, municipality = place_of(request, form.m or None)
        response = render(request, "status_login.html", lang, exc.status_code, region=region,
                          municipality=municipality, values={"reference": reference}, errors={"reference": message})
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response
    redirect = _to_sign_in(lang)
    set_session_cookie(redirect, COOKIE, token, max_age_s=SESSION_MINUTES * 60, samesite="strict",
                       secure=runtime.settings.cookie_secure, path="/status")
    return redirect


async def _signed_in(request: Request, conn: Conn, form: FamilyForm) -> FamilySession | None:
    """The family's session, if the cookie has one and the form carries its CSRF token."""
    session = await find_session(conn, request.cookies.get(COOKIE))
    if session is None or not same_token(form.csrf, session.csrf):
        return None
    return session


@router.post("/status/messages")
async def status_message(request: Request, form: Annotated[MessageForm, Form()], uow: UnitOfWorkDep,
                         runtime: IntakeRuntimeDep) -> Response:
    lang = pick_lang(form.lang, [])
    session = await _signed_in(request, uow.conn, form)
    if session is None:
        return _to_sign_in(lang)
    message, errors = parse_message(form, lang)
    if message is None:
        return await _case_page(request, uow.conn, runtime, session, lang, errors=errors, status=422)
    try:
        await service.add_message(uow=uow, case_id=session.case_id, message_id=message.message_id,
                                  text=message.message, settings=runtime.settings)
    except JoinedElsewhere:  # the page says where their matter goes on, and keeps their words in the box
        return await _case_page(request, uow.conn, runtime, session, lang, refusal=t("duplicate_write_elsewhere", lang),
                                status=409, kept_message=message.message)
    except DomainError:  # closed meanwhile: the page shows the current state
        return await _case_page(request, uow.conn, runtime, session, lang, status=409)
    return _sent(lang, "message")


@router.post("/status/feedback")
async def status_feedback(request: Request, form: Annotated[FeedbackForm, Form()], uow: UnitOfWorkDep,
                          runtime: IntakeRuntimeDep) -> Response:
    lang = pick_lang(form.lang, [])
    session = await _signed_in(request, uow.conn, form)
    if session is None:
        return _to_sign_in(lang)
    answer, errors = parse_feedback(form, lang)
    if answer is None:
        return await _case_page(request, uow.conn, runtime, session, lang, errors=errors, status=422)
    try:
        await service.give_feedback(uow=uow, case_id=session.case_id, score=answer.score, comment=answer.comment,
                                    settings=runtime.settings)
    except JoinedElsewhere:
        return await _case_page(request, uow.conn, runtime, session, lang, refusal=t("duplicate_write_elsewhere", lang),
                                status=409)
    except FeedbackAlreadyGiven:
        return await _case_page(request, uow.conn, runtime, session, lang, refusal=t("feedback_already_given", lang),
                                status=409)
    except DomainError:  # not closed (reopened meanwhile): the page shows the current state
        return await _case_page(request, uow.conn, runtime, session, lang, status=409)
    return _sent(lang, "feedback")


@router.post("/status/sign-out")
async def status_sign_out(request: Request, form: Annotated[FamilyForm, Form()], conn: ConnDep) -> Response:
    if await _signed_in(request, conn, form) is not None:
        await close_session(conn, request.cookies.get(COOKIE))
    response = _to_sign_in(pick_lang(form.lang, []))
    clear_session_cookie(response, COOKIE, path="/status")
    return response
