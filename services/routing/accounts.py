"""Staff accounts: argon2id passwords, lock-out after repeated failures, short sessions with a CSRF token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.db import Conn
from shared.errors import Conflict, DomainError, InvalidCommand, TooManyAttempts, Unauthorized
from shared.outbox import enqueue
from shared.sealing import Keyring
from shared.staff import staff_record
from shared.topics import staff_topic

log = structlog.get_logger(__name__)
Role = Literal["coordinator", "professional", "manager", "admin"]
ROLES: tuple[Role, ...] = ("coordinator", "professional", "manager", "admin")
MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 8
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("no such account")


class SignInFailed(Unauthorized):
    code = "sign_in_failed"


class AccountLocked(TooManyAttempts):
    code = "account_locked"


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


ACCOUNT_COLUMNS = "id, username, display_name, role, region, team_id, language"


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
    async with conn.transaction():
        row = await conn.fetchrow(
            f"INSERT INTO accounts (id, username, display_name, role, region, team_id, language, password_hash,"
            f" email) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING {ACCOUNT_COLUMNS}",
            account_id, username, display_name, role, region, team_id, language, _HASHER.hash(password), email)
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
    rows = await conn.fetch("SELECT username, display_name, role, team_id FROM accounts WHERE region = $1"
                            " ORDER BY role, username", region)
    return [dict(r) for r in rows]


async def sign_in(conn: Conn, username: str, password: str, now: datetime | None = None) -> Account:
    now = now or datetime.now(UTC)
    failure: DomainError | None = None
    async with conn.transaction():  # the failure count commits before the error is raised
        row = await conn.fetchrow(
            f"SELECT {ACCOUNT_COLUMNS}, password_hash, failures, locked_until FROM accounts"
            " WHERE username = $1 AND active FOR UPDATE", username)
        if row is None:
            _verify(_DUMMY_HASH, password)  # the same work, so usernames can't be probed by time
            failure = SignInFailed("the username or the password is wrong")
        elif row["locked_until"] is not None and row["locked_until"] > now:
            failure = AccountLocked("too many failed sign-ins; try again later",
                                    retry_after=int((row["locked_until"] - now).total_seconds()) + 1)
        elif not _verify(row["password_hash"], password):
            failures = row["failures"] + 1
            locked = now + timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILURES else None
            await conn.execute("UPDATE accounts SET failures = $2, locked_until = $3 WHERE id = $1",
                               row["id"], 0 if locked else failures, locked)
            log.warning("account.sign_in_failed", account_id=row["id"], locked=locked is not None)
            failure = SignInFailed("the username or the password is wrong")
        else:
            await conn.execute("UPDATE accounts SET failures = 0, locked_until = NULL WHERE id = $1", row["id"])
    if failure is not None:
        raise failure
    return account_from_row(row)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def open_session(conn: Conn, account: Account) -> str:
    """A new random token each sign-in (no session fixation); only its hash is stored."""
    token = secrets.token_urlsafe(32)
    await conn.execute("DELETE FROM staff_sessions WHERE expires_at < now()")
    await conn.execute(
        "INSERT INTO staff_sessions (token_hash, account_id, csrf, expires_at) VALUES ($1, $2, $3, $4)",
        _token_hash(token), account.id, secrets.token_urlsafe(24), datetime.now(UTC) + timedelta(hours=SESSION_HOURS))
    log.info("account.signed_in", account_id=account.id, role=account.role)
    return token


async def find_session(conn: Conn, token: str | None) -> StaffSession | None:
    if not token:
        return None
    row = await conn.fetchrow(
        f"SELECT s.csrf, {', '.join('a.' + c for c in ACCOUNT_COLUMNS.split(', '))} FROM staff_sessions s"
        " JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1 AND s.expires_at > now() AND a.active",
        _token_hash(token))
    return StaffSession(account=account_from_row(row), csrf=row["csrf"]) if row else None


async def close_session(conn: Conn, token: str | None) -> None:
    if token:
        await conn.execute("DELETE FROM staff_sessions WHERE token_hash = $1", _token_hash(token))


async def team_of(conn: Conn, account_id: str, region: str) -> str | None:
    """The team of an active professional of ``region``, or None."""
    value = await conn.fetchval("SELECT team_id FROM accounts WHERE id = $1 AND region = $2 AND active"
                                " AND role = 'professional'", account_id, region)
    return str(value) if value is not None else None
