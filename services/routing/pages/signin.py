"""Signing in and out on the pages, home by role, and the pass that takes a person on to the statistics."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from services.routing import service
from services.routing.accounts import SignInFailed
from services.routing.i18n import t
from services.routing.pages.render import page_lang, render
from services.routing.permissions import may_see_statistics
from services.routing.throttle import SignInThrottled
from services.routing.web import (
    COOKIE,
    NotForYourRole,
    OptionalSession,
    RuntimeDep,
    StaffPage,
    ThrottleDep,
    clear_session_cookie,
    set_session_cookie,
)
from shared.app import UnitOfWorkDep
from shared.errors import NotFound
from shared.http import client_address, cross_site, safe_next, same_token
from shared.i18n import pick_lang

router = APIRouter(include_in_schema=False)
HOME_OF_ROLE = {"coordinator": "/queue", "professional": "/queue", "manager": "/summary",
                "network_coordinator": "/pass/network"}


@router.get("/")
async def home(request: Request, session: StaffPage) -> Response:
    target = HOME_OF_ROLE.get(session.account.role, "/admin/access")
    return RedirectResponse(f"{target}?lang={page_lang(request, session)}", status_code=303)


@router.get("/login")
async def login_page(request: Request, runtime: RuntimeDep, next: str = "/", lang: str | None = None,
                     changed: bool = False) -> HTMLResponse:
    return render(request, "login.html", None, next=safe_next(next), username="", error=None,
                  oidc=bool(runtime.settings.oidc_issuer), changed=changed)


@router.post("/login")
async def login(request: Request, runtime: RuntimeDep, throttle: ThrottleDep) -> Response:
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [])
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    target = str(form.get("next", "/"))
    if cross_site(request):  # another site's form would sign the browser in as the attacker (login CSRF)
        return render(request, "login.html", None, 403, lang=lang, next=safe_next(target), username="",
                      error=t("sign_in_cross_site", lang))
    try:
        body = service.SignIn(username=username, password=password)
        done = await service.sign_in(pool=runtime.db(), username=body.username, password=body.password,
                                     client=client_address(request), throttle=throttle)
    except (ValidationError, SignInFailed, SignInThrottled) as exc:
        # An empty or overlong field is a wrong username or password like any other.
        retry = getattr(exc, "retry_after", None)
        error = t("account_locked", lang, minutes=int(retry) // 60 + 1) if retry else t("sign_in_failed", lang)
        status = exc.status_code if isinstance(exc, SignInThrottled) else SignInFailed.status_code
        page = render(request, "login.html", None, status, lang=lang, next=target, username=username[:100],
                      error=error)
        if retry:
            page.headers["Retry-After"] = str(retry)
        return page
    target = safe_next(target)
    # The language chosen on the sign-in page goes on with the person.
    response = RedirectResponse(f"{target}{'&' if '?' in target else '?'}lang={lang}", status_code=303)
    set_session_cookie(response, done.token, runtime.settings)
    return response


@router.post("/logout")
async def logout(request: Request, session: OptionalSession, uow: UnitOfWorkDep, runtime: RuntimeDep) -> Response:
    form = await request.form()
    if session is not None:
        if not same_token(str(form.get("csrf", "")), session.csrf):  # another site's form: the session stays
            return Response("CSRF check failed: reload the page and sign out again", status_code=403)
        await service.sign_out(uow=uow, staff=session, token=request.cookies.get(COOKIE), settings=runtime.settings)
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


@router.get("/pass/network")
async def network_pass(request: Request, session: OptionalSession, runtime: RuntimeDep) -> Response:
    """Vouch for a signed-in network coordinator to the change agents' network (see shared.staffpass); for anyone
    else there is no such page."""
    if session is None:
        return RedirectResponse(f"/login?{urlencode({'next': '/pass/network'})}", status_code=303)
    if session.account.role != "network_coordinator":
        raise NotFound("no such page")
    url = service.network_pass_url(staff=session, settings=runtime.settings, language=page_lang(request, session))
    return RedirectResponse(url, status_code=303)
