"""The region's service directory on its compacted ``directory`` topic, keyed by service id.

Each record is a service's whole current description (from Suomi.fi PTV, with the region's local additions, or a
service only the region's YAML knows), so compaction keeps exactly what a rebuild needs. A service gone from PTV
gets ``directory.service_removed`` and then a tombstone: the removal tells every consumer reading now (and one that
was away for less than ``delete.retention.ms``) when and why it went; the tombstone lets compaction forget the key.
Public information only: names, descriptions and the service's own channels, never anything of a family.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

UPSERTED = "directory.service_upserted"
REMOVED = "directory.service_removed"
ServiceKind = Literal["municipal", "county", "third_sector"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Texts(_Frozen):
    """A text by language; PTV often lacks Swedish or English, so every language may be missing."""

    fi: str | None = None
    sv: str | None = None
    en: str | None = None

    def get(self, lang: str) -> str | None:
        """The text in ``lang``, else in Finnish, Swedish, English (the first there is)."""
        own = getattr(self, lang, None) if lang in ("fi", "sv", "en") else None
        return own or self.fi or self.sv or self.en

    def has(self, lang: str) -> bool:
        return bool(getattr(self, lang, None)) if lang in ("fi", "sv", "en") else False


class Hours(_Frozen):
    """Opening hours on a run of weekdays ('monday'–'friday', 08:00–16:00); ``closed`` for a closed day."""

    day_from: Weekday
    day_to: Weekday | None = None
    opens: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")
    closes: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")
    closed: bool = False


class ServiceHours(_Frozen):
    """A set of hours with its note ('Ajanvaraus puhelimitse'); ``around_the_clock`` when it is always open."""

    hours: tuple[Hours, ...] = ()
    around_the_clock: bool = False
    note: Texts = Field(default_factory=Texts)


class Phone(_Frozen):
    number: str = Field(description="as PTV gives it, with its country prefix when it has one (+358 …)")
    description: Texts = Field(default_factory=Texts)
    charge: Literal["free", "charged", "other"] = "free"
    hours: tuple[ServiceHours, ...] = ()


class WebPage(_Frozen):
    url: str
    name: Texts = Field(default_factory=Texts)


class Place(_Frozen):
    """A place a family can go to: its name, street address and opening hours."""

    name: Texts = Field(default_factory=Texts)
    street: Texts = Field(default_factory=Texts)
    postal_code: str | None = None
    post_office: Texts = Field(default_factory=Texts)
    municipality: str | None = Field(default=None, description="the region's municipality id, when it is one")
    hours: tuple[ServiceHours, ...] = ()


class Channels(_Frozen):
    phones: tuple[Phone, ...] = ()
    web_pages: tuple[WebPage, ...] = ()
    places: tuple[Place, ...] = ()


class DirectoryService(_Frozen):
    """A service staff can refer a family to, as every service projects it."""

    id: str = Field(min_length=1, max_length=100, description="the PTV service id, or the YAML id of a local one")
    region: str
    source: Literal["ptv", "local"]
    kind: ServiceKind
    names: Texts
    descriptions: Texts = Field(default_factory=Texts)
    languages: tuple[Literal["fi", "sv", "en"], ...] = Field(description="the languages the service is given in")
    municipalities: tuple[str, ...] = Field(default=(), description="the region's municipality ids it serves;"
                                                                    " empty: every municipality of the region")
    channels: Channels = Field(default_factory=Channels)
    organization: Texts = Field(default_factory=Texts, description="who is responsible for it")
    referral_mailbox: str | None = None
    electronic_referrals: bool = False
    hidden: bool = Field(default=False, description="kept, but not offered to staff (the region's YAML says so)")

    def serves(self, municipality: str | None) -> bool:
        return municipality is None or not self.municipalities or municipality in self.municipalities

    def digest(self) -> str:
        """What a sync compares to know whether the service changed: the hash of its canonical JSON."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


class DirectoryRecord(_Frozen):
    """One record of the directory topic: a service as it now is, or its removal."""

    type: Literal["directory.service_upserted", "directory.service_removed"]
    schema_version: Literal[1] = 1
    region: str
    service_id: str
    at: AwareDatetime = Field(description="when the sync that wrote it ran")
    service: DirectoryService | None = Field(default=None, description="the service; none for a removal")


def record_headers(record: DirectoryRecord) -> list[tuple[str, str]]:
    return [("type", record.type)]
