"""An attacker on the published statistics: what can be worked out of the hidden cells, and is it better than chance?

Two attacks, run on whatever the statistics publish (the integration test feeds them API answers; the unit
tests the cube or the old free filters directly):

* **averaging**: ``count(Q + X) - count(Q)`` over many sets ``Q``; with the cell key method each different set
  gets its own noise, so the mean of the differences converges on ``X``'s true count;
* **differencing**: along every relation of the published cells (a total and its parts), a hidden part is the
  total minus the published parts, shared among the hidden parts of that line.

The bar: the share of hidden cells whose true count the attacker gets exactly must not beat the best guess that
knows only the distribution of the hidden counts (its mode), by more than a one-sided binomial margin.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

Published = int | str  # a number, or the hidden symbol
Z_ONE_SIDED_99 = 2.326


def mean_difference(with_x: Sequence[float], without_x: Sequence[float]) -> int:
    """The averaging attack's estimate of X: the mean of count(Q + X) - count(Q), rounded."""
    return round(statistics.fmean(a - b for a, b in zip(with_x, without_x, strict=True)))


@dataclass(frozen=True)
class Relation:
    """Published cells that add up: ``total == sum(parts)`` in true counts."""

    total: Hashable
    parts: tuple[Hashable, ...]


def differencing(published: Mapping[Hashable, Published], relations: Iterable[Relation]) -> dict[Hashable, int]:
    """For each hidden cell that some relation says something about: the attacker's best estimate of its count.

    Where a relation holds the cell as its only hidden one, the difference is the cell's count up to the noise of
    the published cells, and each such relation has its own noise: their mean is the estimate. Where the hidden
    parts of a relation share nothing (the published parts make up the total), each of them is taken to be 0.
    Anything else says less than the mode of the hidden counts, which is what a cell without an estimate gets."""
    alone: dict[Hashable, list[float]] = {}
    shared: dict[Hashable, list[float]] = {}
    for rel in relations:
        cells = (rel.total, *rel.parts)
        hidden = [c for c in cells if not isinstance(published.get(c), int)]
        known = sum(v for p in rel.parts if isinstance(v := published.get(p), int))
        total = published.get(rel.total)
        if len(hidden) == 1:
            cell = hidden[0]
            alone.setdefault(cell, []).append(known if cell == rel.total else float(total) - known)  # type: ignore[arg-type]
        elif isinstance(total, int) and total - known <= 0:
            for p in hidden:
                shared.setdefault(p, []).append(0.0)
    out = {cell: 0 for cell in shared}
    out |= {cell: max(0, round(statistics.fmean(g))) for cell, g in alone.items()}
    return out


@dataclass(frozen=True)
class Verdict:
    cells: int
    recovered: int
    chance: float  # the share the mode guess gets right
    bound: float  # chance plus the one-sided binomial margin

    @property
    def rate(self) -> float:
        return self.recovered / self.cells if self.cells else 0.0

    @property
    def beats_chance(self) -> bool:
        return self.rate > self.bound


def judge(estimates: Mapping[Hashable, int], truth: Mapping[Hashable, int],
          hidden: Iterable[Hashable]) -> Verdict:
    """How often the estimates hit the truth, over every hidden cell (an unestimated cell gets the mode guess)."""
    cells = list(hidden)
    values = [truth.get(c, 0) for c in cells]
    if not cells:
        return Verdict(0, 0, 0.0, 0.0)
    mode, mode_hits = Counter(values).most_common(1)[0]
    chance = mode_hits / len(cells)
    recovered = sum(1 for c, v in zip(cells, values, strict=True) if estimates.get(c, mode) == v)
    margin = Z_ONE_SIDED_99 * math.sqrt(max(chance * (1 - chance), 1e-9) / len(cells)) + 1 / len(cells)
    return Verdict(len(cells), recovered, chance, chance + margin)


def recover_by_averaging(count: Callable[[frozenset[str]], Published], target: str,
                         others: Sequence[frozenset[str]]) -> int | None:
    """The averaging attack through a counting function over sets of municipalities: None when the answers it
    needs are hidden or refused."""
    with_x, without_x = [], []
    for q in others:
        a, b = count(q | {target}), count(q)
        if isinstance(a, int) and isinstance(b, int):
            with_x.append(a)
            without_x.append(b)
    return mean_difference(with_x, without_x) if with_x else None


def intervals(published: Mapping[Hashable, Published], relations: Sequence[Relation], *, shift: int = 2,
              threshold: int = 5) -> dict[Hashable, tuple[int, float]]:
    """What the published cells and the relations say about each cell: the least and the most its true count can be
    (``inf``: no most). A number ``p`` is a true count of at least ``threshold`` moved by at most ``shift``; a hidden
    or unpublished cell is any count from 0. Each relation narrows its cells until none narrows any more."""
    low: dict[Hashable, int] = {}
    high: dict[Hashable, float] = {}
    for rel in relations:
        for c in (rel.total, *rel.parts):
            v = published.get(c)
            low[c], high[c] = (max(threshold, v - shift), v + shift) if isinstance(v, int) else (0, math.inf)
    narrowed = True
    while narrowed:
        narrowed = False
        for rel in relations:
            bounds = [(rel.total, 1), *((p, -1) for p in rel.parts)]  # total - parts == 0
            for cell, sign in bounds:
                # The cell's share of the sum is minus the others' (each with its sign), so its most is the others'
                # most and its least the others' least, turned around for the parts.
                others_low = sum(low[c] if s * sign < 0 else -high[c] for c, s in bounds if c != cell)
                others_high = sum(high[c] if s * sign < 0 else -low[c] for c, s in bounds if c != cell)
                least, most = others_low, others_high
                if least > low[cell]:
                    low[cell], narrowed = int(least), True
                if most < high[cell]:
                    high[cell], narrowed = most, True
    return {c: (low[c], high[c]) for c in low}


def share_floor(bounds: Mapping[Hashable, tuple[int, float]], part: Hashable, rest: Hashable) -> Fraction | None:
    """The least ``part / (part + rest)`` the bounds allow: the least part beside the most rest; None when 0."""
    least, most = bounds.get(part, (0, math.inf))[0], bounds.get(rest, (0, math.inf))[1]
    if least <= 0 or most == math.inf:
        return None
    return Fraction(least, least + int(most))


def with_share_floors(estimates: Mapping[Hashable, int], published: Mapping[Hashable, Published],
                      floors: Iterable[tuple[Hashable, Hashable, int]], *, shift: int = 2,
                      threshold: int = 5) -> dict[Hashable, int]:
    """The estimates narrowed by published lower bounds of shares: each ``(part, rest, k)`` says
    ``part / (part + rest) > k %``. With the part published, the rest is under ``part · (100 - k) / k``; with the
    rest published, the part is over ``rest · k / (100 - k)``. An estimate outside is moved inside; a hidden cell the
    bound pins (its most is 0) is taken to be 0."""
    out = dict(estimates)
    for part, rest, k in floors:
        p, r = published.get(part), published.get(rest)
        if isinstance(p, int) and not isinstance(r, int) and k > 0:
            most = math.ceil((p + shift) * (100 - k) / k) - 1
            if most <= 0:
                out[rest] = 0
            elif rest in out:
                out[rest] = min(out[rest], most)
        elif isinstance(r, int) and not isinstance(p, int) and k < 100:
            least = math.floor(max(threshold, r - shift) * k / (100 - k)) + 1
            if part in out:
                out[part] = max(out[part], least)
    return out
