"""Changing staff accounts: disable and enable, role, team and language, password resets and a person's own
password. Every change is a row of the account's history and a record on the region's audit stream, and the
account's directory record goes out again so that reporting and notify see the same account.

A change that takes away what a session was opened with (disabling, a new role or team, a new password) ends
the person's sessions at once: routing's rows are deleted, and the directory record carries ``signed_out_at``,
which ends the statistics sessions that routing vouched for before it (services/reporting/auth.py).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import orjson
import structlog

from services.routing.accounts import ROLES, Account, Hashing, account_from_row, check_password, hash_password
from services.routing.directory import publish_record
from shared.db import Conn
from shared.errors import Conflict, InvalidCommand, NotFound
from shared.outbox import enqueue
from shared.sealing import Keyring
from shared.sessions import token_digest
from shared.staff import password_reset, reset_key
from shared.topics import audit_topic, staff_topic

log = structlog.get_logger(__name__)
Change = Literal["disabled", "enabled", "role", "team", "language", "password_reset_sent", "password_set",
                 "password_changed", "absence", "absence_cancelled"]
RESET_HOURS = 24
MIN_PASSWORD = 12
LANGUAGES = ("fi", "sv", "en")


@dataclass(frozen=True)
class Directory:
    """Where an account's changes are published: the KEK ring (the record's sealed address) and the topics."""

    keyring: Keyring
    topic_prefix: str


async def _locked(conn: Conn, account_id: str, region: str) -> dict[str, object]:
    row = await conn.fetchrow("SELECT id, username, display_name, role, region, team_id, language, active, email"
                              " FROM accounts WHERE id = $1 AND region = $2 FOR UPDATE", account_id, region)
    if row is None:
        raise NotFound(f"no account '{account_id}' in this region")
    return dict(row)


async def record_change(conn: Conn, *, account_id: str, region: str, by: str, change: Change, before: str | None,
                        after: str | None, at: datetime, directory: Directory, end_sessions: bool = False) -> None:
    """The history row, the audit record and the directory record of one change, in the caller's transaction."""
    await conn.execute("INSERT INTO account_history (account_id, at, by_account, change, from_value, to_value)"
                       " VALUES ($1, $2, $3, $4, $5, $6)", account_id, at, by, change, before, after)
    audit = {"type": "staff.account_changed", "at": at.isoformat(), "account_id": account_id, "by": by,
             "change": change, "from": before, "to": after, "region": region}
    await enqueue(conn, audit_topic(directory.topic_prefix, region), account_id.encode(), orjson.dumps(audit),
                  [("type", "staff.account_changed")])
    if end_sessions:
        await conn.execute("DELETE FROM staff_sessions WHERE account_id = $1", account_id)
    await publish_record(conn, account_id, keyring=directory.keyring, topic_prefix=directory.topic_prefix,
                         signed_out_at=at if end_sessions else None, now=at)
    log.info("account.changed", account_id=account_id, change=change, by=by)


async def _record(conn: Conn, account: dict[str, object], *, by: str, change: Change, before: str | None,
                  after: str | None, at: datetime, directory: Directory, end_sessions: bool) -> None:
    await record_change(conn, account_id=str(account["id"]), region=str(account["region"]), by=by, change=change,
                        before=before, after=after, at=at, directory=directory, end_sessions=end_sessions)


async def set_active(conn: Conn, *, account_id: str, region: str, active: bool, by: str, directory: Directory,
                     now: datetime | None = None) -> None:
    """Disable (sessions end at once everywhere; notify stops mailing) or enable an account; idempotent."""
    now = now or datetime.now(UTC)
    if not active and account_id == by:
        raise InvalidCommand("you cannot disable your own account", field="account")
    async with conn.transaction():
        account = await _locked(conn, account_id, region)
        if bool(account["active"]) == active:
            return
        account["active"] = active
        await conn.execute("UPDATE accounts SET active = $2 WHERE id = $1", account_id, active)
        await _record(conn, account, by=by, change="enabled" if active else "disabled", before=None, after=None,
                      at=now, directory=directory, end_sessions=not active)


async def change(conn: Conn, *, account_id: str, region: str, by: str, directory: Directory,
                 role: str | None = None, team_id: str | None = None, language: str | None = None,
                 now: datetime | None = None) -> list[Change]:
    """Change the role, the team or the language (those given); returns what changed.

    A new role or team ends the person's sessions: a session must not keep the rights it was opened with."""
    now = now or datetime.now(UTC)
    if role is not None and role not in ROLES:
        raise InvalidCommand(f"role must be one of {', '.join(ROLES)}", field="role")
    if language is not None and language not in LANGUAGES:
        raise InvalidCommand("language must be fi, sv or en", field="language")
    wanted: list[tuple[Change, str, str | None]] = []
    if role is not None:
        wanted.append(("role", "role", role))
    if team_id is not None:
        wanted.append(("team", "team_id", team_id or None))  # "" takes the person out of every team
    if language is not None:
        wanted.append(("language", "language", language))
    done: list[Change] = []
    async with conn.transaction():
        account = await _locked(conn, account_id, region)
        if team_id and not await conn.fetchval("SELECT true FROM teams WHERE id = $1 AND region = $2",
                                               team_id, region):
            raise InvalidCommand(f"no team '{team_id}' in this region", field="team")
        new_role = role if role is not None else account["role"]
        new_team = (team_id or None) if team_id is not None else account["team_id"]
        if new_role == "professional" and not new_team:
            raise InvalidCommand("a professional belongs to a team", field="team")
        if account_id == by and role is not None and role != account["role"]:
            raise InvalidCommand("you cannot change your own role", field="role")  # nor leave a region without
        for what, column, value in wanted:
            before = account[column]
            if before == value:
                continue
            account[column] = value
            await conn.execute(f"UPDATE accounts SET {column} = $2 WHERE id = $1", account_id, value)
            await _record(conn, account, by=by, change=what, before=str(before) if before else None,
                          after=value, at=now, directory=directory, end_sessions=what in ("role", "team"))
            done.append(what)
    return done


async def start_reset(conn: Conn, *, account_id: str, region: str, by: str, directory: Directory,
                      now: datetime | None = None) -> datetime:
    """A one-time link, valid RESET_HOURS, mailed by notify to the account's own address; returns its expiry.

    Only the token's hash stays here; the token travels sealed on the staff topic under the reset's own key and
    is never logged. A new link replaces any earlier one."""
    now = now or datetime.now(UTC)
    async with conn.transaction():
        account = await _locked(conn, account_id, region)
        if not account["active"]:
            raise Conflict("the account is disabled: enable it first")
        if not account["email"]:
            raise InvalidCommand("the account has no e-mail address for the link", field="account")
        token = secrets.token_urlsafe(32)
        reset_id = uuid.uuid4()
        expires = now + timedelta(hours=RESET_HOURS)
        await conn.execute("DELETE FROM password_resets WHERE account_id = $1", account_id)
        await conn.execute("INSERT INTO password_resets (token_hash, account_id, reset_id, expires_at)"
                           " VALUES ($1, $2, $3, $4)", token_digest(token), account_id, reset_id, expires)
        record = password_reset(reset_id=reset_id, account_id=account_id, region=region, requested_at=now,
                                expires_at=expires, token=token, keyring=directory.keyring)
        await enqueue(conn, staff_topic(directory.topic_prefix, region), reset_key(account_id),
                      record.model_dump_json().encode(), [("type", "staff.password_reset")])
        await _record(conn, account, by=by, change="password_reset_sent", before=None, after=None, at=now,
                      directory=directory, end_sessions=False)
    return expires


async def reset_is_valid(conn: Conn, token: str, now: datetime | None = None) -> bool:
    now = now or datetime.now(UTC)
    return bool(await conn.fetchval(
        "SELECT true FROM password_resets r JOIN accounts a ON a.id = r.account_id"
        " WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 AND a.active",
        token_digest(token), now))


async def finish_reset(conn: Conn, *, token: str, password: str, directory: Directory,
                       now: datetime | None = None) -> str:
    """Set the new password through a link that is valid; the link is used up and every session ends."""
    now = now or datetime.now(UTC)
    _check_new(password)
    password_hash = await hash_password(password)
    async with conn.transaction():
        row = await conn.fetchrow(
            "SELECT r.account_id, a.region FROM password_resets r JOIN accounts a ON a.id = r.account_id"
            " WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 AND a.active FOR UPDATE OF r",
            token_digest(token), now)
        if row is None:
            raise NotFound("the link is used, expired or unknown")
        account = await _locked(conn, row["account_id"], row["region"])
        await conn.execute("UPDATE password_resets SET used_at = $2 WHERE token_hash = $1", token_digest(token), now)
        await conn.execute("UPDATE accounts SET password_hash = $2 WHERE id = $1", row["account_id"], password_hash)
        # The sealed token leaves the topic: a tombstone under the reset's key.
        await enqueue(conn, staff_topic(directory.topic_prefix, row["region"]), reset_key(row["account_id"]), None,
                      [("type", "staff.password_reset")])
        await _record(conn, account, by=row["account_id"], change="password_set", before=None, after=None, at=now,
                      directory=directory, end_sessions=True)
    return str(row["account_id"])


async def change_own_password(conn: Conn, *, account: Account, old: str, new: str, hashing: Hashing,
                              directory: Directory, now: datetime | None = None) -> None:
    """A person changes their own password: the old one first; their other sessions end."""
    now = now or datetime.now(UTC)
    _check_new(new)
    row = await conn.fetchrow("SELECT id, username, display_name, role, region, team_id, language, password_hash"
                              " FROM accounts WHERE id = $1 AND active", account.id)
    await check_password(row, old, hashing=hashing)
    password_hash = await hash_password(new)
    async with conn.transaction():
        locked = await _locked(conn, account.id, account.region)
        await conn.execute("UPDATE accounts SET password_hash = $2 WHERE id = $1", account.id, password_hash)
        await _record(conn, locked, by=account.id, change="password_changed", before=None, after=None, at=now,
                      directory=directory, end_sessions=True)


def _check_new(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidCommand(f"a password has at least {MIN_PASSWORD} characters", field="password")
    if len(password) > 1024:
        raise InvalidCommand("a password has at most 1,024 characters", field="password")


async def history(conn: Conn, *, account_id: str, region: str, limit: int = 100) -> list[dict[str, object]]:
    """The account's changes, newest first, with the name of whoever made each."""
    rows = await conn.fetch(
        "SELECT h.at, h.by_account, b.display_name AS by_name, h.change, h.from_value, h.to_value"
        " FROM account_history h JOIN accounts a ON a.id = h.account_id AND a.region = $2"
        " LEFT JOIN accounts b ON b.id = h.by_account WHERE h.account_id = $1 ORDER BY h.at DESC, h.id DESC"
        " LIMIT $3", account_id, region, limit)
    return [dict(r) for r in rows]


async def account_of(conn: Conn, account_id: str, region: str) -> Account | None:
    row = await conn.fetchrow("SELECT id, username, display_name, role, region, team_id, language FROM accounts"
                              " WHERE id = $1 AND region = $2", account_id, region)
    return account_from_row(row) if row is not None else None
