"""Network coordinators: vouched for by routing (a signed, one-minute, single-use pass, shared/staffpass.py), then a
session of the network's own. Only the role ``network_coordinator`` comes in; for anyone else the coordinators'
pages do not exist (404), so case staff learn nothing of the network and the network nothing of them.

Who the person is comes from the pass; whether they may be here from routing's staff directory, which the network
projects (projection.py): every request checks that the account is active, still a network coordinator of the
session's region, and has not signed out of routing since the session began. Any of those ends the session at once,
not when its hours run out. Every form a coordinator posts carries the session's CSRF token (a cookie alone is not
enough: SameSite=Lax still lets a top-level cross-site navigation through, and a sibling subdomain is same-site).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import structlog
from fastapi import Depends, Request

from shared.app import get_runtime
from shared.db import Conn
from shared.errors import Forbidden, NotFound
from shared.http import same_token
from shared.sessions import take_pass_once, token_digest
from shared.staffpass import InvalidPass, read_pass

log = structlog.get_logger(__name__)
COOKIE = "apua_network"
ROLE = "network_coordinator"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Coordinator:
    account_id: str
    region: str
    language: str
    csrf: str


class FormRefused(Forbidden):
    """A coordinator's form without the session's CSRF token (another site's form, or a page from before)."""

    code = "form_refused"


async def accept_pass(conn: Conn, *, secret: str, token: str, hours: int, regions: set[str]) -> tuple[str, str]:
    """A session token and the language for a valid pass of an active network coordinator of a region served here,
    whose role and region in the staff directory are the pass's; NotFound for any other pass (a forged, used or
    expired one, another role's, a disabled or moved account's, or one from a routing session signed out of)."""
    try:
        staff_pass = read_pass(secret, token[:2000])
    except InvalidPass:
        raise NotFound("no such page") from None
    if staff_pass.role != ROLE or staff_pass.region not in regions:
        raise NotFound("no such page")
    async with conn.transaction():
        if not await take_pass_once(conn, staff_pass.nonce):
            raise NotFound("no such page")
        # Raising rolls the nonce back: a pass refused before the directory caught up can be asked for again.
        listed = await conn.fetchval(
            "SELECT true FROM staff_accounts WHERE account_id = $1 AND active AND role = $2 AND region = $3"
            " AND (signed_out_at IS NULL OR signed_out_at < $4)", staff_pass.account_id, ROLE, staff_pass.region,
            staff_pass.session_started)
        if not listed:
            raise NotFound("no such page")
        session = secrets.token_urlsafe(32)
        await conn.execute("DELETE FROM coordinator_sessions WHERE expires_at < now()")
        await conn.execute(
            "INSERT INTO coordinator_sessions (token_hash, account_id, region, language, expires_at, csrf,"
            " routing_session_started) VALUES ($1, $2, $3, $4, $5, $6, $7)", token_digest(session),
            staff_pass.account_id, staff_pass.region, staff_pass.language,
            datetime.now(UTC) + timedelta(hours=hours), secrets.token_urlsafe(24), staff_pass.session_started)
    return session, staff_pass.language


async def find_coordinator(conn: Conn, token: str | None) -> Coordinator | None:
    """The coordinator of a session token as the staff directory has them now; a session the directory no longer
    vouches for (disabled, another role or region, signed out of routing) is deleted and answers None."""
    if not token:
        return None
    digest = token_digest(token[:100])
    row = await conn.fetchrow(
        "SELECT s.account_id, a.region, s.language, s.csrf FROM coordinator_sessions s"
        " JOIN staff_accounts a ON a.account_id = s.account_id AND a.active AND a.role = $2 AND a.region = s.region"
        " WHERE s.token_hash = $1 AND s.expires_at > now() AND s.csrf <> '' AND s.routing_session_started IS NOT NULL"
        " AND (a.signed_out_at IS NULL OR a.signed_out_at < s.routing_session_started)", digest, ROLE)
    if row is None:
        if await conn.fetchval("DELETE FROM coordinator_sessions WHERE token_hash = $1 RETURNING true", digest):
            log.info("network.coordinator_session_ended")  # disabled, moved, signed out, or past its hours
        return None
    return Coordinator(**dict(row))


async def end_session(conn: Conn, token: str | None) -> None:
    if token:
        await conn.execute("DELETE FROM coordinator_sessions WHERE token_hash = $1", token_digest(token[:100]))


async def _sent_token(request: Request) -> str | None:
    """The CSRF token a write sent back: the form's hidden field, or the header a script sets."""
    header = request.headers.get("x-csrf-token")
    if header is not None:
        return header
    form = await request.form()  # parsed once: the route's own form parameters read the same copy
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


async def coordinator(request: Request) -> Coordinator:
    """A route's network coordinator; for anyone else the route does not exist (404). A write (any method but
    GET and HEAD) must send the session's CSRF token back, or it is refused (403) and nothing changes."""
    async with get_runtime(request).db().acquire() as conn:
        found = await find_coordinator(conn, request.cookies.get(COOKIE))
    if found is None:
        raise NotFound("no such page")
    request.state.csrf = found.csrf  # for the forms of the page this request renders
    if request.method not in SAFE_METHODS and not same_token(await _sent_token(request), found.csrf):
        log.info("network.coordinator_form_refused", account_id=found.account_id)
        raise FormRefused("the form did not carry this session's token; open the page again and send it from there",
                          language=found.language)
    return found


CoordinatorDep = Annotated[Coordinator, Depends(coordinator)]
