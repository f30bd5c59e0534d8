"""Values written to a spreadsheet (CSV or XLSX) that a spreadsheet program never runs as a formula.

A text that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some programs skip
before reading one of those) is taken as a formula when the file is opened: a team named
``=HYPERLINK("https://…", "open")`` would become a link that sends data away, or worse. OWASP's advice on CSV
injection: put a single quote before such a text, so the program shows it as it is. Numbers stay numbers (a
negative count is written as a number, never as text).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, TypeVar

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
V = TypeVar("V")


def safe_cell(value: V) -> V | str:
    """``value``, or a text that starts like a formula with a quote before it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[V]) -> list[V | str]:
    return [safe_cell(v) for v in values]
