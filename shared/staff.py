"""The staff directory on the region's compacted ``staff`` topic: who works where, and how to reach them.

Routing owns the accounts; notify needs their address and language. An address is personal data:
it travels sealed with a key of the account's own, wrapped with the region's KEK, so removing an
account (a tombstone) shreds its address everywhere the topic reaches.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from shared.places import STAFF_EMAIL, STAFF_RESET_TOKEN
from shared.sealing import Keyring, Sealed, WrappedKey, new_data_key, seal, unseal

STAFF_NAMESPACE = uuid.UUID("6d1f0c8e-3b7a-4c52-9f1e-2a8b7c6d5e40")


def account_uuid(account_id: str) -> uuid.UUID:
    """A stable UUID per account, binding its sealed fields to it."""
    return uuid.uuid5(STAFF_NAMESPACE, account_id)


class Absence(BaseModel):
    """A professional away from ``starts`` to ``ends`` (Helsinki dates, inclusive); their substitute, a person or
    a team, gets what would have gone to them (none: their team's mailbox)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    absence_id: uuid.UUID
    starts: date
    ends: date
    substitute_kind: Literal["professional", "team"] | None = None
    substitute_id: str | None = None

    def covers(self, day: date) -> bool:
        return self.starts <= day <= self.ends


class StaffRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    account_id: str
    region: str
    role: str
    team_id: str | None
    language: str
    active: bool
    key: WrappedKey
    email: Sealed | None
    # When the person last signed out of the staff pages: their statistics sessions from before end too.
    # Records written before this field read as None (never signed out), so old records stay valid.
    signed_out_at: datetime | None = None
    # Absences now and ahead (records written before absences existed read as none).
    absences: tuple[Absence, ...] = ()

    def absence_on(self, day: date) -> Absence | None:
        return next((a for a in self.absences if a.covers(day)), None)


def staff_record(*, account_id: str, region: str, role: str, team_id: str | None, language: str, active: bool,
                 email: str | None, keyring: Keyring, signed_out_at: datetime | None = None,
                 absences: tuple[Absence, ...] = ()) -> StaffRecord:
    ident = account_uuid(account_id)
    data_key = new_data_key()
    return StaffRecord(account_id=account_id, region=region, role=role, team_id=team_id, language=language,
                       active=active, key=keyring.wrap(ident, region, data_key),
                       email=seal(data_key, ident, email, STAFF_EMAIL) if email else None, signed_out_at=signed_out_at,
                       absences=absences)


def open_email(record: StaffRecord, keyring: Keyring) -> str | None:
    if record.email is None:
        return None
    value = unseal(keyring.unwrap(record.key), account_uuid(record.account_id), record.email, STAFF_EMAIL)
    return value if isinstance(value, str) else None


# A password reset travels on the same topic under a key of its own ("reset:<account id>"), so that notify can
# mail the one-time link; routing puts a tombstone there once the link is used or replaced, and compaction
# takes the sealed token away.
RESET_PREFIX = b"reset:"


def reset_key(account_id: str) -> bytes:
    return RESET_PREFIX + account_id.encode()


class PasswordReset(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    reset_id: uuid.UUID
    account_id: str
    region: str
    requested_at: datetime
    expires_at: datetime
    key: WrappedKey
    token: Sealed


def password_reset(*, reset_id: uuid.UUID, account_id: str, region: str, requested_at: datetime,
                   expires_at: datetime, token: str, keyring: Keyring) -> PasswordReset:
    data_key = new_data_key()
    return PasswordReset(reset_id=reset_id, account_id=account_id, region=region, requested_at=requested_at,
                         expires_at=expires_at, key=keyring.wrap(reset_id, region, data_key),
                         token=seal(data_key, reset_id, token, STAFF_RESET_TOKEN))


def open_reset_token(reset: PasswordReset, keyring: Keyring) -> str | None:
    value = unseal(keyring.unwrap(reset.key), reset.reset_id, reset.token, STAFF_RESET_TOKEN)
    return value if isinstance(value, str) else None


RecordHandler = Callable[[Any, Any], Awaitable[None]]


def directory_only(handler: RecordHandler) -> RecordHandler:
    """``handler`` for the staff topic's directory records; a password reset's record passes it by."""
    async def handle(conn: Any, record: Any) -> None:
        if record.key is not None and record.key.startswith(RESET_PREFIX):
            return
        await handler(conn, record)
    return handle
