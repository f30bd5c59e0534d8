"""``directory sync``: the region's directory (PTV's services with the YAML's local additions) published to its
compacted directory topic, only what changed.

``directory_published`` keeps the digest of each service's last published record; the sync locks the region's rows,
compares, and writes the changed records, the removals and their tombstones to the outbox and the new digests in
one transaction, so a sync that fails publishes nothing and two syncs of a region wait for each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from shared.db import Conn
from shared.directory import (
    REMOVED,
    UPSERTED,
    Channels,
    DirectoryRecord,
    DirectoryService,
    Texts,
    WebPage,
    record_headers,
)
from shared.outbox import enqueue
from shared.regions import Region, ServiceEntry
from shared.topics import directory_topic

log = structlog.get_logger(__name__)


def _with_additions(service: DirectoryService, entry: ServiceEntry) -> DirectoryService:
    # The referral part's fields (referral_mailbox, electronic_referrals) are read the same way once the YAML has them.
    changes: dict[str, object] = {"hidden": entry.hidden}
    for field in ("referral_mailbox", "electronic_referrals"):
        value = getattr(entry, field, None)
        if value is not None:
            changes[field] = value
    return service.model_copy(update=changes)


def local_service(entry: ServiceEntry, region: Region) -> DirectoryService:
    """A whole service of the YAML: its contact is a web page when it is an address, else its description."""
    assert entry.kind is not None and entry.name is not None and entry.contact is not None
    names = Texts(fi=entry.name.fi, sv=entry.name.sv, en=entry.name.en)
    is_page = entry.contact.startswith(("https://", "http://"))
    service = DirectoryService(
        id=entry.id, region=region.id, source="local", kind=entry.kind, names=names,
        descriptions=Texts() if is_page else Texts(fi=entry.contact, sv=entry.contact, en=entry.contact),
        languages=tuple(entry.languages),
        channels=Channels(web_pages=(WebPage(url=entry.contact, name=names),) if is_page else ()))
    return _with_additions(service, entry)


def merge(ptv_services: Sequence[DirectoryService], region: Region) -> list[DirectoryService]:
    """PTV's services with the region's additions applied, then the region's own services."""
    additions = {e.ptv_id: e for e in region.services if e.ptv_id is not None}
    merged = [_with_additions(s, additions[s.id]) if s.id in additions else s for s in ptv_services]
    taken = {s.id for s in merged}
    merged += [local_service(e, region) for e in region.services if e.ptv_id is None and e.id not in taken]
    return merged


@dataclass(frozen=True)
class Plan:
    upserts: list[DirectoryService]
    removals: list[str]
    unchanged: int


def plan(published: Mapping[str, str], services: Sequence[DirectoryService]) -> Plan:
    """What a sync publishes, given each published service's digest: the new and changed, and the gone."""
    upserts = [s for s in services if published.get(s.id) != s.digest()]
    current = {s.id for s in services}
    return Plan(upserts=upserts, removals=sorted(set(published) - current), unchanged=len(services) - len(upserts))


async def publish(conn: Conn, region: Region, services: Sequence[DirectoryService], *, topic_prefix: str,
                  at: datetime | None = None) -> Plan:
    """Publish what changed of the region's directory through the outbox; returns what was done."""
    now = at or datetime.now(UTC)
    topic = directory_topic(topic_prefix, region.id)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('directory:' || $1::text))", region.id)
        rows = await conn.fetch("SELECT service_id, digest FROM directory_published WHERE region = $1", region.id)
        todo = plan({r["service_id"]: r["digest"] for r in rows}, services)
        for service in todo.upserts:
            record = DirectoryRecord(type=UPSERTED, region=region.id, service_id=service.id, at=now, service=service)
            await enqueue(conn, topic, service.id.encode(), record.model_dump_json().encode(), record_headers(record))
            await conn.execute("INSERT INTO directory_published (region, service_id, digest, published_at)"
                               " VALUES ($1, $2, $3, $4) ON CONFLICT (region, service_id)"
                               " DO UPDATE SET digest = EXCLUDED.digest, published_at = EXCLUDED.published_at",
                               region.id, service.id, service.digest(), now)
        for service_id in todo.removals:
            # The removal tells the consumers reading now; the tombstone lets compaction drop the key.
            record = DirectoryRecord(type=REMOVED, region=region.id, service_id=service_id, at=now)
            await enqueue(conn, topic, service_id.encode(), record.model_dump_json().encode(), record_headers(record))
            await enqueue(conn, topic, service_id.encode(), None, [("type", REMOVED)])
            await conn.execute("DELETE FROM directory_published WHERE region = $1 AND service_id = $2",
                               region.id, service_id)
    log.info("directory.synced", region=region.id, published=len(todo.upserts), removed=len(todo.removals),
             unchanged=todo.unchanged)
    return todo
