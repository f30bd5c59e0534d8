"""Suomi.fi PTV's open API (version 11) read into the region's directory: pure, on the JSON the API answers.

A bundle is what ``directory sync`` fetched (or ``--save`` kept): per organisation the pages of
``/api/v11/Service/list/organization`` (``pageNumber``, ``pageCount``, ``itemList`` of full services), and the
service channels the services link to, from ``/api/v11/ServiceChannel/list?guids=…``.

Which services are for families with children: those whose ``targetGroups`` name PTV's target group "families
with children" (KR1.2) or "young people" (KR1.4). Target groups are the field PTV keeps for whom a service is
for; service classes say what field it is in ("health care" holds both child health clinics and geriatrics) and
life events are filled in too seldom to rely on. A service no target group marks is left out even when its name
sounds right: the organisation should mark it in PTV, where every other reader benefits too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from shared.directory import (
    WEEKDAYS,
    Channels,
    DirectoryService,
    ExceptionalHours,
    Hours,
    Phone,
    Place,
    ServiceHours,
    Texts,
    WebPage,
)
from shared.regions import Region, slugify

FAMILY_TARGET_GROUPS = frozenset({"KR1.2", "KR1.4"})
LANGUAGES = ("fi", "sv", "en")
Json = Mapping[str, Any]


def texts(items: Iterable[Json] | None, kind: str | None = None) -> Texts:
    """PTV's localised list (``[{"language": "fi", "value": …, "type": …}]``) as a text by language; with ``kind``
    only the items of that type ('Name', 'Summary')."""
    found: dict[str, str] = {}
    for item in items or ():
        if kind is not None and item.get("type") != kind:
            continue
        lang, value = item.get("language"), (item.get("value") or "").strip()
        if lang in LANGUAGES and value and lang not in found:
            found[lang] = value
    return Texts(**found)


def is_for_families(service: Json) -> bool:
    codes = {str(g.get("code", "")) for g in service.get("targetGroups") or ()}
    return bool(codes & FAMILY_TARGET_GROUPS)


def is_published(item: Json) -> bool:
    return item.get("publishingStatus") == "Published"


def municipality_index(region: Region) -> dict[str, str]:
    """A municipality's names (as slugs, in every language) to its id: PTV names its areas' municipalities."""
    index: dict[str, str] = {}
    for m in region.municipalities:
        for name in (m.name.fi, m.name.sv, m.name.en):
            if name:
                index[slugify(name)] = m.id
    return index


def served_municipalities(service: Json, index: Mapping[str, str]) -> tuple[str, ...] | None:
    """The region's municipalities a service serves: () for all (nationwide), None for none of them."""
    if service.get("areaType") in ("Nationwide", "NationwideExceptAlandIslands"):
        return ()
    found: set[str] = set()
    for area in service.get("areas") or ():
        named = [area] if area.get("type") == "Municipality" else list(area.get("municipalities") or ())
        for m in named:
            for name in (m.get("name") or ()):
                municipality = index.get(slugify(str(name.get("value", ""))))
                if municipality is not None:
                    found.add(municipality)
    return tuple(sorted(found)) or None


def _time(value: object) -> str | None:
    text = str(value or "")
    return text[:5] if len(text) >= 5 and text[2] == ":" else None


def _weekday(value: object) -> Any:
    day = str(value or "").lower()
    return day if day in WEEKDAYS else None


def service_hours(items: Iterable[Json] | None) -> tuple[ServiceHours, ...]:
    """The regular weekly hours in force ('DaysOfTheWeek', valid for now); exceptional days are kept apart
    (exceptional_hours), with their dates, so that a page shows those of its coming weeks only."""
    kept = []
    for item in items or ():
        if item.get("serviceHourType") != "DaysOfTheWeek" or not item.get("validForNow", True):
            continue
        hours = []
        for opening in item.get("openingHour") or ():
            day_from = _weekday(opening.get("dayFrom"))
            if day_from is None:
                continue
            hours.append(Hours(day_from=day_from, day_to=_weekday(opening.get("dayTo")),
                               opens=_time(opening.get("from")), closes=_time(opening.get("to")),
                               closed=bool(item.get("isClosed"))))
        kept.append(ServiceHours(hours=tuple(hours), around_the_clock=bool(item.get("isAlwaysOpen")),
                                 note=texts(item.get("additionalInformation"))))
    return tuple(kept)


def _date(value: object) -> date | None:
    """PTV's 'validFrom' / 'validTo' ('2026-12-24T00:00:00', sometimes with a zone) as the day it names."""
    try:
        return date.fromisoformat(str(value or "")[:10])
    except ValueError:
        return None


def exceptional_hours(items: Iterable[Json] | None) -> tuple[ExceptionalHours, ...]:
    """The days with other hours than the regular ones ('Exceptional'): closed (a holiday, a closure) or open at
    the times of their first and last opening; a single day when PTV gives no end. Each as PTV dates it, past ones
    too: the sync has no clock, and the page picks the coming weeks'."""
    kept = []
    for item in items or ():
        if item.get("serviceHourType") != "Exceptional" or (day_from := _date(item.get("validFrom"))) is None:
            continue
        day_to = max(_date(item.get("validTo")) or day_from, day_from)
        openings = list(item.get("openingHour") or ())
        opens = _time(openings[0].get("from")) if openings else None
        closes = _time(openings[-1].get("to")) if openings else None
        closed, always = bool(item.get("isClosed")), bool(item.get("isAlwaysOpen"))
        if not closed and not always and (opens is None or closes is None):
            continue  # open, but at no time PTV says: nothing true to show
        kept.append(ExceptionalHours(day_from=day_from, day_to=day_to, closed=closed,
                                     around_the_clock=always and not closed, opens=None if closed else opens,
                                     closes=None if closed else closes, note=texts(item.get("additionalInformation"))))
    return tuple(sorted(kept, key=lambda e: (e.day_from, e.day_to)))


def phones(items: Iterable[Json] | None, hours: tuple[ServiceHours, ...],
           exceptions: tuple[ExceptionalHours, ...] = ()) -> tuple[Phone, ...]:
    """Each number once, its description in every language PTV gives it."""
    by_number: dict[str, dict[str, Any]] = {}
    for item in items or ():
        number = " ".join(p for p in (str(item.get("prefixNumber") or "").strip(),
                                      str(item.get("number") or "").strip()) if p)
        if not item.get("number"):
            continue
        entry = by_number.setdefault(number, {"descriptions": {}, "charge": item.get("serviceChargeType")})
        lang, info = item.get("language"), (item.get("additionalInformation") or "").strip()
        if lang in LANGUAGES and info:
            entry["descriptions"].setdefault(lang, info)
    charges = {"FreeOfCharge": "free", "Chargeable": "charged"}
    return tuple(Phone(number=number, description=Texts(**e["descriptions"]),
                       charge=charges.get(str(e["charge"]), "other") if e["charge"] else "free", hours=hours,
                       exceptions=exceptions)
                 for number, e in by_number.items())


def web_pages(items: Iterable[Json] | None, fallback_name: Texts) -> tuple[WebPage, ...]:
    by_url: dict[str, dict[str, str]] = {}
    for item in items or ():
        url = str(item.get("url") or "").strip()
        if not url.startswith(("https://", "http://")):
            continue
        names = by_url.setdefault(url, {})
        lang, value = item.get("language"), (item.get("value") or "").strip()
        if lang in LANGUAGES and value:
            names.setdefault(lang, value)
    return tuple(WebPage(url=url, name=Texts(**names) if names else fallback_name) for url, names in by_url.items())


def places(channel: Json, index: Mapping[str, str], hours: tuple[ServiceHours, ...],
           exceptions: tuple[ExceptionalHours, ...] = ()) -> tuple[Place, ...]:
    found = []
    for address in channel.get("addresses") or ():
        street = address.get("streetAddress")
        if address.get("type") != "Location" or not street:
            continue
        number = str(street.get("streetNumber") or "").strip()
        streets = texts(street.get("street"))
        if number:
            streets = Texts(**{lang: f"{value} {number}" for lang in LANGUAGES
                               if (value := getattr(streets, lang))})
        municipality_names = (street.get("municipality") or {}).get("name") or ()
        municipality = next((index[s] for n in municipality_names
                             if (s := slugify(str(n.get("value", "")))) in index), None)
        found.append(Place(name=texts(channel.get("serviceChannelNames"), "Name"), street=streets,
                           postal_code=street.get("postalCode"), post_office=texts(street.get("postOffice")),
                           municipality=municipality, hours=hours, exceptions=exceptions))
    return tuple(found)


def channels_of(service: Json, channels: Mapping[str, Json], index: Mapping[str, str]) -> Channels:
    """The published channels a service links to: phones, web pages (and e-services) and places."""
    phone_list: list[Phone] = []
    pages: list[WebPage] = []
    place_list: list[Place] = []
    for link in service.get("serviceChannels") or ():
        channel = channels.get(str((link.get("serviceChannel") or {}).get("id", "")))
        if channel is None or not is_published(channel):
            continue
        hours = service_hours(channel.get("serviceHours"))
        exceptions = exceptional_hours(channel.get("serviceHours"))
        kind = channel.get("serviceChannelType")
        name = texts(channel.get("serviceChannelNames"), "Name")
        if kind == "Phone":
            phone_list += phones(channel.get("phoneNumbers"), hours, exceptions)
        elif kind in ("WebPage", "EChannel"):
            pages += web_pages(channel.get("webPages"), name)
        elif kind == "ServiceLocation":
            place_list += places(channel, index, hours, exceptions)
            phone_list += phones(channel.get("phoneNumbers"), ())
            pages += web_pages(channel.get("webPages"), name)
    return Channels(phones=tuple(phone_list), web_pages=tuple(pages), places=tuple(place_list))


def service_languages(service: Json) -> tuple[Any, ...]:
    return tuple(lang for lang in LANGUAGES if lang in (service.get("languages") or ()))


def services_in(pages: Iterable[Json]) -> Iterable[Json]:
    for page in pages:
        yield from page.get("itemList") or ()


def directory_of(bundle: Json, region: Region) -> list[DirectoryService]:
    """The region's PTV services for families with children, in the order of its organisations; a service two
    organisations list is kept once, as the first one's."""
    if region.ptv is None:
        return []
    channels = {str(c.get("id")): c for c in bundle.get("channels") or ()}
    index = municipality_index(region)
    kept: dict[str, DirectoryService] = {}
    for organization in region.ptv.organizations:
        for service in services_in(bundle.get("organizations", {}).get(organization.id) or ()):
            service_id = str(service.get("id", ""))
            if service_id in kept or not is_published(service) or not is_for_families(service):
                continue
            served = served_municipalities(service, index)
            languages = service_languages(service)
            names = texts(service.get("serviceNames"), "Name")
            if served is None or not languages or names.get("fi") is None:
                continue
            summary = texts(service.get("serviceDescriptions"), "Summary")
            responsible = next((o.get("organization") or {} for o in service.get("organizations") or ()
                                if o.get("roleType") == "Responsible"), {})
            kept[service_id] = DirectoryService(
                id=service_id, region=region.id, source="ptv", kind=organization.kind, names=names,
                descriptions=summary if summary.get("fi") else texts(service.get("serviceDescriptions"),
                                                                      "Description"),
                languages=languages, municipalities=served, channels=channels_of(service, channels, index),
                organization=texts(responsible.get("name")) if isinstance(responsible.get("name"), list)
                else Texts(fi=responsible.get("name")) if responsible.get("name") else Texts())
    return list(kept.values())


def channel_ids(bundle_organizations: Mapping[str, list[Json]]) -> list[str]:
    """The ids of every channel the fetched services link to, each once, in order (to fetch them)."""
    seen: dict[str, None] = {}
    for pages in bundle_organizations.values():
        for service in services_in(pages):
            for link in service.get("serviceChannels") or ():
                channel_id = (link.get("serviceChannel") or {}).get("id")
                if channel_id:
                    seen.setdefault(str(channel_id), None)
    return list(seen)
