"""Texts in Finnish, Swedish and English from each service's gettext catalogs, and dates in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import cached_property
from io import BytesIO
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlencode

from babel.dates import format_date, format_datetime, format_skeleton
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import parse_number
from babel.support import Translations

from shared.businessdays import HELSINKI

Lang = Literal["fi", "sv", "en"]
LANGS: tuple[Lang, ...] = ("fi", "sv", "en")
LANG_NAMES = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}


def language_links(path: str, query: Iterable[tuple[str, str]], drop: Iterable[str] = ("lang",)
                   ) -> list[tuple[str, str, str]]:
    """The same page in each language: (code, the language's own name, the address), keeping the page's query
    (every value of a repeated key, in order) but ``lang`` and what ``drop`` names (a one-time token)."""
    dropped = {"lang", *drop}
    kept = [(key, value) for key, value in query if key not in dropped]
    return [(code, LANG_NAMES[code], f"{path}?{urlencode([*kept, ('lang', code)])}") for code in LANGS]
BABEL_LOCALE = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}
# Finnish is the service's first language: the base catalog translators work from and what a reader gets
# where a text is missing in their language.
BASE: Lang = "fi"


def keys(prefix: str, values: Any) -> tuple[str, ...]:
    """The keys ``prefix + value`` for each value of a ``Literal`` type or an iterable, as code builds them."""
    found = get_args(values) or tuple(values)
    return tuple(f"{prefix}{value}" for value in found)


class Catalog:
    """A service's texts: one gettext domain with a ``.po`` file per language, messages keyed by short ids.

    ``counts`` names, for each text with plural forms, the value that chooses the form (``minutes`` for
    "1 minuutti / 2 minuuttia"); ``run_time`` lists the keys code builds at run time ("topic_" + topic), which
    no extractor can see in a call; ``notes`` are what translators should know about a text.
    """

    def __init__(self, domain: str, directory: Path, *, counts: Mapping[str, str] | None = None,
                 run_time: Iterable[str] = (), notes: Mapping[str, str] | None = None) -> None:
        self.domain = domain
        self.directory = directory
        self.counts = dict(counts or {})
        self.run_time = tuple(run_time)
        self.notes = dict(notes or {})

    def po_path(self, lang: str) -> Path:
        """Where the language's catalog is: ``<directory>/<lang>/LC_MESSAGES/<domain>.po``."""
        return self.directory / lang / "LC_MESSAGES" / f"{self.domain}.po"

    def read(self, lang: str) -> PoCatalog:
        """The language's ``.po`` file as Babel reads it."""
        with self.po_path(lang).open("rb") as fp:
            return read_po(fp, locale=lang, domain=self.domain)

    @cached_property
    def _translations(self) -> dict[str, Translations]:
        # Compiled in memory at first use: what runs is always exactly the .po files shipped, and no binary
        # .mo file has to be kept in step with them.
        found: dict[str, Translations] = {}
        for lang in LANGS:
            buffer = BytesIO()
            write_mo(buffer, self.read(lang))
            buffer.seek(0)
            found[lang] = Translations(buffer, domain=self.domain)
        for lang in LANGS:
            if lang != BASE:
                found[lang].add_fallback(found[BASE])
        return found

    @cached_property
    def _keys(self) -> frozenset[str]:
        return frozenset(str(m.id[0] if isinstance(m.id, tuple) else m.id) for m in self.read(BASE) if m.id)

    def t(self, key: str, lang: str, **values: object) -> str:
        """The text ``key`` in ``lang`` (Finnish when missing), in the plural form its count asks, filled in."""
        if key not in self._keys:
            raise KeyError(key)
        translations = self._translations.get(lang) or self._translations[BASE]
        count_name = self.counts.get(key)
        if count_name is None:
            text = translations.gettext(key)
        else:
            text = translations.ngettext(key, key, self._count(values[count_name], lang))
        return text.format(**values) if values else text

    @staticmethod
    def _count(value: object, lang: str) -> int:
        # A sentence may show its number already formatted for the reader ("1 050"); the form follows the number.
        if isinstance(value, str):
            return int(parse_number(value, locale=BABEL_LOCALE.get(lang, "fi_FI")))
        if not isinstance(value, int):
            raise TypeError(f"a plural form needs a whole number, not {type(value).__name__}")
        return value

    def entries(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """Every key's forms in each language (one for a plain text), empty where a translation is missing."""
        found: dict[str, dict[str, tuple[str, ...]]] = {}
        for lang in LANGS:
            for message in self.read(lang):
                if not message.id:
                    continue
                key = str(message.id[0] if isinstance(message.id, tuple) else message.id)
                forms = message.string if isinstance(message.string, tuple) else (message.string,)
                usable = tuple("" if message.fuzzy else str(form or "") for form in forms)
                found.setdefault(key, {})[lang] = usable
        return found

    def missing(self) -> list[tuple[str, str]]:
        """The keys and languages with no translation (or only a fuzzy one, which gettext does not use)."""
        return [(key, lang) for key, by_lang in self.entries().items() for lang in LANGS
                if not by_lang.get(lang) or not all(by_lang[lang])]


def long_date(day: date, lang: str) -> str:
    """'maanantai 27. joulukuuta 2027', 'måndag 27 december 2027', 'Monday, 27 December 2027'."""
    return format_date(day, format="full", locale=BABEL_LOCALE.get(lang, "fi_FI"))


def short_date(day: date, lang: str) -> str:
    """'18.12.', '18 dec.', '18 Dec': a day of this year or the next, short, in the reader's language."""
    return format_skeleton("MMMd", day, locale=BABEL_LOCALE.get(lang, "fi_FI"))


def short_datetime(moment: datetime, lang: str) -> str:
    """A moment in Helsinki time, short, in the reader's language."""
    return format_datetime(moment, format="short", tzinfo=HELSINKI, locale=BABEL_LOCALE.get(lang, "fi_FI"))


def pick_lang(requested: str | None, preferred: Sequence[str]) -> Lang:
    """The first of the requested and the browser's preferred languages that the service speaks; else Finnish."""
    for candidate in (requested, *preferred):
        for lang in LANGS:
            if candidate == lang:
                return lang
    return "fi"
