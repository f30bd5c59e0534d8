"""Reporting and duplicates: a request closed as a duplicate leaves every count and is counted apart, as merged,
under the same disclosure rules as any other count."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

from services.reporting import cells
from services.reporting import cube as cubes
from services.reporting.cube import MERGED, REGION, Builder, assemble, month_period
from services.reporting.privacy import SUPPRESSED
from services.reporting.projection import evolve_facts
from services.reporting.suppression import exposed
from services.reporting.waits import waits_of
from shared.events import CaseClosed, CaseClosedPayload, CaseReopened, CaseReopenedPayload, new_event
from shared.regions import load_regions
from shared.settings import ROOT

VS = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
AT = datetime(2026, 3, 4, 10, tzinfo=UTC)


def closing(outcome: str) -> CaseClosed:
    return new_event(CaseClosed, case_id=uuid.uuid4(), region=VS.id, municipality="raisio", actor="staff:k",
                     payload=CaseClosedPayload.model_validate({"outcome": outcome}), occurred_at=AT)


def test_a_duplicate_closing_marks_the_facts_and_a_reopening_counts_the_request_again() -> None:
    facts: dict[str, object] = {"outcome": None, "closed_at": None, "referred_service": None, "reopened": 0}
    evolve_facts(facts, closing("duplicate"))
    assert facts["outcome"] == "duplicate" and facts["closed_at"] == AT
    evolve_facts(facts, new_event(CaseReopened, case_id=uuid.uuid4(), region=VS.id, municipality="raisio",
                                  actor="staff:k", payload=CaseReopenedPayload(), occurred_at=AT))
    assert facts["outcome"] is None


def test_every_dimension_but_merged_leaves_a_duplicate_out() -> None:
    sql = cells.cells_of("SELECT 1 AS sign, * FROM case_facts")
    pairs = dict(re.findall(r"\('(\w+)', (CASE WHEN .+?|'')\)(?=, \('|\) AS d)", sql))
    assert set(pairs) == set(cells.DIMENSIONS)
    for dim, expression in pairs.items():
        guarded = expression.startswith(f"CASE WHEN {cells.COUNTED} THEN ")
        assert guarded == (dim != "merged"), dim
    assert pairs["merged"] == "CASE WHEN outcome = 'duplicate' THEN '' END"
    assert f"f.{cells.COUNTED}" in waits_of("SELECT 1 AS sign, * FROM case_facts")


def test_merged_requests_have_lines_of_their_own_and_small_counts_hide() -> None:
    b = Builder()
    found: dict[str, set[str]] = {"all": {""}, "merged": {""}}
    # Turku: 40 requests and 6 merged in March; Aura: 3 requests and 1 merged in March, 5 requests in April.
    for municipality, month, requests, merged in (("turku", 3, 40, 6), ("aura", 3, 3, 1), ("aura", 4, 5, 0)):
        period = month_period(date(2026, month, 1))
        b.add(municipality, period, "all", "", requests, requests * 7)
        b.add(municipality, period, *MERGED, merged, merged * 11)
    c = assemble(b, VS, 2026, date(2026, 4, 30), found)
    merged_lines = [line for line in c.lines if line.total[2:] == MERGED]
    assert merged_lines  # over the months of each area, and over the municipalities of each period
    for line in merged_lines:
        assert all(part[2:] == MERGED for part in line.parts)  # never a part of the requests' own lines
        assert c.n.get(line.total, 0) == sum(c.n.get(p, 0) for p in line.parts)
    assert not any(MERGED in [p[2:] for p in line.parts] for line in c.lines if line.total[2:] != MERGED)
    assert c.n[(REGION, "2026", "all", "")] == 48 and c.n[(REGION, "2026", *MERGED)] == 7
    assert c.group(("aura", "2026-03", *MERGED)).count == SUPPRESSED
    # The one hidden merged count of March does not stand alone in its line over the municipalities.
    assert exposed(set(c.hidden), c.lines) == []
    march = next(line for line in merged_lines if line.total == (REGION, "2026-03", *MERGED))
    assert len([k for k in (march.total, *march.parts) if k in c.hidden]) >= 2
    assert ("merged", "") in cubes.series(c.values)
