"""The services a case can be referred to, as routing looks them up: the one place that reads the directory.

A service is found in routing's projection of the region's directory topic (services/routing/service_directory.py:
PTV's services and the YAML's whole local ones, with the YAML's referral mailbox and hidden flag applied by
``directory sync``), and, for a region whose directory was never synced, among the YAML's whole local services.
Every referral rule, page and command asks this module and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.routing.service_directory import directory_service, directory_services
from shared.db import Conn
from shared.directory import DirectoryService
from shared.events_referrals import ServiceKind
from shared.regions import LocalService, Names, Region


@dataclass(frozen=True)
class ReferralTarget:
    """What a referral needs of a service: whether it exists, its name, its mailbox, whether it answers by link."""

    id: str
    kind: ServiceKind
    name: Names
    referral_mailbox: str | None
    electronic_referrals: bool
    public_contact: str

    @property
    def answers_by_link(self) -> bool:
        return self.electronic_referrals and self.referral_mailbox is not None


def _local(entry: LocalService) -> ReferralTarget:
    return ReferralTarget(id=entry.id, kind=entry.kind, name=entry.name, referral_mailbox=entry.referral_mailbox,
                          electronic_referrals=entry.electronic_referrals, public_contact=entry.contact)


def _listed(service: DirectoryService) -> ReferralTarget:
    names = service.names
    first = names.fi or names.sv or names.en or service.id
    channels = service.channels
    contact = (channels.web_pages[0].url if channels.web_pages
               else channels.phones[0].number if channels.phones else "")
    return ReferralTarget(id=service.id, kind=service.kind, name=Names(fi=first, sv=names.sv, en=names.en),
                          referral_mailbox=service.referral_mailbox,
                          electronic_referrals=service.electronic_referrals, public_contact=contact)


def referral_target(region: Region, service_id: str,
                    directory: Mapping[str, DirectoryService] | None = None) -> ReferralTarget | None:
    """The service ``service_id`` of ``region``: from ``directory`` (the services a command names, as routing's
    projection holds them) or else a whole service of the region's YAML; None when neither has it."""
    if directory and service_id in directory:
        return _listed(directory[service_id])
    entry = next((s for s in region.local_services if s.id == service_id), None)
    return _local(entry) if entry is not None else None


async def find_target(conn: Conn, region: Region, service_id: str) -> ReferralTarget | None:
    """As :func:`referral_target`, reading the directory (hidden services too: a referral made earlier names it)."""
    listed = await directory_service(conn, region.id, service_id)
    return referral_target(region, service_id, {service_id: listed} if listed is not None else None)


async def referral_targets(conn: Conn, region: Region, service_ids: list[str] | None = None) -> list[ReferralTarget]:
    """The region's services staff may choose (for the decline's 'better elsewhere': the directory's offered ones,
    and the YAML's whole local services), or those of ``service_ids``."""
    if service_ids is not None:
        listed = await directory_services(conn, region.id, service_ids)
        found = [referral_target(region, s, listed) for s in service_ids]
        return [t for t in found if t is not None]
    rows = await conn.fetch("SELECT service FROM directory_services WHERE region = $1 AND NOT hidden", region.id)
    offered = [_listed(DirectoryService.model_validate_json(r["service"])) for r in rows]
    known = {t.id for t in offered}
    return offered + [_local(s) for s in region.local_services if not s.hidden and s.id not in known]
