"""Signing staff in and out of routing's pages and API: the session cookie, CSRF, roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.routing.accounts import StaffSession, find_session
from shared.app import get_runtime
from shared.errors import Forbidden, Unauthorized

__all__ = ["COOKIE", "CsrfFailed", "Forbidden", "NotSignedIn", "SessionDep", "optional_session", "require_session"]

COOKIE = "apua_staff"


class NotSignedIn(Unauthorized):
    code = "not_signed_in"


class CsrfFailed(Forbidden):
    code = "csrf_failed"


async def optional_session(request: Request) -> StaffSession | None:
    runtime = get_runtime(request)
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        return await find_session(conn, request.cookies.get(COOKIE))


async def require_session(request: Request) -> StaffSession:
    session = await optional_session(request)
    if session is None:
        raise NotSignedIn("sign in first")
    if request.method not in ("GET", "HEAD") and request.url.path.startswith("/api/"):
        if request.headers.get("x-csrf-token") != session.csrf:
            raise CsrfFailed("the X-CSRF-Token header is missing or wrong")
    return session


SessionDep = Annotated[StaffSession, Depends(require_session)]
