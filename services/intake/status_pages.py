"""The status page: the family signs in with the reference and the pick-up code, reads the answer, writes more.

A short session (a cookie for ``/status`` only) stands for the code afterwards; every form carries the
session's CSRF token, and a form without the right one goes back to the sign-in.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.intake import service
from services.intake.deps import IntakeRuntime, IntakeRuntimeDep, LimitersDep
from services.intake.family import SESSION_MINUTES, FamilySession, close_session, find_session
from services.intake.forms import FamilyForm, FeedbackForm, MessageForm, SignInForm, parse_feedback, parse_message
from services.intake.i18n import long_date, pick_lang, t
from services.intake.web import render
from shared.app import ConnDep, UnitOfWorkDep
from shared.businessdays import HELSINKI
from shared.db import Conn
from shared.errors import DomainError

COOKIE = "apua_status"

router = APIRouter(include_in_schema=False)


def _to_sign_in(lang: str) -> RedirectResponse:
    return RedirectResponse(f"/status?lang={lang}", status_code=303)


@router.get("/status")
async def status_page(request: Request, conn: ConnDep, runtime: IntakeRuntimeDep, lang: str | None = None,
                      ref: str = "") -> Response:
    chosen = pick_lang(lang, [])
    session = await find_session(conn, request.cookies.get(COOKIE))
    if session is not None:
        return await _case_page(request, conn, runtime, session, chosen)
    return render(request, "status_login.html", chosen, values={"reference": ref[:20]})


async def _case_page(request: Request, conn: Conn, runtime: IntakeRuntime, session: FamilySession, lang: str, *,
                     flash: str | None = None, errors: dict[str, str] | None = None,
                     status: int = 200) -> HTMLResponse:
    view = await service.read_status(conn=conn, case_id=session.case_id, settings=runtime.settings)
    region, municipality = runtime.regions.region_of(view.municipality)
    timeline = [{"at": i.at, "at_text": i.at.astimezone(HELSINKI).strftime("%d.%m.%Y %H:%M"),
                 "from_staff": i.from_staff, "text": i.text} for i in view.timeline]
    return render(request, "status_case.html", lang, status, region=region, municipality=municipality,
                  view={**view.__dict__, "timeline": timeline, "has_reply": view.has_reply}, csrf=session.csrf,
                  due_text=long_date(view.answer_due, lang), flash=flash, errors=errors or {},
                  message_id=str(uuid.uuid4()), values={"message": ""})


@router.post("/status")
async def status_sign_in(request: Request, form: Annotated[SignInForm, Form()], conn: ConnDep,
                         runtime: IntakeRuntimeDep, limits: LimitersDep) -> Response:
    lang = pick_lang(form.lang, [])
    reference = form.reference[:20]
    try:
        limits.status.hit(request, "status")
        token, _ = await service.sign_in(conn=conn, reference=reference, pickup_code=form.pickup_code[:40],
                                         settings=runtime.settings)
    except DomainError as exc:  # a wrong code, a locked reference, too many attempts from this client
        retry_after = getattr(exc, "retry_after", None)
        message = (t("err_too_many", lang, minutes=max(1, int(retry_after) // 60 + 1)) if retry_after
                   else t("status_wrong", lang))
        response = render(request, "status_login.html", lang, exc.status_code, values={"reference": reference},
                          errors={"reference": message})
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response
    redirect = _to_sign_in(lang)
    redirect.set_cookie(COOKIE, token, max_age=SESSION_MINUTES * 60, httponly=True, samesite="strict",
                        secure=runtime.settings.cookie_secure, path="/status")
    return redirect


async def _signed_in(request: Request, conn: Conn, form: FamilyForm) -> FamilySession | None:
    """The family's session, if the cookie has one and the form carries its CSRF token."""
    session = await find_session(conn, request.cookies.get(COOKIE))
    if session is None or form.csrf != session.csrf:
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
    except DomainError:  # closed meanwhile: the page shows the current state
        return await _case_page(request, uow.conn, runtime, session, lang, status=409)
    return await _case_page(request, uow.conn, runtime, session, lang, flash=t("add_message_sent", lang))


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
    except DomainError:
        pass  # already given or not closed: the page shows the current state
    return await _case_page(request, uow.conn, runtime, session, lang, flash=t("feedback_thanks", lang))


@router.post("/status/sign-out")
async def status_sign_out(request: Request, form: Annotated[FamilyForm, Form()], conn: ConnDep) -> Response:
    if await _signed_in(request, conn, form) is not None:
        await close_session(conn, request.cookies.get(COOKIE))
    response = _to_sign_in(pick_lang(form.lang, []))
    response.delete_cookie(COOKIE, path="/status")
    return response
