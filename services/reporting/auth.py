"""Who may see the statistics: managers, coordinators and admins, vouched for by routing.

Reporting keeps no passwords. A page opened without a session sends the browser to routing's
``/pass/reporting``, which signs the person in if needed and sends them back with a signed,
one-minute, single-use pass (:mod:`shared.staffpass`). Reporting then opens a session of its
own. Every request checks the staff directory that routing publishes: an account deactivated or
moved to another role or region loses its statistics session at once, and signing out of routing ends it
(routing republishes the record with ``signed_out_at``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from shared.db import Conn
from shared.errors import Forbidden, Unauthorized
from shared.sessions import take_pass_once, token_digest
from shared.staffpass import STATISTICS_ROLES, InvalidPass, StaffPass

COOKIE = "apua_reports"


@dataclass(frozen=True)
class Viewer:
    account_id: str
    role: str
    region: str
    language: str
    csrf: str


class NotSignedIn(Unauthorized):
    code = "not_signed_in"


class NotForYourRole(Forbidden):
    code = "not_for_your_role"


async def accept_pass(conn: Conn, staff_pass: StaffPass, hours: int) -> str:
    """Take a verified pass once and open a session for it; returns the session token.

    Who the person is comes from the pass; what they may see (role, region) from the staff directory. A
    pass whose role or region is not the account's, or from a routing session the person has since
    signed out of, is refused.
    """
    async with conn.transaction():
        if not await take_pass_once(conn, staff_pass.nonce):
            raise InvalidPass("the pass has been used already")
        directory = await conn.fetchrow(
            "SELECT role, region FROM staff_accounts WHERE account_id = $1 AND active"
            " AND (signed_out_at IS NULL OR signed_out_at < $2)", staff_pass.account_id, staff_pass.session_started)
        if directory is None or directory["role"] not in STATISTICS_ROLES:
            raise InvalidPass("the account is not active in the staff directory with a role that sees statistics")
        if (directory["role"], directory["region"]) != (staff_pass.role, staff_pass.region):
            raise InvalidPass("the pass's role or region is not the account's own")
        token = secrets.token_urlsafe(32)
        await conn.execute("DELETE FROM sessions WHERE expires_at < now()")
        await conn.execute(
            "INSERT INTO sessions (token_hash, account_id, role, region, language, csrf, expires_at,"
            " routing_session_started) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", token_digest(token),
            staff_pass.account_id, directory["role"], directory["region"], staff_pass.language,
            secrets.token_urlsafe(24), datetime.now(UTC) + timedelta(hours=hours), staff_pass.session_started)
    return token


async def find_viewer(conn: Conn, token: str | None) -> Viewer | None:
    """The viewer of a session token, with the role and region the staff directory gives the account now.

    ``None`` for none, an expired session, an account disabled or moved to another role or region, and a
    session whose routing session the person has signed out of.
    """
    if not token:
        return None
    row = await conn.fetchrow(
        "SELECT s.account_id, a.role, a.region, s.language, s.csrf FROM sessions s"
        " JOIN staff_accounts a ON a.account_id = s.account_id AND a.active AND a.role = s.role"
        " AND a.region = s.region"
        " WHERE s.token_hash = $1 AND s.expires_at > now()"
        " AND (a.signed_out_at IS NULL OR a.signed_out_at < s.routing_session_started)", token_digest(token))
    if row is None or row["role"] not in STATISTICS_ROLES:
        return None
    return Viewer(**dict(row))


async def close_session(conn: Conn, token: str | None) -> None:
    """End the session of ``token``, if there is one."""
    if token:
        await conn.execute("DELETE FROM sessions WHERE token_hash = $1", token_digest(token))


def pass_url(staff_url: str, next_path: str) -> str:
    """Routing's address (``staff_url``) that signs the person in (if need be) and sends them back with a pass."""
    return f"{staff_url.rstrip('/')}/pass/reporting?{urlencode({'next': next_path})}"
