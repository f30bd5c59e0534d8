"""Reporting's contact facts and tables: attempts counted up to the first that reached the family, and the
not-reached rate and attempts published with the same small-count rules as every table."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.reporting import cells
from services.reporting.contacts import attempts_to_reach, closing_cells, not_reached_by_method
from services.reporting.filters import Filters
from services.reporting.model import Group
from services.reporting.privacy import SUPPRESSED, protect
from services.reporting.projection import count_attempt, evolve_facts
from shared.events import ContactAttempted, ContactAttemptedPayload, new_event
from shared.regions import load_regions

ROOT = Path(__file__).resolve().parents[2]
REGION = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
FILTERS = Filters(region=REGION, municipalities=(), since=date(2026, 1, 1), until=date(2026, 12, 31))


class Cells:
    """A connection answering the rollup's count query for a dimension with the groups given for it."""

    def __init__(self, by_dim: dict[str, dict[str, tuple[int, int]]]) -> None:
        self.by_dim = by_dim
        self.asked: list[str] = []

    async def fetch(self, query: str, *args: Any) -> list[dict[str, Any]]:
        dim = args[-1][0]  # the rollup's query names its dimensions last (rollup.cells_source)
        self.asked.append(dim)
        return [{"k0": value, "n": n, "keys": keys} for value, (n, keys) in self.by_dim.get(dim, {}).items()]


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


async def test_the_not_reached_table_has_a_row_per_contact_method_and_a_total() -> None:
    conn = Cells({"closed_method": {"phone": (40, 4000), "sms": (4, 400)},
                  "not_reached_method": {"phone": (8, 800), "sms": (1, 50)}})
    table = await not_reached_by_method(conn, FILTERS, "sv")  # type: ignore[arg-type]
    assert [row[0] for row in table.rows] == ["Samtal", "Textmeddelande", "E-post", "Anonymt, svar på statussidan"]
    assert table.rows[0][1:3] == [protect(40, 4000), protect(8, 800)]
    assert table.rows[1][1:] == [SUPPRESSED, SUPPRESSED, None]  # four closed, one not reached: hidden
    assert table.rows[2][1:] == [SUPPRESSED, SUPPRESSED, None]  # none at all looks the same as a few
    assert table.total is not None and table.total[1:3] == [protect(44, 4400), protect(9, 850)]
    assert sorted(conn.asked) == ["closed_method", "not_reached_method"]


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
async def test_attempts_per_reached_family_with_its_mean(lang: str) -> None:
    conn = Cells({"reached_after": {"1": (20, 2000), "2": (6, 600), "3": (2, 200), "4": (1, 40), "7": (1, 60)}})
    table = await attempts_to_reach(conn, FILTERS, lang)  # type: ignore[arg-type]
    reached = protect(30, 2900)
    assert [row[1] for row in table.rows[:4]] == [protect(20, 2000), protect(6, 600), SUPPRESSED, SUPPRESSED]
    assert table.rows[2][2] is None and table.rows[3][2] is None  # no share of a hidden count
    assert table.rows[4][1] == round((20 + 12 + 6 + 4 + 7) / 30, 1)  # every reached family, hidden groups too
    assert table.total is not None and table.total[1] == reached
    assert len({str(row[0]) for row in table.rows}) == 5 and all(row[0] for row in table.rows)


async def test_no_mean_over_too_few_families() -> None:
    conn = Cells({"reached_after": {"1": (3, 300), "2": (1, 9)}})
    table = await attempts_to_reach(conn, FILTERS, "fi")  # type: ignore[arg-type]
    assert table.rows[4][1] is None
    assert table.total is not None and table.total[1] == SUPPRESSED
