"""What a dashboard table is: its columns, rows, total and chart; and the true size of a group behind a count."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from services.reporting.filters import Filters
from services.reporting.privacy import SUPPRESSED, Count, protect
from shared.db import Conn

Kind = Literal["label", "count", "percent", "rate", "hours", "score", "number"]
Cell = int | float | str | None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind


@dataclass(frozen=True)
class Chart:
    type: Literal["bar", "line"]
    # The columns drawn as series; the first column gives the categories.
    series: tuple[str, ...]
    stacked: bool = False
    horizontal: bool = False
    # The series are alternatives of one figure (a count, a rate): one is drawn at a time, the reader chooses.
    alternatives: bool = False


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    columns: tuple[Column, ...]
    rows: list[list[Cell]]
    chart: Chart | None = None
    note: str | None = None
    total: list[Cell] | None = None  # a last row that sums the others up, shown apart

    def as_json(self) -> dict[str, Any]:
        """The table as the API gives it."""
        return {"id": self.id, "title": self.title,
                "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
                "rows": self.rows, "total": self.total, "note": self.note}


@dataclass(frozen=True)
class Group:
    """The true size of a group, its cases' record-key sum and whether secondary suppression hides it (cube.py):
    enough to publish it, never published as such."""

    n: int = 0
    keys: int = 0
    hidden: bool = False

    @property
    def count(self) -> Count:
        return SUPPRESSED if self.hidden else protect(self.n, self.keys)


def summed(parts: Iterable[Group]) -> Group:
    """The group of several disjoint groups: counts and record keys add up. Only for figures worked out from
    true counts (a mean); a published total is a cell of its own (cube.py), hidden or shown as decided there."""
    parts = list(parts)
    return Group(sum(g.n for g in parts), sum(g.keys for g in parts))


# A table's builder: the table under some filters, in a language.
Builder = Callable[[Conn, Filters, str], Awaitable[Table]]
