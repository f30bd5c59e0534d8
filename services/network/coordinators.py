"""Network coordinators: vouched for by routing (a signed, one-minute, single-use pass, shared/staffpass.py), then a
session of the network's own. Only the role ``network_coordinator`` comes in; for anyone else the coordinators'
pages do not exist (404), so case staff learn nothing of the network and the network nothing of them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request

from shared.app import get_runtime
from shared.db import Conn
from shared.errors import NotFound
from shared.sessions import take_pass_once, token_digest
from shared.staffpass import InvalidPass, read_pass

COOKIE = "apua_network"
ROLE = "network_coordinator"


@dataclass(frozen=True)
class Coordinator:
    account_id: str
    region: str
    language: str


async def accept_pass(conn: Conn, *, secret: str, token: str, hours: int, regions: set[str]) -> tuple[str, str]:
    """A session token and the language for a valid pass of a network coordinator of a region served here;
    NotFound for any other pass (a forged, used or expired one, or another role's)."""
    try:
        staff_pass = read_pass(secret, token[:2000])
    except InvalidPass:
        raise NotFound("no such page") from None
    if staff_pass.role != ROLE or staff_pass.region not in regions:
        raise NotFound("no such page")
    async with conn.transaction():
        if not await take_pass_once(conn, staff_pass.nonce):
            raise NotFound("no such page")
        session = secrets.token_urlsafe(32)
        await conn.execute("DELETE FROM coordinator_sessions WHERE expires_at < now()")
        await conn.execute(
            "INSERT INTO coordinator_sessions (token_hash, account_id, region, language, expires_at)"
            " VALUES ($1, $2, $3, $4, $5)", token_digest(session), staff_pass.account_id, staff_pass.region,
            staff_pass.language, datetime.now(UTC) + timedelta(hours=hours))
    return session, staff_pass.language


async def find_coordinator(conn: Conn, token: str | None) -> Coordinator | None:
    if not token:
        return None
    row = await conn.fetchrow("SELECT account_id, region, language FROM coordinator_sessions"
                              " WHERE token_hash = $1 AND expires_at > now()", token_digest(token[:100]))
    return Coordinator(**dict(row)) if row is not None else None


async def end_session(conn: Conn, token: str | None) -> None:
    if token:
        await conn.execute("DELETE FROM coordinator_sessions WHERE token_hash = $1", token_digest(token[:100]))


async def coordinator(request: Request) -> Coordinator:
    """A route's network coordinator; for anyone else the route does not exist (404)."""
    async with get_runtime(request).db().acquire() as conn:
        found = await find_coordinator(conn, request.cookies.get(COOKIE))
    if found is None:
        raise NotFound("no such page")
    return found


CoordinatorDep = Annotated[Coordinator, Depends(coordinator)]
