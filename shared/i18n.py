"""Texts in Finnish, Swedish and English, and dates in the reader's language (Babel)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

from babel.dates import format_date, format_datetime

from shared.businessdays import HELSINKI

Lang = Literal["fi", "sv", "en"]
LANGS: tuple[Lang, ...] = ("fi", "sv", "en")
LANG_NAMES = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}
BABEL_LOCALE = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}


class Catalog:
    """A service's texts: ``{key: {"fi": …, "sv": …, "en": …}}`` with ``{placeholders}``."""

    def __init__(self, texts: dict[str, dict[str, str]]) -> None:
        self.texts = texts

    def t(self, key: str, lang: str, **values: object) -> str:
        """The text ``key`` in ``lang`` (Finnish when a language is missing), with ``{values}`` filled in."""
        entry = self.texts[key]
        text = entry.get(lang) or entry["fi"]
        return text.format(**values) if values else text

    def missing(self) -> list[tuple[str, str]]:
        return [(key, lang) for key, entry in self.texts.items() for lang in LANGS if not entry.get(lang)]


def long_date(day: date, lang: str) -> str:
    """'maanantai 27. joulukuuta 2027', 'måndag 27 december 2027', 'Monday, 27 December 2027'."""
    return format_date(day, format="full", locale=BABEL_LOCALE.get(lang, "fi_FI"))


def short_datetime(moment: datetime, lang: str) -> str:
    """A moment in Helsinki time, short, in the reader's language."""
    return format_datetime(moment, format="short", tzinfo=HELSINKI, locale=BABEL_LOCALE.get(lang, "fi_FI"))


def pick_lang(requested: str | None, preferred: Sequence[str]) -> Lang:
    for candidate in (requested, *preferred):
        for lang in LANGS:
            if candidate == lang:
                return lang
    return "fi"
