"""Staff accounts: argon2id passwords checked off the event loop, short sessions with a CSRF token."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import anyio.to_thread
import asyncpg
import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.routing.directory import publish_record
from shared.db import Conn
from shared.errors import Conflict, InvalidCommand, Unauthorized
from shared.outbox import enqueue
from shared.sealing import Keyring
from shared.sessions import token_digest
from shared.staff import staff_record
from shared.topics import staff_topic

log = structlog.get_logger(__name__)
# A network coordinator runs the change agents' network (services/network): signed in here and passed on there,
# shown nothing of cases (web.CaseSideStaff).
Role = Literal["coordinator", "professional", "manager", "admin", "network_coordinator"]
ROLES: tuple[Role, ...] = ("coordinator", "professional", "manager", "admin", "network_coordinator")
SESSION_HOURS = 8
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("no such account")
# Runs a password check off the event loop (SignInThrottle.in_thread).
Hashing = Callable[[Callable[[], bool]], Awaitable[bool]]


class SignInFailed(Unauthorized):
    code = "sign_in_failed"


@dataclass(frozen=True)
class Account:
    id: str
    username: str
    display_name: str
    role: Role
    region: str
    team_id: str | None
    language: str


@dataclass(frozen=True)
class StaffSession:
    account: Account
    csrf: str
    started_at: datetime


ACCOUNT_COLUMNS = "id, username, display_name, role, region, team_id, language"


async def hash_password(password: str) -> str:
    """The argon2id hash of ``password``: ~50 ms of CPU, so off the event loop."""
    return await anyio.to_thread.run_sync(_HASHER.hash, password)


def account_from_row(row: object) -> Account:
    r = dict(row)  # type: ignore[call-overload]
    return Account(id=r["id"], username=r["username"], display_name=r["display_name"], role=r["role"],
                   region=r["region"], team_id=r["team_id"], language=r["language"])


async def add_account(conn: Conn, *, username: str, display_name: str, role: Role, region: str,
                      team_id: str | None, password: str, language: str = "fi", email: str | None = None,
                      keyring: Keyring | None = None, topic_prefix: str | None = None) -> Account:
    """Add an account; with ``keyring`` and ``topic_prefix`` it also goes into the region's staff directory."""
    if role not in ROLES:
        raise InvalidCommand(f"role must be one of {', '.join(ROLES)}")
    if role == "professional" and not team_id:
        raise InvalidCommand("a professional belongs to a team")
    if len(password) < 12:
        raise InvalidCommand("a password has at least 12 characters")
    account_id = username.lower()
    password_hash = await hash_password(password)
    async with conn.transaction():
        row = await conn.fetchrow(
            f"INSERT INTO accounts (id, username, display_name, role, region, team_id, language, password_hash,"
            f" email) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING {ACCOUNT_COLUMNS}",
            account_id, username, display_name, role, region, team_id, language, password_hash, email)
        if row is None:
            raise Conflict(f"an account '{username}' exists already")
        if keyring is not None and topic_prefix is not None:
            record = staff_record(account_id=account_id, region=region, role=role, team_id=team_id,
                                  language=language, active=True, email=email, keyring=keyring)
            await enqueue(conn, staff_topic(topic_prefix, region), account_id.encode(),
                          record.model_dump_json().encode(), [("type", "staff.account")])
    log.info("account.added", account_id=account_id, role=role, region=region)
    return account_from_row(row)


async def active_account(conn: Conn, username: str) -> Account | None:
    """The active account of ``username``, or None."""
    row = await conn.fetchrow(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = $1 AND active", username)
    return account_from_row(row) if row is not None else None


async def accounts_of(conn: Conn, region: str) -> list[dict[str, object]]:
    """The region's accounts as the admin's list shows them: by role, then username."""
    rows = await conn.fetch("SELECT id, username, display_name, role, team_id, active FROM accounts WHERE region = $1"
                            " ORDER BY role, username", region)
    return [dict(r) for r in rows]


async def find_password(conn: Conn, username: str) -> asyncpg.Record | None:
    """The active account of ``username`` with its password hash, or None."""
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {ACCOUNT_COLUMNS}, password_hash FROM accounts WHERE username = $1 AND active", username)
    return row


async def check_password(row: asyncpg.Record | None, password: str, *, hashing: Hashing) -> Account:
    """The account of ``row`` (from :func:`find_password`) if ``password`` is its own; else SignInFailed.

    A wrong password never locks the account (see services.routing.throttle: the guesser is slowed
    instead). An unknown username (no row) costs the same hash as a known one, so time does not tell them
    apart, and gets the same error.
    """
    stored = row["password_hash"] if row is not None else _DUMMY_HASH
    right = await hashing(lambda: _verify(stored, password))
    if row is None or not right:
        if row is not None:
            log.warning("account.sign_in_failed", account_id=row["id"])
        raise SignInFailed("the username or the password is wrong")
    return account_from_row(row)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def open_session(conn: Conn, account: Account) -> str:
    """A new random token each sign-in (no session fixation); only its hash is stored."""
    token = secrets.token_urlsafe(32)
    await conn.execute("DELETE FROM staff_sessions WHERE expires_at < now()")
    await conn.execute(
        "INSERT INTO staff_sessions (token_hash, account_id, csrf, expires_at) VALUES ($1, $2, $3, $4)",
        token_digest(token), account.id, secrets.token_urlsafe(24), datetime.now(UTC) + timedelta(hours=SESSION_HOURS))
    log.info("account.signed_in", account_id=account.id, role=account.role)
    return token


async def find_session(conn: Conn, token: str | None) -> StaffSession | None:
    if not token:
        return None
    row = await conn.fetchrow(
        f"SELECT s.csrf, s.expires_at, {', '.join('a.' + c for c in ACCOUNT_COLUMNS.split(', '))}"
        " FROM staff_sessions s JOIN accounts a ON a.id = s.account_id"
        " WHERE s.token_hash = $1 AND s.expires_at > now() AND a.active", token_digest(token))
    if row is None:
        return None
    # A session lasts SESSION_HOURS from its start, so its end tells when it began.
    return StaffSession(account=account_from_row(row), csrf=row["csrf"],
                        started_at=row["expires_at"] - timedelta(hours=SESSION_HOURS))


async def close_session(conn: Conn, token: str | None) -> None:
    if token:
        await conn.execute("DELETE FROM staff_sessions WHERE token_hash = $1", token_digest(token))


async def publish_signed_out(conn: Conn, account: Account, *, at: datetime, keyring: Keyring,
                             topic_prefix: str) -> None:
    """Put the account's directory record out again with ``signed_out_at``: the statistics sessions that
    routing vouched for before ``at`` end (services.reporting.auth)."""
    await publish_record(conn, account.id, keyring=keyring, topic_prefix=topic_prefix, signed_out_at=at, now=at)
    log.info("account.signed_out", account_id=account.id)


async def team_of(conn: Conn, account_id: str, region: str) -> str | None:
    """The team of an active professional of ``region``, or None."""
    value = await conn.fetchval("SELECT team_id FROM accounts WHERE id = $1 AND region = $2 AND active"
                                " AND role = 'professional'", account_id, region)
    return str(value) if value is not None else None
