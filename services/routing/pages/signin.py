"""Signing in and out on the pages, home by role, and the pass that takes a person on to the statistics."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from services.routing import service
from services.routing.accounts import AccountLocked, SignInFailed
from services.routing.i18n import t
from services.routing.pages.render import page_lang, render
from services.routing.permissions import may_see_statistics
from services.routing.web import (
    COOKIE,
    NotForYourRole,
    OptionalSession,
    RuntimeDep,
    StaffPage,
    clear_session_cookie,
    set_session_cookie,
)
from shared.app import ConnDep
from shared.http import safe_next
from shared.i18n import pick_lang

router = APIRouter(include_in_schema=False)
HOME_OF_ROLE = {"coordinator": "/queue", "professional": "/queue", "manager": "/summary"}


@router.get("/")
async def home(request: Request, session: StaffPage) -> Response:
    target = HOME_OF_ROLE.get(session.account.role, "/admin/access")
    return RedirectResponse(f"{target}?lang={page_lang(request, session)}", status_code=303)


@router.get("/login")
async def login_page(request: Request, runtime: RuntimeDep, next: str = "/", lang: str | None = None) -> HTMLResponse:
    return render(request, "login.html", None, next=safe_next(next), username="", error=None,
                  oidc=bool(runtime.settings.oidc_issuer))


@router.post("/login")
async def login(request: Request, conn: ConnDep, runtime: RuntimeDep) -> Response:
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [])
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    target = str(form.get("next", "/"))
    try:
        body = service.SignIn(username=username, password=password)
        done = await service.sign_in(conn=conn, username=body.username, password=body.password)
    except (ValidationError, SignInFailed, AccountLocked) as exc:
        # An empty or overlong field is a wrong username or password like any other.
        retry = getattr(exc, "retry_after", None)
        error = t("account_locked", lang, minutes=int(retry) // 60 + 1) if retry else t("sign_in_failed", lang)
        status = exc.status_code if isinstance(exc, AccountLocked) else SignInFailed.status_code
        return render(request, "login.html", None, status, lang=lang, next=target, username=username[:100],
                      error=error)
    target = safe_next(target)
    # The language chosen on the sign-in page goes on with the person.
    response = RedirectResponse(f"{target}{'&' if '?' in target else '?'}lang={lang}", status_code=303)
    set_session_cookie(response, done.token, runtime.settings)
    return response


@router.post("/logout")
async def logout(request: Request, session: OptionalSession, conn: ConnDep) -> Response:
    form = await request.form()
    if session is not None:
        if str(form.get("csrf", "")) != session.csrf:  # another site's form: the session stays, and so does the cookie
            return Response("CSRF check failed: reload the page and sign out again", status_code=403)
        await service.sign_out(conn=conn, token=request.cookies.get(COOKIE))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/pass/reporting")
async def reporting_pass(request: Request, session: OptionalSession, runtime: RuntimeDep, next: str = "/") -> Response:
    """Vouch for a signed-in manager, coordinator or admin to the statistics service (see shared.staffpass)."""
    if session is None:
        here = f"/pass/reporting?{urlencode({'next': next})}"
        return RedirectResponse(f"/login?{urlencode({'next': here})}", status_code=303)
    if not may_see_statistics(session.account):
        raise NotForYourRole(session, "statistics")
    url = service.reporting_pass_url(staff=session, settings=runtime.settings, next_path=safe_next(next),
                                     language=page_lang(request, session))
    return RedirectResponse(url, status_code=303)
