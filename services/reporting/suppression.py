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
    """A total and its parts: ``true[total] == sum(true[p] for p in parts)``, each cell named once."""

    total: K
    parts: tuple[K, ...]

    @property
    def cells(self) -> tuple[K, ...]:
        return (self.total, *self.parts)


def primary(true: Mapping[K, int], cells: Iterable[K]) -> set[K]:
    """The cells under the threshold (0 included: "nobody" and "one family" must look the same)."""
    return {c for c in cells if true.get(c, 0) < THRESHOLD}


def secondary(true: Mapping[K, int], lines: Sequence[Line[K]], hidden: Iterable[K] | None = None) -> set[K]:
    """Every cell to hide: the primary ones (or ``hidden``) and as few more as the single-line rule needs."""
    # Each cell becomes a number (its first appearance), each line a slice of one flat list of numbers: the rule
    # then works on lists of ints, with no hashing of the cells' tuples (a region-year has tens of thousands of
    # lines, and this runs on every rebuild).
    ids: dict[K, int] = {}
    flat: list[int] = []
    starts = [0]
    for line in lines:
        for c in (line.total, *line.parts):
            i = ids.get(c)
            if i is None:
                i = ids[c] = len(ids)
            flat.append(i)
        starts.append(len(flat))
    cells = list(ids)
    counts = [true.get(c, 0) for c in cells]
    if hidden is None:
        out = bytearray(n < THRESHOLD for n in counts)
        extra: set[K] = set()
    else:
        chosen_ones = set(hidden)
        out = bytearray(c in chosen_ones for c in cells)
        extra = chosen_ones - ids.keys()  # named hidden, in no line: hidden all the same
    lines_of: list[list[int]] = [[] for _ in cells]
    for j in range(len(lines)):
        for i in flat[starts[j]:starts[j + 1]]:
            lines_of[i].append(j)
    # A worklist: a line needs a look again only when one of its cells has just been hidden. Each line's count of
    # hidden cells is kept as cells are hidden rather than counted again at every look.
    hidden_in = [0] * len(lines)
    for i, is_hidden in enumerate(out):
        if is_hidden:
            for j in lines_of[i]:
                hidden_in[j] += 1
    todo = list(range(len(lines)))
    waiting = bytearray(b"\x01") * len(lines)
    while todo:
        j = todo.pop()
        waiting[j] = 0
        if hidden_in[j] != 1:
            continue
        start, end = starts[j], starts[j + 1]
        shown = [i for i in flat[start + 1:end] if not out[i]] or ([flat[start]] if not out[flat[start]] else [])
        if not shown:
            continue
        chosen = _smallest(shown, counts, cells)
        out[chosen] = 1
        for k in lines_of[chosen]:
            hidden_in[k] += 1
            if not waiting[k]:
                waiting[k] = 1
                todo.append(k)
    return {c for c, is_hidden in zip(cells, out, strict=True) if is_hidden} | extra


def _smallest(shown: list[int], counts: list[int], cells: list[K]) -> int:
    # The smallest count first; among equal counts a fixed order (the cell's repr), so the same counts always hide
    # the same cells. repr() only for a tie: most picks have none.
    least = min(counts[i] for i in shown)
    tied = [i for i in shown if counts[i] == least]
    return tied[0] if len(tied) == 1 else min(tied, key=lambda i: repr(cells[i]))


def exposed(hidden: set[K], lines: Iterable[Line[K]]) -> list[Line[K]]:
    """The lines that hold exactly one hidden cell (none, once :func:`secondary` has decided)."""
    return [line for line in lines if sum(1 for c in line.cells if c in hidden) == 1]
