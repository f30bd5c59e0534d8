"""The network's upkeep, run on its scheduler (app.py) every ``upkeep_interval_s``, each part in a transaction of
its own, each part safe to run twice or on two replicas at once (rows are locked, deletes are idempotent):

- an application whose address was never confirmed is erased once its confirmation link has expired (plus
  ``unconfirmed_grace_days``): its key deleted here and tombstoned on the network key topic, as leaving does, and
  its row deleted (it never joined: only the registry's ``agent.application_expired`` says it was there);
- used passes past their expiry (a pass is refused after a minute anyway) and expired coordinator sessions;
- the event ids applied from the network's own topics more than ``dedup_window_offsets`` behind each partition's
  stored offset (the applier forgets a case stream's by itself; a record topic's it leaves to its service);
- anonymous surveys' free texts past the region's retention (survey_texts.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from services.network import store, survey_texts
from services.network.settings import NetworkSettings
from shared.app import UnitOfWork
from shared.businessdays import HELSINKI
from shared.db import Conn
from shared.network_events import ApplicationExpired, ApplicationExpiredPayload, new_network_event
from shared.outbox import enqueue
from shared.topics import network_keys_topic, network_topic

log = structlog.get_logger(__name__)
# Unconfirmed applications erased per transaction: a large backlog goes in rounds, none holding locks for long.
BATCH = 200


@dataclass(frozen=True)
class Upkept:
    expired_applications: int
    used_passes: int
    sessions: int
    event_ids: int
    survey_texts: int


async def expire_applications(conn: Conn, *, settings: NetworkSettings, now: datetime) -> int:
    """Erase the unconfirmed applications whose link expired before ``now`` less the grace; how many."""
    rows = await conn.fetch(
        "SELECT agent_id, region, campaign_id FROM agents WHERE status = 'applied' AND confirm_expires_at < $1"
        " ORDER BY confirm_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        now - timedelta(days=settings.unconfirmed_grace_days), BATCH)
    for row in rows:
        agent_id: uuid.UUID = row["agent_id"]
        region = str(row["region"])
        await conn.execute("DELETE FROM wrapped_agent_keys WHERE agent_id = $1", agent_id)
        await conn.execute("DELETE FROM agents WHERE agent_id = $1", agent_id)
        await enqueue(conn, network_keys_topic(settings.topic_prefix, region), str(agent_id).encode(), None)
        await store.publish(conn, network_topic(settings.topic_prefix, region), new_network_event(
            ApplicationExpired, kind="agent", subject_id=agent_id, region=region, actor="network", occurred_at=now,
            payload=ApplicationExpiredPayload(campaign_id=row["campaign_id"])))
    return len(rows)


async def prune_bookkeeping(conn: Conn, *, settings: NetworkSettings, now: datetime) -> tuple[int, int, int]:
    """Used passes and sessions past their expiry, event ids behind the dedup window: how many of each."""
    passes = await conn.fetchval("WITH gone AS (DELETE FROM used_passes WHERE expires_at < $1 RETURNING 1)"
                                 " SELECT count(*) FROM gone", now)
    sessions = await conn.fetchval("WITH gone AS (DELETE FROM coordinator_sessions WHERE expires_at < $1"
                                   " RETURNING 1) SELECT count(*) FROM gone", now)
    event_ids = await conn.fetchval(
        "WITH gone AS (DELETE FROM processed_events p USING projection_offsets o WHERE p.topic = o.topic"
        " AND p.partition = o.partition AND p.record_offset < o.next_offset - $1 RETURNING 1)"
        " SELECT count(*) FROM gone", settings.dedup_window_offsets)
    return int(passes), int(sessions), int(event_ids)


async def run(*, uow: UnitOfWork, settings: NetworkSettings, regions: list[str], now: datetime) -> Upkept:
    """One round of every part of the upkeep at ``now``."""
    expired = 0
    while True:
        async with uow.transaction() as conn:
            done = await expire_applications(conn, settings=settings, now=now)
        expired += done
        if done < BATCH:
            break
    async with uow.transaction() as conn:
        passes, sessions, event_ids = await prune_bookkeeping(conn, settings=settings, now=now)
    async with uow.transaction() as conn:
        texts = await survey_texts.erase_past_retention(conn, settings=settings, regions=regions,
                                                        today=now.astimezone(HELSINKI).date())
    found = Upkept(expired_applications=expired, used_passes=passes, sessions=sessions, event_ids=event_ids,
                   survey_texts=texts)
    if expired or texts:
        log.info("network.upkeep", expired_applications=expired, survey_texts=texts, event_ids=event_ids)
    return found
