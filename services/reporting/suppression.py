"""Secondary suppression: which published cells must be hidden too, so that no hidden cell can be worked out.

Hiding every count under 5 (primary suppression) is not enough when a table is published with its
totals: a total and all but one of its parts give the last part back by subtraction. Statistical
offices therefore hide more cells (secondary suppression; τ-ARGUS and sdcTable do it for linked
tables). This is the classic single-line rule, iterated until nothing changes:

    no line (a total and the parts that add up to it) may hold exactly one hidden cell;
    when one does, hide also its smallest published part (its total when every part is hidden).

A cell is hidden because of its true count alone, never because of who asks or how; the lines are
every relation between the cells the dashboards can show (see cube.py), so the decision is taken once
for the whole (region, year) and the same cell is hidden or shown the same way in every table, page,
API answer and file that shows it.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

THRESHOLD: Final = 5
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Line(Generic[K]):
    """A total and its parts: ``true[total] == sum(true[p] for p in parts)``."""

    total: K
    parts: tuple[K, ...]

    @property
    def cells(self) -> tuple[K, ...]:
        return (self.total, *self.parts)


def primary(true: Mapping[K, int], cells: Iterable[K]) -> set[K]:
    """The cells under the threshold (0 included: "nobody" and "one family" must look the same)."""
    return {c for c in cells if true.get(c, 0) < THRESHOLD}


def _order(true: Mapping[K, int], cell: K) -> tuple[int, str]:
    # The smallest first; among equal counts a fixed order, so the same counts always hide the same cells.
    return true.get(cell, 0), repr(cell)


def secondary(true: Mapping[K, int], lines: Sequence[Line[K]], hidden: Iterable[K] | None = None) -> set[K]:
    """Every cell to hide: the primary ones (or ``hidden``) and as few more as the single-line rule needs."""
    every = {c for line in lines for c in line.cells}
    out = set(primary(true, every) if hidden is None else hidden)
    lines_of: dict[K, list[int]] = {}
    for i, line in enumerate(lines):
        for c in line.cells:
            lines_of.setdefault(c, []).append(i)
    # A worklist: a line needs a look again only when one of its cells has just been hidden. Each line's count
    # of hidden cells is kept as cells are hidden rather than counted again at every look (a region-year has
    # tens of thousands of lines).
    hidden_in = [sum(1 for c in line.cells if c in out) for line in lines]
    todo = list(range(len(lines)))
    waiting = set(todo)
    while todo:
        i = todo.pop()
        waiting.discard(i)
        if hidden_in[i] != 1:
            continue
        line = lines[i]
        shown = [p for p in line.parts if p not in out] or ([line.total] if line.total not in out else [])
        if not shown:
            continue
        chosen = min(shown, key=lambda c: _order(true, c))
        out.add(chosen)
        for j in lines_of.get(chosen, ()):
            hidden_in[j] += lines[j].cells.count(chosen)
            if j not in waiting:
                waiting.add(j)
                todo.append(j)
    return out


def exposed(hidden: set[K], lines: Iterable[Line[K]]) -> list[Line[K]]:
    """The lines that hold exactly one hidden cell (none, once :func:`secondary` has decided)."""
    return [line for line in lines if sum(1 for c in line.cells if c in hidden) == 1]
