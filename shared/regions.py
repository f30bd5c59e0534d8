"""Regions and their municipalities: configuration in ``deploy/regions/<region>.yaml``, validated at start."""

from __future__ import annotations

import re
from datetime import datetime, time
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, field_validator, model_validator

from shared.businessdays import HELSINKI, WorkingDay, add_business_days
from shared.errors import ConfigurationError, NotFound
from shared.phones import known_country

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Lang = Literal["fi", "sv", "en"]


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Names(_Config):
    fi: str
    sv: str | None = None
    en: str | None = None

    def get(self, lang: str) -> str:
        value = getattr(self, lang, None) if lang in ("fi", "sv", "en") else None
        return value if isinstance(value, str) else self.fi


class Population(_Config):
    year: int = Field(ge=2000, le=2100)
    source: str
    total: int = Field(ge=0)
    children_0_17: int = Field(ge=0)


class Municipality(_Config):
    id: str = Field(pattern=SLUG)
    name: Names
    languages: list[Lang] = Field(min_length=1)
    # The municipality's own site (https): the only other site that may show its form in a frame.
    website: str | None = Field(default=None, pattern=r"^https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/\S*)?$")
    population: Population | None = None

    @property
    def website_origin(self) -> str | None:
        """``https://host[:port]`` of :attr:`website`, as a Content Security Policy names a site."""
        if self.website is None:
            return None
        parts = urlsplit(self.website)
        return f"{parts.scheme}://{parts.netloc}"


class DeadlinePolicy(_Config):
    business_days: int = Field(ge=1, le=30)
    warning_hours: float = Field(default=4, ge=0, le=24,
                                 description="working hours before the deadline when a warning is raised and the"
                                             " queue shows the case at risk")


class OfficeHours(_Config):
    """The regional team's working day on business days, Helsinki time: working hours left, warnings and
    the statistics' 'office hours' are counted in it."""

    opens: time = time(8)
    closes: time = time(16)

    @field_validator("opens", "closes", mode="before")
    @classmethod
    def _quoted(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted 8:00 as the base-60 number 480: say how to write it instead.
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError("write the time in quotes, e.g. '08:00'")
        return value

    @model_validator(mode="after")
    def _opens_before_closing(self) -> OfficeHours:
        if self.opens >= self.closes:
            raise ValueError(f"office hours must open before they close ({self.opens:%H:%M}–{self.closes:%H:%M})")
        return self

    @property
    def label(self) -> str:
        """'8–16', '8.30–15': how the hours are written in a sentence."""
        return f"{self.opens_label}–{self.closes_label}"

    @property
    def opens_label(self) -> str:
        return _hour(self.opens)

    @property
    def closes_label(self) -> str:
        return _hour(self.closes)


def _hour(value: time) -> str:
    return str(value.hour) if not value.minute else f"{value.hour}.{value.minute:02d}"


class ChildWelfarePolicy(_Config):
    """How soon after triage flags a child-welfare concern the notification (Child Welfare Act 25 §, "without
    delay") is expected before the coordinators and the case's worker are warned."""

    notify_within_hours: float | None = Field(
        default=None, gt=0, le=40,
        description="working hours after the flag; not set: by the end of the same business day (of the next one "
                    "when the concern was flagged after office hours)")

    def due(self, flagged_at: datetime, day: WorkingDay) -> datetime:
        if self.notify_within_hours is None:
            return day.closing_after(flagged_at)
        return day.after_working_hours(flagged_at, self.notify_within_hours)


class AccessibilityContact(_Config):
    """Where the accessibility statement's feedback goes (Act 306/2019: answered within 14 days)."""

    email: str = Field(pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class CallbackPolicy(_Config):
    """How the region calls families back; each default is what a team would agree on without a rule."""

    attempts: int = Field(default=3, ge=1, le=10, description="unanswered calls before a case may close unreached")
    retry_after_hours: float = Field(default=2, ge=0, le=72,
                                     description="the least wait after an unanswered call before the next one")
    reminder_minutes: int = Field(default=30, ge=0, le=24 * 60,
                                  description="how long before a call's window its caller is reminded")
    bands: list[tuple[int, int]] = Field(default_factory=lambda: [(8, 12), (12, 16), (16, 18)],
                                         description="the time bands (Helsinki hours) a family can pick")


class ContactPolicy(_Config):
    """Whose numbers the region texts and calls, and how many text messages one number may get in a day."""

    countries: list[str] = Field(default_factory=lambda: ["FI"], min_length=1,
                                 description="region codes ('FI', 'SE'); a number without a country code is "
                                             "read as the first one's")
    # A family's busiest day (a receipt, a call scheduled, moved twice and cancelled, a reply waiting) takes
    # six; past ten, the messages are more likely a stranger's number typed into the form again and again.
    sms_daily_cap: int = Field(default=10, ge=1, le=100,
                               description="text messages one number may get in a Helsinki day")

    @model_validator(mode="after")
    def _known_countries(self) -> ContactPolicy:
        unknown = [c for c in self.countries if not known_country(c)]
        if unknown:
            raise ValueError(f"unknown country code(s) {', '.join(unknown)}: use region codes such as FI or SE")
        if len(set(self.countries)) != len(self.countries):
            raise ValueError("a country is listed twice")
        return self


class Team(_Config):
    id: str = Field(pattern=SLUG)
    name: Names
    email: str | None = Field(default=None, description="the team's shared mailbox for staff notifications")


class Notifications(_Config):
    coordinators_email: str | None = None
    status_url: str = Field(default="http://127.0.0.1:8010/status",
                            description="where families read replies; put in their messages")


class ServiceEntry(_Config):
    """A local addition to the region's directory: a whole service that is not in PTV (``kind``, ``name``,
    ``contact``, ``languages``), or, with ``ptv_id``, what the region adds to a PTV service (hidden, …)."""

    id: str = Field(pattern=SLUG)
    ptv_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                               description="the PTV service this entry adds to")
    hidden: bool = Field(default=False, description="not offered to staff (an outdated or unsuitable service)")
    kind: Literal["municipal", "county", "third_sector"] | None = None
    name: Names | None = None
    contact: str | None = None
    languages: list[Lang] = Field(default_factory=list)
    # A referral's link goes to this mailbox (never its content); without one, staff tell the service themselves.
    referral_mailbox: EmailStr | None = None
    electronic_referrals: bool = Field(default=False, description="the service answers referrals behind the link")

    @model_validator(mode="after")
    def _mailbox_for_electronic(self) -> ServiceEntry:
        if self.electronic_referrals and self.referral_mailbox is None:
            raise ValueError(f"service '{self.id}' takes electronic referrals but names no referral_mailbox")
        return self

    @model_validator(mode="after")
    def _whole_or_addition(self) -> ServiceEntry:
        if self.ptv_id is None:
            missing = [f for f in ("kind", "name", "contact") if getattr(self, f) is None]
            if not self.languages:
                missing.append("languages")
            if missing:
                raise ValueError(f"a service not in PTV needs {', '.join(missing)} (or name a PTV service by ptv_id)")
        return self


class LocalService(_Config):
    """A whole service of the region's YAML (one not in PTV), as the code that names services reads it."""

    id: str
    kind: Literal["municipal", "county", "third_sector"]
    name: Names
    contact: str
    languages: list[Lang]
    hidden: bool = False
    referral_mailbox: EmailStr | None = None
    electronic_referrals: bool = False


class PtvOrganization(_Config):
    """An organisation whose services PTV is read for: the county, a municipality, an NGO or a parish."""

    id: str = Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    kind: Literal["municipal", "county", "third_sector"]
    name: str | None = Field(default=None, description="for the reader of the file; PTV's name is used")


class PtvSource(_Config):
    """Where ``directory sync`` reads the region's services: Suomi.fi PTV's open API, version 11."""

    url: str = Field(default="https://api.palvelutietovaranto.suomi.fi", pattern=r"^https?://\S+$")
    organizations: list[PtvOrganization] = Field(min_length=1)


class ReferralPolicy(_Config):
    """How long a service has to answer a referral before the worker is told, and how long its link opens."""

    answer_business_days: int = Field(default=3, ge=1, le=20,
                                      description="business days after sending by which the service answers;"
                                                  " past them the case's worker gets referral.overdue once")
    link_days: int = Field(default=30, ge=1, le=90,
                           description="days the service's link opens: long enough to report 'done' later")

    def answer_by(self, sent_at: datetime, day: WorkingDay) -> datetime:
        """The end of the working day ``answer_business_days`` business days after the day it was sent."""
        last = add_business_days(sent_at.astimezone(HELSINKI).date(), self.answer_business_days)
        return datetime.combine(last, day.closes, HELSINKI)


class RetentionPolicy(_Config):
    """Requests that never became client work are erased ``days`` after closing; client cases (every other
    outcome) ``client_years`` after closing, when the region sets it (the National Archives' schedule for
    family services records: 30 years). Erasure is the same crypto-shredding; statistics stay."""

    days: int = Field(ge=1, le=3650)
    client_years: int | None = Field(default=None, ge=1, le=120)
    # Outcomes that mean no client work, whoever asked (spam, mistakes, never reached) ...
    outcomes: tuple[Literal["not_a_request", "not_reached", "guidance_enough"], ...] = ("not_a_request",)
    # ... and outcomes that mean none when the family stayed anonymous (anonymous guidance).
    anonymous_outcomes: tuple[Literal["guidance_enough", "not_reached", "same_worker_continues"], ...] = (
        "guidance_enough", "not_reached")


class Region(_Config):
    id: str = Field(pattern=SLUG)
    name: Names
    county: Names
    languages: list[Lang] = Field(min_length=1)
    deadline: DeadlinePolicy
    municipalities: list[Municipality] = Field(min_length=1)
    teams: list[Team] = Field(default_factory=list)
    services: list[ServiceEntry] = Field(default_factory=list)
    ptv: PtvSource | None = None
    notifications: Notifications = Field(default_factory=Notifications)
    retention: RetentionPolicy | None = None
    callbacks: CallbackPolicy = Field(default_factory=CallbackPolicy)
    office_hours: OfficeHours = Field(default_factory=OfficeHours)
    accessibility: AccessibilityContact | None = None
    child_welfare: ChildWelfarePolicy = Field(default_factory=ChildWelfarePolicy)
    contact: ContactPolicy = Field(default_factory=ContactPolicy)
    referrals: ReferralPolicy = Field(default_factory=ReferralPolicy)

    @model_validator(mode="after")
    def _unique_ids(self) -> Region:
        for label, ids in (("municipality", [m.id for m in self.municipalities]),
                           ("team", [t.id for t in self.teams]),
                           ("service", [s.id for s in self.services])):
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                raise ValueError(f"{label} ids appear twice: {', '.join(duplicates)}")
        return self

    @property
    def local_services(self) -> list[LocalService]:
        """The whole services of ``services:`` (not the additions to PTV services), hidden ones too."""
        return [LocalService(id=s.id, kind=s.kind, name=s.name, contact=s.contact, languages=s.languages,
                             hidden=s.hidden, referral_mailbox=s.referral_mailbox,
                             electronic_referrals=s.electronic_referrals)
                for s in self.services
                if s.ptv_id is None and s.kind is not None and s.name is not None and s.contact is not None]

    @property
    def country(self) -> str:
        """Where a phone number typed without a country code is read from: the first of ``contact.countries``
        (the family's form, notify's texts and the staff search's blind index read numbers alike)."""
        return self.contact.countries[0]

    @property
    def working_day(self) -> WorkingDay:
        return WorkingDay(opens=self.office_hours.opens, closes=self.office_hours.closes,
                          warning_hours=self.deadline.warning_hours)

    def municipality(self, municipality_id: str) -> Municipality:
        for m in self.municipalities:
            if m.id == municipality_id:
                return m
        raise NotFound(f"unknown municipality '{municipality_id}'", municipality=municipality_id)


class Regions:
    """The regions one deployment serves, with a municipality index across them."""

    def __init__(self, regions: list[Region]) -> None:
        self.by_id = {r.id: r for r in regions}
        self._by_municipality: dict[str, Region] = {}
        for region in regions:
            for m in region.municipalities:
                if m.id in self._by_municipality:
                    raise ConfigurationError(f"municipality '{m.id}' is in two regions")
                self._by_municipality[m.id] = region
        self._aliases = _aliases(regions, taken=set(self._by_municipality))

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.by_id.values())

    def working_day(self, region_id: str) -> WorkingDay:
        """The region's working day; the default one for a region this deployment does not serve."""
        region = self.by_id.get(region_id)
        return region.working_day if region is not None else WorkingDay()

    def region_of(self, municipality_id: str) -> tuple[Region, Municipality]:
        """The region and municipality for a slug, or NotFound naming it."""
        region = self._by_municipality.get(municipality_id)
        if region is None:
            raise NotFound(f"unknown municipality '{municipality_id}'", municipality=municipality_id)
        return region, region.municipality(municipality_id)

    def find(self, typed: str) -> tuple[Region, Municipality]:
        """The municipality a person means: its id, or any of its names as a slug or as written ('Pargas',
        'åbo', 'abo'); NotFound naming what was typed when none (or more than one) answers to it."""
        if typed in self._by_municipality:
            return self.region_of(typed)
        slug = slugify(typed)
        canonical = slug if slug in self._by_municipality else self._aliases.get(slug)
        if canonical is None:
            raise NotFound(f"unknown municipality '{typed}'", municipality=typed)
        return self.region_of(canonical)


def _aliases(regions: list[Region], taken: set[str]) -> dict[str, str]:
    """Each municipality's names in every language, as slugs, to its id; a slug two municipalities share
    answers to neither, and one that is another municipality's id stays that municipality's."""
    claims: dict[str, set[str]] = {}
    for region in regions:
        for m in region.municipalities:
            for name in (m.name.fi, m.name.sv, m.name.en):
                if name:
                    claims.setdefault(slugify(name), set()).add(m.id)
    return {slug: next(iter(ids)) for slug, ids in claims.items() if len(ids) == 1 and slug not in taken}


def load_regions(directory: Path, only: list[str] | None = None) -> Regions:
    """Read and validate every ``*.yaml`` (or only the named ones); errors name the file and field."""
    if not directory.is_dir():
        raise ConfigurationError(f"regions directory {directory} does not exist")
    regions = []
    for path in sorted(directory.glob("*.yaml")):
        if only and path.stem not in only:
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            region = Region.model_validate(data)
        except yaml.YAMLError as exc:
            raise ConfigurationError(f"{path.name}: not valid YAML: {exc}") from exc
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigurationError(f"{path.name}: {problems}") from exc
        if region.id != path.stem:
            raise ConfigurationError(f"{path.name}: id '{region.id}' must match the file name")
        regions.append(region)
    missing = sorted(set(only or []) - {r.id for r in regions})
    if missing:
        raise ConfigurationError(f"no configuration for region(s) {', '.join(missing)} in {directory}")
    if not regions:
        raise ConfigurationError(f"no region configuration in {directory}")
    return Regions(regions)


def slugify(name: str) -> str:
    """'Koski Tl' -> 'koski-tl', 'Pöytyä' -> 'poytya'."""
    table = str.maketrans({"ä": "a", "ö": "o", "å": "a", "é": "e", "ü": "u", ":": ""})
    return re.sub(r"[^a-z0-9]+", "-", name.lower().translate(table)).strip("-")
