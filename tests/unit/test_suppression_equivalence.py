"""The single-line rule on integer cell ids decides exactly as the rule it replaced, which worked on the cells'
own keys: the same hidden cells on random tables and on a synthetic region-year."""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import date
from typing import TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting import cube as cubes
from services.reporting.cube import Builder, Cube, assemble
from services.reporting.suppression import THRESHOLD, Line, exposed, secondary
from shared.regions import load_regions
from shared.settings import ROOT

K = TypeVar("K", bound=Hashable)
VS = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]


def reference(true: Mapping[K, int], lines: Sequence[Line[K]], hidden: Iterable[K] | None = None) -> set[K]:
    """The rule as it was written before cells became numbers (suppression.py at 6e1df47), kept to compare."""
    every = {c for line in lines for c in line.cells}
    out = set({c for c in every if true.get(c, 0) < THRESHOLD} if hidden is None else hidden)
    lines_of: dict[K, list[int]] = {}
    for i, line in enumerate(lines):
        for c in line.cells:
            lines_of.setdefault(c, []).append(i)
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
        chosen = min(shown, key=lambda c: (true.get(c, 0), repr(c)))
        out.add(chosen)
        for j in lines_of.get(chosen, ()):
            hidden_in[j] += lines[j].cells.count(chosen)
            if j not in waiting:
                waiting.add(j)
                todo.append(j)
    return out


@st.composite
def tables(draw: st.DrawFn) -> tuple[dict[str, int], list[Line[str]], set[str] | None]:
    """Random cells (few, so that lines share them and counts tie often) and lines of distinct cells."""
    names = [f"c{i}" for i in range(draw(st.integers(2, 30)))]
    true = {c: draw(st.integers(0, 12)) for c in names if draw(st.booleans())}  # the others count 0
    lines = []
    for _ in range(draw(st.integers(1, 25))):
        cells = draw(st.lists(st.sampled_from(names), min_size=2, max_size=8, unique=True))
        lines.append(Line(cells[0], tuple(cells[1:])))
    hidden = draw(st.none() | st.sets(st.sampled_from([*names, "elsewhere"]), max_size=6))
    return true, lines, hidden


@settings(max_examples=400, deadline=None)
@given(tables())
def test_the_rule_on_numbers_hides_what_the_rule_on_keys_hid(table: tuple[
        dict[str, int], list[Line[str]], set[str] | None]) -> None:
    true, lines, hidden = table
    assert secondary(true, lines, hidden) == reference(true, lines, hidden)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=2, max_size=6, unique=True),
       st.lists(st.integers(0, 9), min_size=6, max_size=6))
def test_ties_between_keys_of_another_type_are_broken_alike(cells: list[tuple[int, int]], counts: list[int]) -> None:
    # Tuples, as the cube's keys are: equal counts everywhere, so every choice is made by the cells' order.
    true = {c: counts[i % len(counts)] % 3 + 5 for i, c in enumerate(cells)}
    lines = [Line(cells[0], tuple(cells[1:])), Line(cells[-1], tuple(cells[:-1]))]
    true[cells[1]] = 1
    assert secondary(true, lines) == reference(true, lines)


def region_year(seed: int) -> Cube:
    """A busy synthetic year of Varsinais-Suomi: every municipality, from a handful of cases to hundreds a month,
    spread over every dimension the cube loads."""
    rng = random.Random(seed)
    b = Builder()
    found: dict[str, set[str]] = {}
    for m in VS.municipalities:
        size = rng.choice([1, 3, 10, 50, 300])
        for month in range(1, 13):
            total = max(0, int(rng.gauss(size, size / 3)))
            period = f"2026-{month:02d}"
            b.add(m.id, period, "all", "", total, total * 30000)
            for dim in (*cubes.FULL, *cubes.PARTIAL, *cubes.CONDITIONS, "team"):
                if dim == "weekday":
                    continue
                values = {"team": ("family-work", ""), "referral": ("neuvola",)}.get(dim) or (
                    cubes.FULL.get(dim) or cubes.PARTIAL.get(dim) or ("",))
                for v in values:
                    k = rng.randint(0, max(1, total // max(1, len(values))))
                    b.add(m.id, period, dim, v, k, k * 30000)
                    found.setdefault(dim, set()).add(v)
    return assemble(b, VS, 2026, date(2026, 12, 31), found)


def test_a_region_year_is_decided_exactly_as_before() -> None:
    for seed in (1, 2):
        c = region_year(seed)
        assert len(c.lines) > 30_000
        # The rule counts a line's hidden cells once each: the cube names every cell of a line once.
        assert all(len(set(line.cells)) == len(line.cells) for line in c.lines)
        before = reference(c.n, c.lines)
        assert c.hidden == before and secondary(c.n, c.lines) == before
        # More than the small cells: the rule had choices to make, ties among them.
        assert len(before) > sum(1 for k in {k for line in c.lines for k in line.cells} if c.n.get(k, 0) < THRESHOLD)
        assert exposed(set(c.hidden), c.lines) == []
