"""The network's command side: each write with its events in the outbox, in one transaction.

An application takes the region's campaign row with ``FOR SHARE`` and checks its window in the same transaction
that stores it, so a campaign closed (or moved) meanwhile waits for the application or is seen by it: no
application is kept that the campaign's closing moment refuses.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from services.network.domain import Campaign
from shared.db import Conn
from shared.event_base import NetworkEventBase
from shared.network_events import APPLIED_PERSONAL
from shared.network_keys import AgentKey, unseal_for_agent
from shared.outbox import enqueue, enqueue_event
from shared.sealing import Sealed


async def moment(conn: Conn, given: datetime | None) -> datetime:
    """The time a write happens: the database's clock inside the transaction (or the demo clock's)."""
    if given is not None:
        return given
    now: datetime = await conn.fetchval("SELECT clock_timestamp()")
    return now


async def insert_campaign(conn: Conn, *, campaign_id: uuid.UUID, region: str, campaign: Campaign,
                          closing_day: object, consent_version: str) -> None:
    await conn.execute(
        "INSERT INTO campaigns (campaign_id, region, opens_at, closes_at, closing_day, consent_version)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        campaign_id, region, campaign.opens_at, campaign.closes_at, closing_day, consent_version)


async def campaign_for_update(conn: Conn, region: str, at: datetime) -> tuple[uuid.UUID, Campaign] | None:
    """The region's campaign that had opened by ``at`` (the latest), locked against change until commit."""
    row = await conn.fetchrow(
        "SELECT campaign_id, opens_at, closes_at FROM campaigns WHERE region = $1 AND opens_at <= $2"
        " ORDER BY opens_at DESC LIMIT 1 FOR SHARE", region, at)
    if row is None:
        return None
    return row["campaign_id"], Campaign(opens_at=row["opens_at"], closes_at=row["closes_at"])


async def campaigns_of(conn: Conn, region: str) -> list[tuple[uuid.UUID, Campaign]]:
    """The region's campaigns, for a page to pick the one to show (domain.pick_campaign)."""
    rows = await conn.fetch("SELECT campaign_id, opens_at, closes_at FROM campaigns WHERE region = $1", region)
    return [(r["campaign_id"], Campaign(opens_at=r["opens_at"], closes_at=r["closes_at"])) for r in rows]


async def application_of(conn: Conn, submission_id: uuid.UUID) -> dict[str, object] | None:
    row = await conn.fetchrow("SELECT agent_id, status, confirm_expires_at FROM agents WHERE submission_id = $1",
                              submission_id)
    return dict(row) if row is not None else None


async def insert_agent(conn: Conn, *, agent_id: uuid.UUID, submission_id: uuid.UUID, campaign_id: uuid.UUID,
                       region: str, municipality: str, sector: str, themes: list[str], languages: list[str],
                       language: str, consent_version: str, applied_at: datetime, personal_json: str,
                       confirm_digest: bytes, confirm_expires_at: datetime, key: AgentKey) -> None:
    await conn.execute(
        "INSERT INTO agents (agent_id, submission_id, campaign_id, region, status, municipality, sector, themes,"
        " languages, language, consent_version, applied_at, personal, confirm_digest, confirm_expires_at)"
        " VALUES ($1, $2, $3, $4, 'applied', $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14)",
        agent_id, submission_id, campaign_id, region, municipality, sector, themes, languages, language,
        consent_version, applied_at, personal_json, confirm_digest, confirm_expires_at)
    await conn.execute("INSERT INTO wrapped_agent_keys (agent_id, region, kek_id, nonce, wrapped)"
                       " VALUES ($1, $2, $3, $4, $5)", key.agent_id, key.region, key.kek_id, key.nonce, key.wrapped)


async def publish_key(conn: Conn, topic: str, key: AgentKey) -> None:
    """The agent's wrapped key on the network key topic, before any event that is sealed with it."""
    await enqueue(conn, topic, str(key.agent_id).encode(), key.model_dump_json().encode())


async def publish(conn: Conn, topic: str, *events: NetworkEventBase) -> None:
    for event in events:
        await enqueue_event(conn, topic, event)


async def confirm_agent(conn: Conn, digest: bytes, at: datetime) -> dict[str, object] | None:
    """The applicant behind a confirmation token that is still valid, now confirmed; None otherwise."""
    row = await conn.fetchrow(
        "UPDATE agents SET status = 'confirmed', confirmed_at = $2, confirm_digest = NULL, confirm_expires_at = NULL"
        " WHERE confirm_digest = $1 AND confirm_expires_at > $2 AND status = 'applied'"
        " RETURNING agent_id, region, campaign_id, language", digest, at)
    return dict(row) if row is not None else None


async def agent_email(conn: Conn, agent_id: uuid.UUID, data_key: bytes | None) -> str | None:
    """The agent's address from their sealed application (None when erased)."""
    raw = await conn.fetchval("SELECT personal FROM agents WHERE agent_id = $1", agent_id)
    if raw is None or data_key is None:
        return None
    value = unseal_for_agent(data_key, agent_id, Sealed.model_validate_json(raw), APPLIED_PERSONAL)
    return str(value["email"]) if isinstance(value, dict) and value.get("email") else None
