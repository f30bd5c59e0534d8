"""Reporting's contact facts and tables: attempts counted up to the first that reached the family, and the
not-reached rate and attempts published with the same small-count rules as every table."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.reporting import cells, rollup
from services.reporting.contacts import attempts_to_reach, closing_cells, not_reached_by_method
from services.reporting.cube import COVERED, Builder, Cube, assemble
from services.reporting.filters import Filters
from services.reporting.model import Group
from services.reporting.privacy import SUPPRESSED, protect
from services.reporting.projection import count_attempt, evolve_facts
from shared.events import ContactAttempted, ContactAttemptedPayload, new_event
from shared.regions import load_regions

ROOT = Path(__file__).resolve().parents[2]
REGION = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
FILTERS = Filters(region=REGION, municipalities=(), since=date(2026, 1, 1), until=date(2026, 12, 31))


def test_attempts_count_up_to_the_first_that_reached_the_family() -> None:
    state: dict[str, Any] = {"contact_attempts": 0, "reached_after": None}
    for result in ("no_answer", "message_left", "reached", "no_answer", "reached"):
        state = count_attempt(state["contact_attempts"], state["reached_after"], result)
    assert state == {"contact_attempts": 5, "reached_after": 3}  # five in all; the third reached them first
    assert count_attempt(0, None, "reached") == {"contact_attempts": 1, "reached_after": 1}
    assert count_attempt(2, None, "no_answer") == {"contact_attempts": 3, "reached_after": None}


def test_the_facts_count_every_attempt_and_the_first_reaching_one_is_also_the_first_answer() -> None:
    at = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    facts: dict[str, Any] = {"contact_attempts": 0, "reached_after": None, "first_response_at": None,
                             "received_at": at, "team_id": None}
    for hours, result in ((1, "no_answer"), (3, "reached"), (5, "no_answer")):
        evolve_facts(facts, new_event(ContactAttempted, case_id=uuid.uuid4(), region="varsinais-suomi",
                                      municipality="turku", actor="staff:x", occurred_at=at + timedelta(hours=hours),
                                      payload=ContactAttemptedPayload(channel="phone", result=result)))
    assert (facts["contact_attempts"], facts["reached_after"]) == (3, 2)
    assert facts["first_response_at"] == at + timedelta(hours=3) and facts["first_response_kind"] == "phone"


def test_the_dimensions_read_back() -> None:
    assert cells.parse("reached_after", "4") == 4 and cells.parse("closed_method", "sms") == "sms"
    assert {"closed_method", "not_reached_method", "reached_after"} <= set(cells.DIMENSIONS)


def test_the_not_reached_share_needs_both_counts_published() -> None:
    assert closing_cells(None) == [SUPPRESSED, SUPPRESSED, None]
    assert closing_cells({"closed": Group(30, 1000), "not_reached": Group(3, 90)}) == [
        protect(30, 1000), SUPPRESSED, None]
    closed, not_reached = protect(60, 5000), protect(12, 700)
    assert isinstance(closed, int) and isinstance(not_reached, int)
    assert closing_cells({"closed": Group(60, 5000), "not_reached": Group(12, 700)}) == [
        closed, not_reached, round(100.0 * not_reached / closed, 1)]


def cube_of(cells_by_dim: dict[str, dict[str, tuple[int, int]]], everyone: tuple[int, int] = (100, 10000)) -> Cube:
    """A region-year's cube whose March in Turku holds ``everyone`` and the given cells."""
    b = Builder()
    b.add("turku", "2026-03", "all", "", *everyone)
    for dim, values in cells_by_dim.items():
        for value, (n, keys) in values.items():
            b.add("turku", "2026-03", dim, value, n, keys)
    return assemble(b, REGION, 2026, date(2026, 12, 31), {d: set(v) for d, v in cells_by_dim.items()})


class Facts:
    """The facts' sum of attempts, as contacts.reaching_groups asks for it."""

    def __init__(self, attempts: int) -> None:
        self.attempts = attempts

    async def fetchval(self, query: str, *args: Any) -> int:
        assert "sum(reached_after)" in query
        return self.attempts


async def test_the_not_reached_table_has_a_row_per_contact_method_and_totals_decided_by_the_cube(
        monkeypatch: pytest.MonkeyPatch) -> None:
    cube = cube_of({"closed_method": {"phone": (40, 4000), "sms": (24, 400), "email": (30, 300)},
                    "not_reached_method": {"phone": (8, 800), "sms": (1, 50), "email": (6, 70)},
                    "outcome": {"guidance_enough": (86, 3880), "not_reached": (15, 920)}})
    monkeypatch.setattr(rollup, "cube_for", lambda conn, f: _ready(cube))
    table = await not_reached_by_method(Facts(0), FILTERS, "sv")  # type: ignore[arg-type]
    assert [row[0] for row in table.rows] == ["Samtal", "Textmeddelande", "E-post", "Anonymt, svar på statussidan"]
    for row, method in zip(table.rows, ("phone", "sms", "email", "anonymous"), strict=True):
        for column, dim in ((1, "closed_method"), (2, "not_reached_method")):
            assert row[column] == cube.group(("", "2026", dim, method)).count
    assert table.rows[1][2] == SUPPRESSED and table.rows[1][3] is None  # one not reached: hidden, and no share
    # The line of not-reached counts had one hidden cell (sms) besides the empty anonymous: never one alone.
    hidden = [row[2] for row in table.rows].count(SUPPRESSED)
    assert hidden >= 2
    assert table.total is not None and table.total[1:3] == [
        cube.group(("", "2026", "closed_method", COVERED)).count,
        cube.group(("", "2026", "not_reached_method", COVERED)).count]


async def _ready(cube: Cube) -> Cube:
    return cube


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
async def test_attempts_per_reached_family_with_its_mean_only_when_every_row_is_published(
        lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    shown = cube_of({"reached_after": {"1": (20, 2000), "2": (9, 600), "3": (6, 200), "4": (5, 100)}})
    monkeypatch.setattr(rollup, "cube_for", lambda conn, f: _ready(shown))
    table = await attempts_to_reach(Facts(20 + 18 + 18 + 27), FILTERS, lang)  # type: ignore[arg-type]
    assert [row[1] for row in table.rows[:4]] == [
        shown.group(("", "2026", "reached_after", v)).count for v in ("1", "2", "3", "4")]
    assert SUPPRESSED not in [row[1] for row in table.rows[:4]]
    assert table.rows[4][1] == round(83 / 40, 1)
    assert len({str(row[0]) for row in table.rows}) == 5 and all(row[0] for row in table.rows)

    few = cube_of({"reached_after": {"1": (20, 2000), "2": (6, 600), "3": (2, 200), "4": (2, 100)}})
    monkeypatch.setattr(rollup, "cube_for", lambda conn, f: _ready(few))
    table = await attempts_to_reach(Facts(20 + 12 + 6 + 9), FILTERS, lang)  # type: ignore[arg-type]
    assert table.rows[2][1] == SUPPRESSED and table.rows[2][2] is None  # no share of a hidden count
    assert table.rows[4][1] is None  # a mean beside hidden rows would tell them apart


async def test_no_mean_over_too_few_families(monkeypatch: pytest.MonkeyPatch) -> None:
    cube = cube_of({"reached_after": {"1": (3, 300), "2": (1, 9)}})
    monkeypatch.setattr(rollup, "cube_for", lambda conn, f: _ready(cube))
    table = await attempts_to_reach(Facts(5), FILTERS, "fi")  # type: ignore[arg-type]
    assert table.rows[4][1] is None
    assert table.total is not None and table.total[1] == SUPPRESSED
