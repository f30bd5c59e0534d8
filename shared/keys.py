"""Keeping case keys from the compacted key topic, for services that open sealed data (routing, notify)."""

from __future__ import annotations

from shared.compacted import CompactedTable
from shared.db import Conn
from shared.sealing import Keyring, WrappedKey

# The key topic: a wrapped data key, or a tombstone that erases the case's key.
on_case_key = CompactedTable(
    table="case_keys", model=WrappedKey, what="a wrapped key",
    columns=(("case_id", "uuid"), ("region", "text"), ("kek_id", "text"), ("nonce", "text"), ("wrapped", "text")),
    row=lambda key: (key.case_id, key.region, key.kek_id, key.nonce, key.wrapped),
    updated=("kek_id", "nonce", "wrapped"))


async def data_key(conn: Conn, case_id: object, keyring: Keyring) -> bytes | None:
    """The case's data key opened with the KEK it names, or None once it is erased."""
    row = await conn.fetchrow("SELECT case_id, region, kek_id, nonce, wrapped FROM case_keys WHERE case_id = $1",
                              case_id)
    return keyring.unwrap(WrappedKey(**dict(row))) if row is not None else None
