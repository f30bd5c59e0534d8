"""How the family reaches a service they were referred to, as their status page shows it: every phone number, web
page and service place of the directory's record, in the page's language, with the regular opening hours and the
exceptional ones (holidays, closures) of the coming weeks. Dates, weekdays and times are written by Babel in the
page's language.

A text PTV lacks in the page's language is shown in the first language it has (Finnish, then Swedish, then
English: ``Texts.get``'s order) and marked with that language, so a screen reader reads it in the right voice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from babel.dates import format_date, format_time, get_day_names

from services.intake.i18n import t
from shared.directory import WEEKDAYS, DirectoryService, ExceptionalHours, Hours, ServiceHours, Texts
from shared.i18n import BABEL_LOCALE

WEEKS_AHEAD = 4  # the exceptional hours shown: those of today and the next four weeks
# A day as people write it in each language: 'ke 24.12.', 'ons 24 dec.', 'Wed 24 Dec'.
DAY_FORMAT = {"fi": "EEE d.M.", "sv": "EEE d MMM", "en": "EEE d MMM"}


@dataclass(frozen=True)
class Said:
    """A text and the language it is in (the page's, or PTV's fallback)."""

    text: str
    lang: str


@dataclass(frozen=True)
class Dated:
    """An exceptional day or run of days in the page's language, with PTV's note on it (in its own language)."""

    text: str
    note: Said | None


@dataclass(frozen=True)
class Hourly:
    """A phone's or a place's opening hours: the regular ones, and the exceptional days of the coming weeks."""

    regular: list[Said] = field(default_factory=list)
    exceptional: list[Dated] = field(default_factory=list)


@dataclass(frozen=True)
class PhoneWay:
    number: str
    tel: str
    description: Said | None
    hours: Hourly


@dataclass(frozen=True)
class PageWay:
    url: str
    name: Said


@dataclass(frozen=True)
class PlaceWay:
    name: Said | None
    address: list[Said]
    hours: Hourly


@dataclass(frozen=True)
class Ways:
    """Every way to reach a service, in the page's language."""

    phones: list[PhoneWay]
    pages: list[PageWay]
    places: list[PlaceWay]

    def __bool__(self) -> bool:
        return bool(self.phones or self.pages or self.places)


def said(texts: Texts, lang: str) -> Said | None:
    """``texts`` in ``lang``, else in the first language PTV gives (Texts.get), with the language it is in."""
    value = texts.get(lang)
    if value is None:
        return None
    return Said(value, lang if texts.has(lang) else next(code for code in ("fi", "sv", "en") if texts.has(code)))


def clock(value: str | None, lang: str) -> str:
    """'08:00' as the page's language writes a time: '8.00', '8.00', '08:00' (a '24:00' as it is written)."""
    if value is None:
        return ""
    hour, minute = (int(part) for part in value.split(":"))
    if hour >= 24:
        return value
    return format_time(time(hour, minute), format="short", locale=BABEL_LOCALE[lang])


def _day_names(hours: Hours, lang: str) -> str:
    names = get_day_names("abbreviated", locale=BABEL_LOCALE[lang])
    first = names[WEEKDAYS.index(hours.day_from)]
    if hours.day_to is None or hours.day_to == hours.day_from:
        return str(first)
    return f"{first}–{names[WEEKDAYS.index(hours.day_to)]}"


def _times(opens: str | None, closes: str | None, lang: str) -> str:
    return f"{clock(opens, lang)}–{clock(closes, lang)}"


def regular_lines(sets: tuple[ServiceHours, ...], lang: str) -> list[Said]:
    """'ma–pe 8.00–16.00', 'la suljettu', 'avoinna ympäri vuorokauden', and PTV's note on them."""
    lines = []
    for entry in sets:
        if entry.around_the_clock:
            lines.append(Said(t("ways_always_open", lang), lang))
        for hours in entry.hours:
            when = t("ways_closed", lang) if hours.closed else _times(hours.opens, hours.closes, lang)
            lines.append(Said(f"{_day_names(hours, lang)} {when}", lang))
        if (note := said(entry.note, lang)) is not None:
            lines.append(note)
    return lines


def _days(exception: ExceptionalHours, lang: str) -> str:
    pattern = DAY_FORMAT[lang]
    first = format_date(exception.day_from, pattern, locale=BABEL_LOCALE[lang])
    if exception.day_to == exception.day_from:
        return first
    return f"{first}–{format_date(exception.day_to, pattern, locale=BABEL_LOCALE[lang])}"


def exceptional_lines(exceptions: tuple[ExceptionalHours, ...], lang: str, today: date) -> list[Dated]:
    """The exceptional days from ``today`` to WEEKS_AHEAD weeks on: 'to 24.12.–la 26.12. suljettu', with the note
    PTV gives ('Joulu')."""
    last = today + timedelta(weeks=WEEKS_AHEAD)
    lines = []
    for exception in exceptions:
        if not exception.overlaps(today, last):
            continue
        if exception.closed:
            when = t("ways_closed", lang)
        elif exception.around_the_clock:
            when = t("ways_always_open", lang)
        else:
            when = _times(exception.opens, exception.closes, lang)
        lines.append(Dated(f"{_days(exception, lang)} {when}", said(exception.note, lang)))
    return lines


def _hourly(regular: tuple[ServiceHours, ...], exceptions: tuple[ExceptionalHours, ...], lang: str,
            today: date) -> Hourly:
    return Hourly(regular=regular_lines(regular, lang), exceptional=exceptional_lines(exceptions, lang, today))


def ways_of(service: DirectoryService, lang: str, today: date) -> Ways:
    """Every phone, web page and place of ``service``, in ``lang``, with the hours ``today`` and weeks ahead."""
    channels = service.channels
    phones = [PhoneWay(number=p.number, tel="tel:" + "".join(c for c in p.number if c.isdigit() or c == "+"),
                       description=said(p.description, lang), hours=_hourly(p.hours, p.exceptions, lang, today))
              for p in channels.phones]
    pages = [PageWay(url=w.url, name=said(w.name, lang) or Said(w.url, lang)) for w in channels.web_pages]
    places = []
    for place in channels.places:
        post = " ".join(x for x in (place.postal_code, (place.post_office.get(lang) or "")) if x)
        address = [x for x in (said(place.street, lang), Said(post, _lang_of(place.post_office, lang)) if post
                               else None) if x is not None]
        places.append(PlaceWay(name=said(place.name, lang), address=address,
                               hours=_hourly(place.hours, place.exceptions, lang, today)))
    return Ways(phones=phones, pages=pages, places=places)


def _lang_of(texts: Texts, lang: str) -> str:
    found = said(texts, lang)
    return found.lang if found is not None else lang
