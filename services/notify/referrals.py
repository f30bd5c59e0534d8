"""Referrals: the receiving service's mail with its signed link, and the worker's word of a decline or no answer.

The service's mail carries the link and when it runs out, never the note or the family's contact: those are shown
behind the link (routing's page), where opening them is logged as a disclosure. The link is signed when the mail
goes out (shared/referral_links.py), so no token waits in a table. A decline or an overdue referral goes to the
person who has the case (their substitute while they are away), else the team's mailbox, else the coordinators;
only the reference and the case's address.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from services.notify.queue import queue
from shared.db import Conn
from shared.directory import DirectoryService
from shared.events import EventBase, ReferralDeclined, ReferralOverdue, ReferralSent
from shared.referral_links import ReferralLink, sign_link
from shared.regions import LocalService, Region
from shared.sealing import Keyring

TEMPLATE = "referral_sent"
# Who should hear of the case now (projection._present): the person, else their substitute, else the team.
Present = Callable[[Conn, str | None, str | None, EventBase], Awaitable[tuple[str | None, str | None]]]


async def _service(conn: Conn, region: Region, service_id: str) -> DirectoryService | LocalService | None:
    """The one place notify reads the directory: its projection of the directory topic (with the YAML's mailboxes
    applied by the sync), else a whole service of the region's YAML (a region whose directory was never synced)."""
    raw = await conn.fetchval("SELECT service FROM directory_services WHERE region = $1 AND service_id = $2",
                              region.id, service_id)
    if raw is not None:
        return DirectoryService.model_validate_json(raw)
    return next((s for s in region.local_services if s.id == service_id), None)


async def service_mailbox(conn: Conn, region: Region, service_id: str) -> tuple[str, str] | None:
    """The service's referral mailbox and the language its mail is written in; None without a mailbox."""
    service = await _service(conn, region, service_id)
    if service is None or service.referral_mailbox is None or not service.electronic_referrals:
        return None
    return str(service.referral_mailbox), (service.languages[0] if service.languages else "fi")


async def service_name(conn: Conn, region: Region, service_id: str, lang: str) -> str:
    service = await _service(conn, region, service_id)
    if isinstance(service, DirectoryService):
        return service.names.get(lang) or service_id
    return service.name.get(lang) if service is not None else service_id


async def on_referral_sent(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, ReferralSent)
    p = event.payload
    if not p.electronic:
        return  # the worker tells a service without a referral mailbox by other means
    await conn.execute("INSERT INTO referral_mail (cause_event_id, case_id, referral_id, service_id, sent_at)"
                       " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                       event.event_id, event.case_id, p.referral_id, p.service_id, event.occurred_at)
    await queue(conn, event, recipient=f"service:{p.service_id}", template=TEMPLATE, channel="email")


def worker_handler(template: str, present: Present) -> Callable[[Conn, EventBase], Awaitable[None]]:
    async def handle(conn: Conn, event: EventBase) -> None:
        assert isinstance(event, ReferralDeclined | ReferralOverdue)
        row = await conn.fetchrow("SELECT team_id, assignee_id FROM case_contacts WHERE case_id = $1",
                                  event.case_id)
        team, person = (row["team_id"], row["assignee_id"]) if row else (None, None)
        person, team = await present(conn, person, team, event)
        recipient = f"staff:{person}" if person else f"team:{team}" if team else "coordinators"
        await queue(conn, event, recipient=recipient, template=template, channel="email")
    return handle


async def referral_link(conn: Conn, cause_event_id: object, region: Region, keyring: Keyring,
                        routing_url: str) -> tuple[str, datetime] | None:
    """The signed link and its expiry for the service's mail; None when the referral is unknown here."""
    row = await conn.fetchrow("SELECT case_id, referral_id, service_id, sent_at FROM referral_mail"
                              " WHERE cause_event_id = $1", cause_event_id)
    if row is None:
        return None
    expires = (row["sent_at"] + timedelta(days=region.referrals.link_days)).replace(microsecond=0)
    token = sign_link(keyring, ReferralLink(referral_id=row["referral_id"], case_id=row["case_id"],
                                            service_id=row["service_id"], expires_at=expires))
    return f"{routing_url.rstrip('/')}/referral/{token}", expires
