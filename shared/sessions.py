"""Sessions and one-time links, the same in every service: what is stored of a token, the cookie that carries
it, and taking a staff pass only once.

A token is 32 random bytes (``secrets.token_urlsafe``), so its SHA-256 is all a table keeps: no key is needed
against guessing, and a stolen table opens no session. The cookie is HttpOnly, never readable by a script;
SameSite as the service chooses (strict for the family's status page, lax where another service's link leads
in); Secure where the settings ask for it (always in production).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from shared.staffpass import PASS_MAX_AGE_S

if TYPE_CHECKING:  # for the annotations only: a pure module (routing's and the network's domain) may import this
    from starlette.responses import Response

    from shared.db import Conn


def token_digest(token: str) -> bytes:
    """What is stored of a random token: its SHA-256."""
    return hashlib.sha256(token.encode()).digest()


def set_session_cookie(response: Response, name: str, token: str, *, max_age_s: int, secure: bool,
                       samesite: Literal["lax", "strict"] = "lax", path: str = "/") -> None:
    """The session cookie ``name``: HttpOnly, ``samesite``, Secure when ``secure``, for ``max_age_s`` seconds."""
    response.set_cookie(name, token, max_age=max_age_s, httponly=True, samesite=samesite, secure=secure, path=path)


def clear_session_cookie(response: Response, name: str, path: str = "/") -> None:
    """Ask the browser to forget the session cookie ``name`` (set for ``path``)."""
    response.delete_cookie(name, path=path)


async def take_pass_once(conn: Conn, nonce: str) -> bool:
    """Record a staff pass's ``nonce`` as used; False when it was used before (a replayed pass).

    Runs in the caller's transaction, on the service's own ``used_passes`` table. A nonce is kept twice the
    pass's lifetime, longer than any pass bearing it is accepted, and forgotten after that.
    """
    await conn.execute("DELETE FROM used_passes WHERE expires_at < now()")
    fresh = await conn.fetchval(
        "INSERT INTO used_passes (nonce, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
        nonce, datetime.now(UTC) + timedelta(seconds=2 * PASS_MAX_AGE_S))
    return bool(fresh)
