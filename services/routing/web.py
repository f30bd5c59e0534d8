"""What routing's routes share: the runtime, the session cookie, and who is signed in (API and pages)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request, Response

from services.routing.accounts import SESSION_HOURS, Account, StaffSession, find_session
from services.routing.permissions import may_administer, may_see_queue, may_see_statistics
from services.routing.settings import RoutingSettings
from services.routing.throttle import SignInThrottle
from shared import sessions
from shared.app import SignedIn, runtime_dependency_for
from shared.errors import Forbidden, NotFound, Unauthorized
from shared.http import RedirectTo, same_token
from shared.runtime import ServiceRuntime

__all__ = ["COOKIE", "STAFF", "AdminPage", "CsrfFailed", "NotForYourRole", "NotSignedIn", "OptionalSession",
           "QueuePage", "RuntimeDep", "SessionDep", "StaffPage", "StatisticsPage", "ThrottleDep",
           "clear_session_cookie", "set_session_cookie", "sign_in_throttle"]

COOKIE = "apua_staff"
RuntimeDep = Annotated[ServiceRuntime[RoutingSettings], Depends(runtime_dependency_for(RoutingSettings))]


class NotSignedIn(Unauthorized):
    code = "not_signed_in"


class CsrfFailed(Forbidden):
    code = "csrf_failed"


class NotForYourRole(Forbidden):
    """A signed-in person opened a page their role is not for: the page says so (pages/forbidden.py)."""

    code = "not_for_your_role"

    def __init__(self, session: StaffSession, what: str) -> None:
        super().__init__(f"your role does not see the {what}", what=what)
        self.session = session
        self.what = what


def _told_why(allowed: Callable[[Account], bool], what: str) -> Callable[[Request], Awaitable[StaffSession]]:
    """A page's dependency that tells a person whose role it is not for why, instead of sending them away."""
    async def dependency(request: Request) -> StaffSession:
        session = await STAFF.optional(request)
        if session is None:
            raise RedirectTo(_sign_in_at(request))
        if not allowed(session.account):
            raise NotForYourRole(session, what)
        return session
    return dependency


def _sign_in_at(request: Request) -> str:
    """The sign-in page, which sends the person back here in the language they had."""
    return f"/login?{urlencode({'next': str(request.url.path), 'lang': request.query_params.get('lang', '')})}"


# What a network coordinator may open here: signing in and out, their password, and the way to the network.
NETWORK_COORDINATOR_PATHS = frozenset({"/", "/logout", "/password", "/pass/network", "/api/v1/session"})


class CaseSideStaff(SignedIn[StaffSession]):
    """Every route that needs a signed-in person asks here. A network coordinator has an account only to sign in
    and be passed on to the change agents' network: every other route (each is about cases, their statistics or
    the region's staff) answers them 404, as if it did not exist."""

    async def optional(self, request: Request) -> StaffSession | None:
        session = await super().optional(request)
        if (session is not None and session.account.role == "network_coordinator"
                and request.url.path not in NETWORK_COORDINATOR_PATHS):
            raise NotFound("no such page")
        return session


STAFF: SignedIn[StaffSession] = CaseSideStaff(cookie=COOKIE, lookup=find_session, sign_in_at=_sign_in_at,
                                              not_signed_in=lambda request: NotSignedIn("sign in first"))


async def require_session(request: Request, session: Annotated[StaffSession, Depends(STAFF.api)]) -> StaffSession:
    """The API's signed-in person; what changes something also carries the session's CSRF token in a header."""
    if request.method not in ("GET", "HEAD") and not same_token(request.headers.get("x-csrf-token"), session.csrf):
        raise CsrfFailed("the X-CSRF-Token header is missing or wrong")
    return session


def sign_in_throttle(settings: RoutingSettings) -> SignInThrottle:
    """The app's one throttle of password guessers, made with the settings' limits."""
    return SignInThrottle(client_failures=settings.sign_in_client_failures,
                          free_failures=settings.sign_in_free_failures,
                          account_failures=settings.sign_in_account_failures, window_s=settings.sign_in_window_s)


async def _throttle(request: Request) -> SignInThrottle:
    throttle: SignInThrottle = request.app.state.sign_in_throttle
    return throttle


ThrottleDep = Annotated[SignInThrottle, Depends(_throttle)]


def _role(allowed: Callable[[Account], bool]) -> Callable[[StaffSession], bool]:
    return lambda session: allowed(session.account)


SessionDep = Annotated[StaffSession, Depends(require_session)]
OptionalSession = Annotated[StaffSession | None, Depends(STAFF.optional)]
# A page's signed-in person; someone whose role the page is not for goes home ("/").
StaffPage = Annotated[StaffSession, Depends(STAFF.page())]
QueuePage = Annotated[StaffSession, Depends(STAFF.page(_role(may_see_queue)))]
# The statistics are a place people are sent to by link and by habit: one whose role may not see them
# (a professional) is told so, in their language, rather than dropped silently on the queue.
StatisticsPage = Annotated[StaffSession, Depends(_told_why(may_see_statistics, "statistics"))]
AdminPage = Annotated[StaffSession, Depends(STAFF.page(_role(may_administer)))]


def set_session_cookie(response: Response, token: str, settings: RoutingSettings) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure where the settings ask for it."""
    sessions.set_session_cookie(response, COOKIE, token, max_age_s=SESSION_HOURS * 3600,
                                secure=settings.cookie_secure)


def clear_session_cookie(response: Response) -> None:
    """Ask the browser to forget the session cookie."""
    sessions.clear_session_cookie(response, COOKIE)
