"""The region's service directory on its compacted ``directory`` topic, keyed by service id.

Each record is a service's whole current description (from Suomi.fi PTV, with the region's local additions, or a
service only the region's YAML knows), so compaction keeps exactly what a rebuild needs. A service gone from PTV
gets ``directory.service_removed`` and then a tombstone: the removal tells every consumer reading now (and one that
was away for less than ``delete.retention.ms``) when and why it went; the tombstone lets compaction forget the key.
Public information only: names, descriptions and the service's own channels, never anything of a family.

Version 2 of a record gives each phone and place its exceptional hours (holidays, closures, other hours on given
days). A version 1 record, written by a sync that dropped them, reads as one with none (``read_record``).
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any, Literal

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared.codec import RawEvent, Upcasters
from shared.errors import UndecodableEvent

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


class ExceptionalHours(_Frozen):
    """Days whose hours are not the regular ones: closed (a holiday, a closure) or open at other times, from
    ``day_from`` to ``day_to`` (the same day for one day), with PTV's note ('Juhannus', 'Henkilöstökoulutus')."""

    day_from: date
    day_to: date
    closed: bool = False
    around_the_clock: bool = False
    opens: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")
    closes: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")
    note: Texts = Field(default_factory=Texts)

    @model_validator(mode="after")
    def _in_order(self) -> ExceptionalHours:
        if self.day_to < self.day_from:
            raise ValueError("day_to is before day_from")
        return self

    def overlaps(self, first: date, last: date) -> bool:
        return self.day_from <= last and self.day_to >= first


class Phone(_Frozen):
    number: str = Field(description="as PTV gives it, with its country prefix when it has one (+358 …)")
    description: Texts = Field(default_factory=Texts)
    charge: Literal["free", "charged", "other"] = "free"
    hours: tuple[ServiceHours, ...] = ()
    exceptions: tuple[ExceptionalHours, ...] = ()


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
    exceptions: tuple[ExceptionalHours, ...] = ()


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
    schema_version: Literal[2] = 2
    region: str
    service_id: str
    at: AwareDatetime = Field(description="when the sync that wrote it ran")
    service: DirectoryService | None = Field(default=None, description="the service; none for a removal")


def record_headers(record: DirectoryRecord) -> list[tuple[str, str]]:
    return [("type", record.type)]


UPCASTERS = Upcasters({UPSERTED: 2, REMOVED: 2})


@UPCASTERS.register(UPSERTED, 1)
@UPCASTERS.register(REMOVED, 1)
def directory_v1_to_v2(raw: RawEvent) -> RawEvent:
    """A version 1 sync dropped exceptional hours: its phones and places had none that anyone could read."""
    service = raw.get("service")
    if not isinstance(service, dict) or not isinstance(service.get("channels"), dict):
        return raw  # a removal, or something validation will name
    channels: dict[str, Any] = service["channels"]
    with_none: dict[str, Any] = {
        kind: [{**item, "exceptions": []} if isinstance(item, dict) else item for item in channels.get(kind) or ()]
        for kind in ("phones", "places")}
    return {**raw, "service": {**service, "channels": {**channels, **with_none}}}


def read_record(value: bytes) -> DirectoryRecord:
    """A record of the directory topic, of any version, as the current one (ValueError when it is none)."""
    raw = orjson.loads(value)  # orjson.JSONDecodeError is a ValueError
    if not isinstance(raw, dict):
        raise ValueError("a directory record is a JSON object")
    try:
        upcast = UPCASTERS.upcast(raw)
    except UndecodableEvent as exc:  # a version newer than this code, or one with no way up
        raise ValueError(str(exc)) from exc
    return DirectoryRecord.model_validate(upcast)
