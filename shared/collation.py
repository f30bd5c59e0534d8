"""Names in the order a Finnish or Swedish reader looks for them: å, ä and ö after z, in that order.

Python's ``sorted`` compares code points: 'Ä' (U+00C4) before 'Å' (U+00C5), every capital before every
small letter, 'é' after 'z'. ICU (PyICU) knows every locale's rules and is used when it is installed.
Without it, the Finnish and Swedish alphabets are written out here: both end ... x y z å ä ö, with w
sorted as v and ü as y, and other accents ignored.
"""

from __future__ import annotations

import importlib
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import Any

_LAST = {"å": "{0", "ä": "{1", "ö": "{2", "æ": "{1", "ø": "{2"}  # '{' sorts right after 'z'
_AS = {"w": "v", "ü": "y"}


@cache
def _icu_collator(lang: str) -> Callable[[str], Any] | None:
    try:
        icu = importlib.import_module("icu")
    except ImportError:
        return None
    collator = icu.Collator.createInstance(icu.Locale({"sv": "sv_FI", "fi": "fi_FI"}.get(lang, "en_GB")))
    key: Callable[[str], Any] = collator.getSortKey
    return key


def _nordic_key(name: str) -> tuple[str, str]:
    letters = []
    for ch in name.casefold():
        if ch in _LAST:
            letters.append(_LAST[ch])
            continue
        ch = _AS.get(ch, ch)
        base = unicodedata.normalize("NFD", ch)[0]  # é → e
        letters.append(_AS.get(base, base))
    return "".join(letters), name  # the name itself breaks ties (V and W)


def sort_key(lang: str) -> Callable[[str], Any]:
    """A key for ``sorted`` that orders names as a reader of ``lang`` expects (fi and sv: å ä ö after z)."""
    icu_key = _icu_collator(lang)
    if icu_key is not None:
        return icu_key
    if lang in ("fi", "sv"):
        return _nordic_key
    return lambda name: (unicodedata.normalize("NFD", name.casefold()), name)
