"""The pick-up codes' hashing key, kept wrapped with the KEK in intake's own table.

Only a keyed hash of each code is kept, so the hashing key cannot change while codes are in use. It was
derived from the KEK; a KEK rotation would then have locked every family out. It is now a secret of its
own, wrapped with the current KEK like a case's data key: ``python -m services.intake keys rewrap`` wraps it
again under a new KEK and its value stays. On the first start of this version it takes the value it had
(derived from the KEK of the day), so codes given out before keep working: rotate only after that start.
"""

from __future__ import annotations

import uuid

from services.intake.family import pickup_key
from services.intake.settings import IntakeSettings
from shared.db import Conn
from shared.sealing import Keyring, WrappedKey

PICKUP = "pickup-code"
# The id the wrapping binds the secret to (a case's key is bound to its case id the same way).
SECRET_NAMESPACE = uuid.UUID("0f3c6b1e-6a51-4f0e-9d7b-4c2a8e5f1b93")
_opened: dict[tuple[str, ...], bytes] = {}


async def pickup_secret(conn: Conn, settings: IntakeSettings) -> bytes:
    """The hashing key of the pick-up codes (kept in memory once opened: its value never changes)."""
    where = (settings.database_url, settings.db_schema, settings.kek_id, *sorted(settings.old_keks))
    if (known := _opened.get(where)) is not None:
        return known
    row = await _read(conn, PICKUP)
    if row is None:
        wrapped = settings.keyring.wrap(uuid.uuid5(SECRET_NAMESPACE, PICKUP), "", pickup_key(settings.kek_bytes))
        await conn.execute("INSERT INTO wrapped_secrets (name, id, kek_id, nonce, wrapped) VALUES ($1, $2, $3, $4, $5)"
                           " ON CONFLICT (name) DO NOTHING", PICKUP, wrapped.case_id, wrapped.kek_id, wrapped.nonce,
                           wrapped.wrapped)
        row = await _read(conn, PICKUP)
        assert row is not None  # inserted just now, or by another instance first
    _opened[where] = value = settings.keyring.unwrap(row)
    return value


async def rewrap_secrets(conn: Conn, keyring: Keyring) -> int:
    """Wrap every secret of intake's again under the current KEK; returns how many were rewrapped."""
    done = 0
    async with conn.transaction():
        for name in await conn.fetch("SELECT name FROM wrapped_secrets WHERE kek_id <> $1 FOR UPDATE",
                                     keyring.current):
            row = await _read(conn, name["name"])
            new = keyring.rewrap(row) if row is not None else None
            if new is not None:
                await conn.execute("UPDATE wrapped_secrets SET kek_id = $2, nonce = $3, wrapped = $4 WHERE name = $1",
                                   name["name"], new.kek_id, new.nonce, new.wrapped)
                done += 1
    return done


async def _read(conn: Conn, name: str) -> WrappedKey | None:
    row = await conn.fetchrow("SELECT id, kek_id, nonce, wrapped FROM wrapped_secrets WHERE name = $1", name)
    if row is None:
        return None
    return WrappedKey(case_id=row["id"], region="", kek_id=row["kek_id"], nonce=row["nonce"], wrapped=row["wrapped"])
