"""Disclosure control: the averaging attack that broke the old free filters, the single-line rule, and a
region-year's cube in which no relation of the published cells gives a hidden count back."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

import pytest
from starlette.datastructures import QueryParams

from services.reporting import cube as cubes
from services.reporting.auth import Viewer
from services.reporting.cube import REGION, Builder, Cube, assemble, month_period, week_period, whole_weeks
from services.reporting.filters import parse_filters
from services.reporting.privacy import SUPPRESSED, protect, record_key
from services.reporting.suppression import Line, exposed, primary, secondary
from shared.errors import InvalidCommand
from shared.regions import load_regions
from shared.settings import ROOT
from tests.attacks.attacker import Relation, Verdict, differencing, judge, recover_by_averaging

REGIONS = load_regions(ROOT / "deploy" / "regions")
VS = REGIONS.by_id["varsinais-suomi"]
VIEWER = Viewer(account_id="eeva", role="manager", region=VS.id, language="fi", csrf="x")
SECRET = b"a region's statistics key"


# ------------------------------------------------------------------ the old design, attacked


def old_region(rng: random.Random) -> dict[str, list[int]]:
    """Record keys of each municipality's cases in a period: a few big towns, many small places."""
    out: dict[str, list[int]] = {}
    for i, m in enumerate(VS.municipalities):
        size = rng.choice([40, 60, 120]) if i < 4 else rng.randint(0, 4)
        out[m.id] = [record_key(SECRET, uuid.UUID(int=rng.getrandbits(128))) for _ in range(size)]
    return out


def test_averaging_free_sets_gives_hidden_counts_back_under_the_old_filters() -> None:
    rng = random.Random(18)
    region = old_region(rng)

    def old_count(chosen: frozenset[str]) -> int | str:  # what /api/v1/tables answered for any set of municipalities
        keys = [k for m in chosen for k in region[m]]
        return protect(len(keys), sum(keys))

    small = [m for m, keys in region.items() if len(keys) < 5]
    big = [m for m, keys in region.items() if len(keys) >= 40]
    truth, estimates = {}, {}
    for target in small:
        others = [m for m in region if m != target]
        sets = [frozenset(rng.sample(others, 8)) | {big[0]} for _ in range(60)]
        assert old_count(frozenset({target})) == SUPPRESSED
        estimates[target] = recover_by_averaging(old_count, target, sets)
        truth[target] = len(region[target])
    verdict = judge({k: v for k, v in estimates.items() if v is not None}, truth, small)
    # The old design fails the attack test: nearly every hidden count comes back exactly.
    assert verdict.cells >= 15 and verdict.beats_chance and verdict.rate > 0.9


def test_the_filters_no_longer_make_sets_to_average() -> None:
    def new_count(chosen: frozenset[str]) -> int | str:
        query = QueryParams([("municipality", m) for m in sorted(chosen)])
        try:
            parse_filters(query, REGIONS, VIEWER)
        except InvalidCommand:
            return "refused"
        return 0  # one municipality: a fixed cell (its answer is the same each time; see the cube tests)

    others = [frozenset({"turku", "raisio"}), frozenset({"turku", "naantali", "kaarina"})]
    assert recover_by_averaging(new_count, "aura", others) is None
    for query in ("since=2026-01-01&until=2026-02-01", "topic=parent_coping", "municipality=aura&municipality=turku"):
        with pytest.raises(InvalidCommand):
            parse_filters(QueryParams(query), REGIONS, VIEWER)


# ------------------------------------------------------------------ the single-line rule


def test_a_line_never_holds_exactly_one_hidden_cell() -> None:
    true = {"t": 12, "a": 9, "b": 3}
    assert secondary(true, [Line("t", ("a", "b"))]) == {"b", "a"}
    # Hiding "a" leaves the column line with one hidden cell: the rule goes on until nothing changes.
    true |= {"T": 30, "c": 18}
    lines = [Line("t", ("a", "b")), Line("T", ("a", "c"))]
    hidden = secondary(true, lines)
    assert hidden == {"a", "b", "c"} and exposed(hidden, lines) == []
    # Every part hidden: the total goes too.
    assert secondary({"t": 6, "a": 3, "b": 3}, [Line("t", ("a", "b"))]) == {"a", "b"}
    assert secondary({"t": 4, "a": 4}, [Line("t", ("a",))]) == {"t", "a"}
    assert secondary({"t": 9, "a": 9}, [Line("t", ("a",))]) == set()


def test_the_smallest_published_part_goes_and_ties_are_broken_the_same_way_each_time() -> None:
    true = {"t": 40, "a": 2, "b": 7, "c": 7, "d": 24}
    lines = [Line("t", ("d", "c", "b", "a"))]
    assert secondary(true, lines) == {"a", "b"}
    assert all(secondary(true, list(reversed(lines))) == {"a", "b"} for _ in range(3))
    assert primary(true, true) == {"a"}


# ------------------------------------------------------------------ a region-year's cube


YEAR, LAST = 2026, date(2026, 11, 20)
DIMS = {"time": cubes.FULL["time"], "role": cubes.FULL["role"], "method": cubes.FULL["method"],
        "topic_family": cubes.FULL["topic_family"], "topic": cubes.FULL["topic"]}


def synthetic_cube(seed: int) -> tuple[Cube, list[dict[str, object]]]:
    """Several hundred cases in a year of Varsinais-Suomi, most in Turku, a few in each small municipality,
    added to the cube's base cells as the rollup's SQL adds them (cells.py)."""
    rng = random.Random(seed)
    weights = [60 if m.id == "turku" else 12 if m.id in ("kaarina", "raisio", "naantali") else 1
               for m in VS.municipalities]
    teams = [tm.id for tm in VS.teams]
    b = Builder()
    found: dict[str, set[str]] = {}
    cases = []
    weeks = {w: week_period(w) for w in whole_weeks(date(YEAR, 1, 1), LAST)}
    for _ in range(600):
        m = rng.choices([m.id for m in VS.municipalities], weights)[0]
        day = date(YEAR, 1, 1) + timedelta(days=rng.randrange((LAST - date(YEAR, 1, 1)).days + 1))
        key = record_key(SECRET, uuid.UUID(int=rng.getrandbits(128)))
        values: dict[str, str | None] = {d: rng.choice(v) for d, v in DIMS.items()}
        values["hour"] = str(rng.randrange(24))
        values["team"] = rng.choice([*teams, ""])
        closed = rng.random() < 0.8
        values["outcome"] = rng.choice(cubes.PARTIAL["outcome"]) if closed else None
        values["feedback"] = str(rng.randint(1, 5)) if closed and rng.random() < 0.3 else None
        values["topic_triage"] = rng.choice(cubes.TOPICS) if rng.random() < 0.9 else None
        service = rng.choice(VS.local_services) if closed and rng.random() < 0.3 else None
        values["referral"] = service.id if service else None
        values["referral_kind"] = service.kind if service else None
        for condition in cubes.CONDITIONS:
            values[condition] = "" if rng.random() < 0.15 else None
        # The conditions that are another dimension's values, as cells.py defines them.
        values["after_hours"] = "" if values["time"] != "office" else None
        values["anonymous"] = "" if values["method"] == "anonymous" else None
        values["feedback_given"] = "" if values["feedback"] is not None else None
        values["referred"] = "" if values["referral"] is not None else None
        values["all"] = ""
        status = rng.choices(cubes.STATUSES, [70, 15, 5, 10])[0]
        p = month_period(day)
        for dim, v in values.items():
            if v is not None:
                b.add(m, p, dim, v, 1, key)
                found.setdefault(dim, set()).add(v)
        b.add(m, p, "weekday", str(day.isoweekday()), 1, key)
        monday = day - timedelta(days=day.weekday())
        if monday in weeks:
            b.add(m, weeks[monday], "all", "", 1, key)
        b.add(m, p, "response", status, 1, key) if status != "waiting" else None
        if status != "waiting":
            b.add(m, p, "team_response", f"{values['team']}|{status}", 1, key)
        if rng.random() < 0.1:
            answered = rng.random()
            b.add(m, p, "followup", "all", 1, key)
            b.add(m, p, "followup", "met" if answered < 0.7 else "missed", 1, key)
        cases.append({"municipality": m, "day": day, **values})
    return assemble(b, VS, YEAR, LAST, found), cases


def publish(c: Cube) -> dict[cubes.Key, int | str]:
    return {k: c.group(k).count for line in c.lines for k in line.cells}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_line_is_a_true_relation_and_none_holds_one_hidden_cell(seed: int) -> None:
    c, cases = synthetic_cube(seed)
    assert len(cases) == 600 and c.n[(REGION, "2026", "all", "")] == 600
    for line in c.lines:
        assert c.n.get(line.total, 0) == sum(c.n.get(p, 0) for p in line.parts), line
    assert exposed(set(c.hidden), c.lines) == []
    small = [k for k, v in c.n.items() if 0 < v < 5]
    assert small and all(k in c.hidden for k in small)
    # Some cells are hidden though they are not small, and they read like every other hidden cell.
    secondary_only = [k for k in c.hidden if c.n.get(k, 0) >= 5]
    assert secondary_only and {c.group(k).count for k in secondary_only} == {SUPPRESSED}


def shown(key: cubes.Key) -> bool:
    """Whether a table shows the cell (the rest of a dimension, and the response statuses the tables add up, are
    lines' parts only)."""
    dim, value = key[2], key[3]
    status = value.rsplit("|", 1)[-1]
    return value != cubes.OTHERS and dim != "referral_rest" and not (
        dim in ("response", "team_response") and status in ("late", "overdue", "waiting")) and (dim, value) != (
        "followup", "other")


def attack(c: Cube, published: dict[cubes.Key, int | str]) -> Verdict:
    relations = [Relation(line.total, line.parts) for line in c.lines]
    hidden = [k for k, v in published.items() if v == SUPPRESSED and shown(k)]
    return judge(differencing(published, relations), c.n, hidden)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_differencing_every_relation_does_not_beat_chance(seed: int) -> None:
    c, _ = synthetic_cube(seed)
    verdict = attack(c, publish(c))
    assert verdict.cells > 500 and not verdict.beats_chance, verdict


@pytest.mark.parametrize("seed", [1, 2])
def test_the_attacker_finds_what_primary_suppression_alone_leaves(seed: int) -> None:
    """The attack can fail a design: exact counts with only the small ones hidden give hidden counts back, more
    often than chance; with secondary suppression the same exact counts give nothing beyond the mode."""
    c, _ = synthetic_cube(seed)
    every = {k for line in c.lines for k in line.cells}
    small = primary(c.n, every)
    leaky = attack(c, {k: SUPPRESSED if k in small else c.n.get(k, 0) for k in every})
    assert leaky.beats_chance, leaky
    held = attack(c, {k: SUPPRESSED if k in c.hidden else c.n.get(k, 0) for k in every})
    assert not held.beats_chance and held.recovered == round(held.chance * held.cells), held


def test_the_same_cell_has_the_same_answer_in_every_table() -> None:
    first, _ = synthetic_cube(7)
    again, _ = synthetic_cube(7)
    assert first.hidden == again.hidden and publish(first) == publish(again)
    # A month asked alone is the month row of its year: one cell, one answer.
    key = ("aura", "2026-03", "all", "")
    assert first.group(key).count == again.group(key).count
