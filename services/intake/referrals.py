"""Where the family was referred, for their status page: the service, its public channels and how it answered.

The projection keeps the service and the referral's state (never the note, which is for the service only); the
service's name and public channels come from the one lookup below, which reads the region's directory.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from shared.applier import EventHandler
from shared.db import Conn
from shared.directory import DirectoryService
from shared.events import (
    EventBase,
    ReferralAccepted,
    ReferralCompleted,
    ReferralDeclined,
    ReferralOverdue,
    ReferralSent,
)
from shared.regions import Names, Region


@dataclass(frozen=True)
class PublicService:
    """What a family may read of a service: its name, and how to reach it: the directory's record (every channel,
    service_channels.py), or for a service only the region's YAML knows, its one contact (a web page, or words)."""

    name: Names
    contact: str
    listed: DirectoryService | None = None

    @property
    def web(self) -> bool:
        return self.contact.startswith("https://")


async def public_service(conn: Conn, region: Region, service_id: str) -> PublicService | None:
    """The service's public face: the one place intake reads the directory (its projection of the directory
    topic, else a whole service of the region's YAML for a region whose directory was never synced)."""
    raw = await conn.fetchval("SELECT service FROM directory_services WHERE region = $1 AND service_id = $2",
                              region.id, service_id)
    if raw is not None:
        service = DirectoryService.model_validate_json(raw)
        names = service.names
        return PublicService(name=Names(fi=names.fi or names.sv or names.en or service.id, sv=names.sv, en=names.en),
                             contact="", listed=service)
    entry = next((s for s in region.local_services if s.id == service_id), None)
    return PublicService(name=entry.name, contact=entry.contact) if entry is not None else None


@dataclass(frozen=True)
class FamilyReferral:
    referral_id: uuid.UUID
    service_id: str
    sent_at: datetime
    status: str
    overdue: bool


async def on_sent(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, ReferralSent)
    await conn.execute("INSERT INTO family_referrals (referral_id, case_id, service_id, sent_at, status)"
                       " VALUES ($1, $2, $3, $4, 'sent') ON CONFLICT DO NOTHING", event.payload.referral_id,
                       event.case_id, event.payload.service_id, event.occurred_at)


def _answered(status: str) -> EventHandler:
    async def handle(conn: Conn, event: EventBase) -> None:
        assert isinstance(event, ReferralAccepted | ReferralDeclined | ReferralCompleted)
        await conn.execute("UPDATE family_referrals SET status = $2 WHERE referral_id = $1",
                           event.payload.referral_id, status)
    return handle


async def on_overdue(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, ReferralOverdue)
    await conn.execute("UPDATE family_referrals SET overdue = true WHERE referral_id = $1", event.payload.referral_id)


HANDLERS: dict[str, EventHandler] = {
    "referral.sent": on_sent, "referral.accepted": _answered("accepted"), "referral.declined": _answered("declined"),
    "referral.completed": _answered("completed"), "referral.overdue": on_overdue,
}


async def family_referrals(conn: Conn, case_id: uuid.UUID) -> list[FamilyReferral]:
    rows = await conn.fetch("SELECT referral_id, service_id, sent_at, status, overdue FROM family_referrals"
                            " WHERE case_id = $1 ORDER BY sent_at", case_id)
    return [FamilyReferral(**dict(r)) for r in rows]
