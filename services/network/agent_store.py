"""The agents' own writes through their personal link: profile, pause, leave (erasure), in one transaction each
with their events and, for leaving, the key's tombstone."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from shared.db import Conn
from shared.network_keys import AgentKey, network_keyring, unwrap_agent_key
from shared.outbox import enqueue
from shared.sealing import Keyring


async def agent_by_link(conn: Conn, digest: bytes, *, lock: bool = False) -> dict[str, Any] | None:
    """The agent whose personal link this is (None for an unknown link, or one of an agent who left)."""
    row = await conn.fetchrow(
        "SELECT agent_id, region, status, municipality, sector, themes, languages, language, personal FROM agents"
        f" WHERE link_digest = $1 AND status <> 'left'{' FOR UPDATE' if lock else ''}", digest)
    return dict(row) if row is not None else None


async def set_link(conn: Conn, agent_id: uuid.UUID, digest: bytes) -> None:
    await conn.execute("UPDATE agents SET link_digest = $2 WHERE agent_id = $1", agent_id, digest)


async def data_key(conn: Conn, agent_id: uuid.UUID, keyring: Keyring) -> bytes | None:
    """The agent's data key from the network's own copy (None once they left)."""
    row = await conn.fetchrow("SELECT agent_id, region, kek_id, nonce, wrapped FROM wrapped_agent_keys"
                              " WHERE agent_id = $1", agent_id)
    return unwrap_agent_key(network_keyring(keyring), AgentKey(**dict(row))) if row is not None else None


async def save_profile(conn: Conn, agent_id: uuid.UUID, *, municipality: str, sector: str, themes: list[str],
                       languages: list[str], language: str, personal_json: str) -> None:
    await conn.execute(
        "UPDATE agents SET municipality = $2, sector = $3, themes = $4, languages = $5, language = $6,"
        " personal = $7::jsonb WHERE agent_id = $1", agent_id, municipality, sector, themes, languages, language,
        personal_json)


async def set_status(conn: Conn, agent_id: uuid.UUID, status: str) -> None:
    await conn.execute("UPDATE agents SET status = $2 WHERE agent_id = $1", agent_id, status)


async def erase(conn: Conn, agent_id: uuid.UUID, keys_topic: str, at: datetime) -> None:
    """Leaving: the key goes (here and, by a tombstone, from the key topic and every reader's table), and with it
    every sealed copy of the agent's data; the row keeps only what is counted (municipality, sector, themes,
    languages, when they applied and left)."""
    await conn.execute("DELETE FROM wrapped_agent_keys WHERE agent_id = $1", agent_id)
    await conn.execute(
        "UPDATE agents SET status = 'left', left_at = $2, personal = NULL, link_digest = NULL, confirm_digest = NULL,"
        " confirm_expires_at = NULL WHERE agent_id = $1", agent_id, at)
    await enqueue(conn, keys_topic, str(agent_id).encode(), None)
