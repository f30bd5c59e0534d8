"""The key figure "answered by the promised day" as a lower bound when its share is hidden: never above the true
share, and exactly what a reader could already work out of the published cells."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest

from services.reporting import bounds
from services.reporting.cube import REGION, Cube
from services.reporting.present import share_over
from services.reporting.privacy import SUPPRESSED, Count, interval, protect, whole_percent_below
from services.reporting.suppression import Line
from tests.attacks.attacker import Relation, differencing, intervals, judge, share_floor, with_share_floors
from tests.unit.test_disclosure import shown, synthetic_cube

Key = tuple[str, str, str, str]


def true_share(c: Cube, a: str, p: str) -> Fraction | None:
    met, missed = c.n.get((a, p, "response", "met"), 0), c.n.get((a, p, "response", "missed"), 0)
    return Fraction(met, met + missed) if met + missed else None


def shown_cells(c: Cube) -> dict[Key, Count]:
    """What the tables show of the contacts and the response figures of every area and period."""
    every = {k for line in c.lines for k in line.cells}
    return {k: c.group(k).count for k in every if (k[2], k[3]) in bounds.SHOWN}


def readers_relations(c: Cube) -> list[Relation]:
    """The relations a reader knows from the tables' meaning: the response figures add up over the months and the
    municipalities, the statuses to their sums and to the contacts (built here apart from bounds.py)."""
    out = [Relation(line.total, line.parts) for line in c.lines
           if {k[2] for k in line.cells} <= {"all", "response"}]
    blocks = {(k[0], k[1]) for line in c.lines for k in line.cells if k[2] == "response"}
    for a, p in blocks:
        r = {s: (a, p, "response", s) for s in ("met", "missed", "waiting", "answered", "overdue")}
        out += [Relation((a, p, "all", ""), (r["met"], r["missed"], r["waiting"])),
                Relation((a, p, "all", ""), (r["answered"], r["overdue"], r["waiting"]))]
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_floor_is_never_above_the_true_share_and_is_what_a_reader_works_out(seed: int) -> None:
    c, _ = synthetic_cube(seed)
    published = shown_cells(c)
    reader = intervals(published, readers_relations(c))
    floors_of_hidden = 0
    for (a, p), floor in c.in_time.items():
        truth = true_share(c, a, p)
        assert truth is not None and floor <= truth, (a, p, floor, truth)
        assert share_floor(reader, (a, p, "response", "met"), (a, p, "response", "missed")) == floor, (a, p)
        hidden = SUPPRESSED in (published.get((a, p, "response", "met")), published.get((a, p, "response", "missed")))
        floors_of_hidden += hidden
    # Where the reader can work out a floor, the cube has it too (none is left out, none is added).
    for a, p in {(k[0], k[1]) for k in published}:
        found = share_floor(reader, (a, p, "response", "met"), (a, p, "response", "missed"))
        assert c.in_time.get((a, p)) == found
    # The test means something: some hidden shares do get a floor, and the region's year is one of the floors.
    assert floors_of_hidden > 0 and (REGION, "2026") in c.in_time


BLOCK: list[Line[str]] = [
    Line("all", ("met", "late", "overdue", "waiting")), Line("answered", ("met", "late")),
    Line("missed", ("late", "overdue")), Line("all", ("met", "missed", "waiting")),
    Line("all", ("answered", "overdue", "waiting"))]


def least_share_by_trying_every_count(published: dict[str, Count]) -> Fraction | None:
    """The attacker's best: every true met, late and overdue that the published cells allow (waiting only fills
    the contacts up), and the least share among them."""
    iv = {k: interval(v) for k, v in published.items()}
    top = max(30, *(hi for _, hi in iv.values() if hi is not None))

    def ok(name: str, value: int) -> bool:
        lo, hi = iv[name]
        return lo <= value and (hi is None or value <= hi) if published[name] != SUPPRESSED else True

    best: Fraction | None = None
    for m, late, o in itertools.product(range(top + 1), repeat=3):
        if not (ok("met", m) and ok("answered", m + late) and ok("missed", late + o)):
            continue
        c_lo, c_hi = iv["all"]
        if c_hi is not None and m + late + o > c_hi:
            continue  # waiting cannot be below 0
        if m + late + o == 0:
            continue
        share = Fraction(m, m + late + o)
        best = share if best is None or share < best else best
    return best


def test_on_one_area_and_period_the_floor_is_the_least_share_every_possible_count_gives() -> None:
    rng = random.Random(19)
    tried = floors = 0
    while tried < 60:
        m, late, o, w = rng.randint(0, 25), rng.randint(0, 6), rng.randint(0, 6), rng.randint(0, 4)
        truth = {"met": m, "late": late, "overdue": o, "waiting": w, "answered": m + late, "missed": late + o,
                 "all": m + late + o + w}
        if m + late + o == 0:
            continue
        tried += 1
        # Small ones hidden, and sometimes one more, as secondary suppression hides a published neighbour.
        hidden = {k for k in ("all", "answered", "met", "missed") if truth[k] < 5}
        hidden |= {k for k in ("answered", "met", "missed") if rng.random() < 0.3}
        published: dict[str, Count] = {k: SUPPRESSED if k in hidden else protect(truth[k], rng.randrange(1 << 16))
                                       for k in ("all", "answered", "met", "missed")}
        narrowed = bounds.narrow({k: interval(v) for k, v in published.items()}, BLOCK)
        least, most = narrowed["met"][0], narrowed["missed"][1]
        floor = Fraction(least, least + most) if least > 0 and most is not None else None
        best = least_share_by_trying_every_count(published)
        assert floor == (best if best else None), (truth, published, floor, best)
        if floor is not None:
            floors += 1
            assert floor <= Fraction(m, m + late + o)
    assert floors >= 10


@pytest.mark.parametrize(("share", "percent"), [(Fraction(984, 1000), 98), (Fraction(98, 100), 97),
                                                (Fraction(1, 1), 99), (Fraction(1, 200), 0)])
def test_the_whole_percent_is_below_the_floor(share: Fraction, percent: int) -> None:
    assert whole_percent_below(share) == percent and percent < share * 100


def test_the_floor_reads_in_each_language() -> None:
    assert share_over(98, "fi").replace("\xa0", " ") == "yli 98 %"
    assert share_over(98, "sv").replace("\xa0", " ") == "över 98 %"
    assert share_over(98, "en") == "over 98%"


@pytest.mark.parametrize("seed", [1, 2])
def test_the_attacker_who_also_reads_the_bounds_still_does_not_beat_chance(seed: int) -> None:
    c, _ = synthetic_cube(seed)
    published = {k: c.group(k).count for line in c.lines for k in line.cells}
    shown_floors = [((a, p, "response", "met"), (a, p, "response", "missed"), whole_percent_below(f))
                    for (a, p), f in c.in_time.items()
                    if SUPPRESSED in (published.get((a, p, "response", "met")),
                                      published.get((a, p, "response", "missed")))]
    assert shown_floors
    for met, missed, k in shown_floors:  # each bound as the page states it holds
        assert 100 * c.n.get(met, 0) > k * (c.n.get(met, 0) + c.n.get(missed, 0))
    relations = [Relation(line.total, line.parts) for line in c.lines]
    plain = differencing(published, relations)
    narrowed = with_share_floors(plain, published, shown_floors)
    hidden = [k for k, v in published.items() if v == SUPPRESSED and shown(k)]
    verdict = judge(narrowed, c.n, hidden)
    assert verdict.cells > 500 and not verdict.beats_chance, verdict
