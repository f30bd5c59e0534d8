"""What the published cells already say about the hidden ones: the least share answered by the promised day.

A hidden count is not unknown to a careful reader: a published cell is a true count of at least 5 moved by at
most 2 (privacy.interval), a hidden one is at least 0, and the lines say which cells add up. Carrying those
intervals along every line until nothing narrows (interval propagation) gives, for each cell, the least and the
most it can be. The key figure "answered by the promised day" (``met / (met + missed)``, where missed is the
late and the overdue) shows, when it is hidden, the least share those intervals allow: at least the least
``met`` over itself and the most ``missed``. It is worked out from published cells and the lines alone, so
anyone could work it out; it says nothing new, only what is already there, in words.

Only the cells the tables show go in as published: the contacts (``all``) and the response figures answered,
in time and late (``missed``) of every area and period. The cells no table shows (answered late alone,
overdue, waiting) go in as unknown, like a hidden one. The lines are the cube's among those cells (a status
over the months and the municipalities; the statuses to the contacts and to their sums) and the sums those
imply, which a reader knows too (contacts = in time + late + waiting; contacts = answered + overdue + waiting).

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import TypeVar

from services.reporting.privacy import Count, interval
from services.reporting.suppression import Line

K = TypeVar("K", bound=Hashable)
Interval = tuple[int, int | None]  # the least and the most a true count can be (None: no most)
FAMILY = ("all", "response")
SHOWN = frozenset({("all", ""), ("response", "answered"), ("response", "met"), ("response", "missed")})
ROUNDS = 50  # far more than the few a region-year's lines need to settle


def narrow(known: Mapping[K, Interval], lines: Sequence[Line[K]], rounds: int = ROUNDS) -> dict[K, Interval]:
    """Every cell's interval after carrying ``known`` along ``lines`` until nothing narrows (a cell not in
    ``known`` starts as [0, no most]). Sound: a true count inside its interval stays inside it."""
    lo: dict[K, int] = {}
    hi: dict[K, int | None] = {}
    for line in lines:
        for c in line.cells:
            lo[c], hi[c] = known.get(c, (0, None))
    for _ in range(rounds):
        changed = False
        for line in lines:
            total, parts = line.total, line.parts
            parts_lo = sum(lo[p] for p in parts)
            open_parts = sum(1 for p in parts if hi[p] is None)
            parts_hi = sum(hi[p] or 0 for p in parts)
            if parts_lo > lo[total]:
                lo[total], changed = parts_lo, True
            total_hi = hi[total]
            if open_parts == 0 and (total_hi is None or parts_hi < total_hi):
                hi[total] = total_hi = parts_hi
                changed = True
            for p in parts:
                if total_hi is not None:
                    most = total_hi - (parts_lo - lo[p])
                    current = hi[p]
                    if current is None or most < current:
                        hi[p], changed = most, True
                # The others' most is known when none of them is open.
                if open_parts - (hi[p] is None) == 0:
                    least = lo[total] - (parts_hi - (hi[p] or 0))
                    if least > lo[p]:
                        lo[p], changed = least, True
        if not changed:
            break
        if any(h is not None and lo[c] > h for c, h in hi.items()):
            # No true counts fit (cells that do not add up, which the projection never makes): nothing is known.
            return {c: (0, None) for c in lo}
    return {c: (lo[c], hi[c]) for c in lo}


def response_lines(lines: Iterable[Line[tuple[str, str, str, str]]]) -> list[Line[tuple[str, str, str, str]]]:
    """The lines among the contacts and the response statuses, and the two sums of them a reader knows too."""
    out = [line for line in lines if all(c[2] in FAMILY for c in line.cells)]
    blocks = {(c[0], c[1]) for line in out for c in line.cells if c[2] == "response"}
    for a, p in sorted(blocks):
        every, answered, met, missed = (a, p, "all", ""), (a, p, "response", "answered"), \
            (a, p, "response", "met"), (a, p, "response", "missed")
        waiting, overdue = (a, p, "response", "waiting"), (a, p, "response", "overdue")
        out += [Line(every, (met, missed, waiting)), Line(every, (answered, overdue, waiting))]
    return out


def in_time_floors(published: Mapping[tuple[str, str, str, str], Count],
                   lines: Iterable[Line[tuple[str, str, str, str]]]) -> dict[tuple[str, str], Fraction]:
    """Per (area, period): the least share answered by the promised day that the published cells allow (none
    where they allow 0). ``published`` holds each shown cell as the tables show it."""
    chosen = response_lines(lines)
    known = {c: interval(v) for c, v in published.items() if (c[2], c[3]) in SHOWN}
    bounds = narrow(known, chosen)
    out: dict[tuple[str, str], Fraction] = {}
    for (a, p, dim, value), (least, _) in bounds.items():
        if dim != "response" or value != "met" or least <= 0:
            continue
        most_missed = bounds.get((a, p, "response", "missed"), (0, None))[1]
        if most_missed is not None:
            out[(a, p)] = Fraction(least, least + most_missed)
    return out
