"""Keeping case keys from the compacted key topic, for services that open sealed data (routing, notify)."""

from __future__ import annotations

from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from shared.applier import PoisonRecord
from shared.db import Conn
from shared.sealing import WrappedKey, unwrap_key

CASE_KEYS_DDL = """
CREATE TABLE case_keys (
    case_id uuid PRIMARY KEY,
    region text NOT NULL,
    kek_id text NOT NULL,
    nonce text NOT NULL,
    wrapped text NOT NULL
);
"""


async def on_case_key(conn: Conn, record: ConsumerRecord[bytes, bytes]) -> None:
    """The key topic: a wrapped data key, or a tombstone that erases the case's key."""
    if record.value is None:
        if record.key is not None:
            await conn.execute("DELETE FROM case_keys WHERE case_id = $1::uuid", record.key.decode())
        return
    try:
        key = WrappedKey.model_validate_json(record.value)
    except ValidationError as exc:
        raise PoisonRecord(f"not a wrapped key: {exc.error_count()} problem(s)") from exc
    await conn.execute(
        "INSERT INTO case_keys (case_id, region, kek_id, nonce, wrapped) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (case_id) DO UPDATE SET kek_id = EXCLUDED.kek_id, nonce = EXCLUDED.nonce,"
        " wrapped = EXCLUDED.wrapped",
        key.case_id, key.region, key.kek_id, key.nonce, key.wrapped,
    )


async def data_key(conn: Conn, case_id: object, kek: bytes) -> bytes | None:
    """The case's data key opened with the KEK, or None once it is erased."""
    row = await conn.fetchrow("SELECT case_id, region, kek_id, nonce, wrapped FROM case_keys WHERE case_id = $1",
                              case_id)
    return unwrap_key(kek, WrappedKey(**dict(row))) if row is not None else None
