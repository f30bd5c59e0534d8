"""A directory service as staff read it: the picker's lines and the channels the case page shows."""

from __future__ import annotations

from dataclasses import dataclass

from services.routing.i18n import t
from shared.directory import DirectoryService, Hours, ServiceHours
from shared.regions import LocalService, Region


@dataclass(frozen=True)
class Pick:
    """One service the picker offers: its id, its name and what tells it apart (organisation, municipalities)."""

    id: str
    name: str
    detail: str


def _municipalities(service: DirectoryService, region: Region, lang: str) -> str:
    if not service.municipalities:
        return t("dir_whole_region", lang)
    names = {m.id: m.name.get(lang) for m in region.municipalities}
    shown = [names.get(m, m) for m in service.municipalities[:3]]
    more = len(service.municipalities) - len(shown)
    return ", ".join(shown) + (f" (+{more})" if more > 0 else "")


def pick_of(service: DirectoryService, region: Region, lang: str) -> Pick:
    organization = service.organization.get(lang)
    parts = [p for p in (organization, _municipalities(service, region, lang)) if p]
    return Pick(id=service.id, name=service.names.get(lang) or service.id, detail=" · ".join(parts))


def local_pick(service: LocalService, lang: str) -> Pick:
    """A service of the region's YAML, offered while the region's directory has not been synced."""
    return Pick(id=service.id, name=service.name.get(lang), detail=t("dir_whole_region", lang))


def _clock(value: str | None) -> str:
    if value is None:
        return ""
    hour, minute = value.split(":")
    return f"{int(hour)}.{minute}"


def hours_line(hours: Hours, lang: str) -> str:
    """'ma–pe 8.00–16.00', 'la suljettu'."""
    days = t(f"dir_day_{hours.day_from}", lang)
    if hours.day_to and hours.day_to != hours.day_from:
        days += "–" + t(f"dir_day_{hours.day_to}", lang)
    if hours.closed:
        closed = t("dir_closed", lang)
        return f"{days} {closed}"
    return f"{days} {_clock(hours.opens)}–{_clock(hours.closes)}".rstrip("–")


def hours_lines(sets: tuple[ServiceHours, ...], lang: str) -> list[str]:
    lines = []
    for entry in sets:
        if entry.around_the_clock:
            lines.append(t("dir_always_open", lang))
        lines += [hours_line(h, lang) for h in entry.hours]
        note = entry.note.get(lang)
        if note:
            lines.append(note)
    return lines


@dataclass(frozen=True)
class ChannelsView:
    """The chosen service's ways to reach it, in the reader's language."""

    name: str
    description: str | None
    phones: list[tuple[str, str, str | None, list[str]]]  # (the number, its tel: form, description, hours)
    pages: list[tuple[str, str]]  # (url, name)
    places: list[tuple[str, str, list[str]]]  # (name, address, hours)
    language_missing: bool


def channels_view(service: DirectoryService, lang: str) -> ChannelsView:
    channels = service.channels
    phones = [(p.number, "tel:" + "".join(c for c in p.number if c.isdigit() or c == "+"), p.description.get(lang),
               hours_lines(p.hours, lang)) for p in channels.phones]
    pages = [(w.url, w.name.get(lang) or w.url) for w in channels.web_pages]
    places = []
    for place in channels.places:
        address = ", ".join(x for x in (place.street.get(lang),
                                        " ".join(y for y in (place.postal_code, place.post_office.get(lang)) if y))
                            if x)
        places.append((place.name.get(lang) or "", address, hours_lines(place.hours, lang)))
    return ChannelsView(name=service.names.get(lang) or service.id, description=service.descriptions.get(lang),
                        phones=phones, pages=pages, places=places, language_missing=not service.names.has(lang))
