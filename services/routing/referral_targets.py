"""The services a case can be referred to, as routing looks them up: the one place that reads the directory.

Today the directory is the region's YAML list (``services:`` in deploy/regions/*.yaml). When the directory from
PTV arrives (services/routing/service_directory.py, ``directory_service``), this module's function is the one
to change: every referral rule, page and command asks it and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.events_referrals import ServiceKind
from shared.regions import Names, Region, ServiceEntry


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


def _target(entry: ServiceEntry) -> ReferralTarget:
    return ReferralTarget(id=entry.id, kind=entry.kind, name=entry.name, referral_mailbox=entry.referral_mailbox,
                          electronic_referrals=entry.electronic_referrals, public_contact=entry.contact)


def referral_target(region: Region, service_id: str) -> ReferralTarget | None:
    """The service ``service_id`` of ``region``'s directory, or None when it has none of that id."""
    entry = next((s for s in region.services if s.id == service_id), None)
    return _target(entry) if entry is not None else None


def referral_targets(region: Region) -> list[ReferralTarget]:
    """Every service of the region's directory, for the case page's choice and the decline's 'better service'."""
    return [_target(s) for s in region.services]
