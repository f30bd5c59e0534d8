"""Reporting's follow-up facts: the promised day by the case's own rule, and counts published like every other."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from services.reporting.followup_facts import business_days_promised, followup_row
from services.reporting.followups import followup_cells
from services.reporting.model import Group
from services.reporting.privacy import SUPPRESSED, protect

# Monday 23 November 2026, 10:00 in Helsinki.
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_the_rule_a_request_was_promised_by_is_read_back_from_its_day() -> None:
    assert business_days_promised(MONDAY, date(2026, 11, 24)) == 1
    assert business_days_promised(MONDAY, date(2026, 11, 26)) == 3
    # Friday 4 December 2026: Independence Day (Sunday 6th) falls on a weekend; the next business day is Monday 7th.
    assert business_days_promised(datetime(2026, 12, 4, 12, tzinfo=UTC), date(2026, 12, 7)) == 1


def test_a_follow_up_is_promised_by_the_same_rule_from_its_own_moment() -> None:
    case = {"case_id": uuid.uuid4(), "record_key": 4242, "region": "pohjois-pohjanmaa", "municipality": "oulu",
            "received_at": MONDAY, "answer_due": date(2026, 11, 26)}
    row = followup_row(case, 2, datetime(2026, 11, 27, 13, 0, tzinfo=UTC))  # Friday, 15:00 Helsinki
    assert row["followup"] == 2 and row["record_key"] == 4242
    assert row["promised_day"] == date(2026, 12, 2)
    assert row["due_at"] == datetime(2026, 12, 2, 22, 0, tzinfo=UTC)  # midnight in Helsinki
    assert row["month"] == date(2026, 11, 1) and row["local_date"] == date(2026, 11, 27)


def test_small_counts_are_hidden_and_the_share_needs_both_published() -> None:
    few = followup_cells({"followups": Group(3, 10), "met": Group(2, 7), "missed": Group(1, 3)})
    assert few == [SUPPRESSED, SUPPRESSED, SUPPRESSED, None]
    many = followup_cells({"followups": Group(40, 1234), "met": Group(30, 999), "missed": Group(10, 235)})
    met, missed = protect(30, 999), protect(10, 235)
    assert many[0] == protect(40, 1234) and many[1] == met and many[2] == missed
    assert isinstance(met, int) and isinstance(missed, int)
    # The share from the published counts alone, so that it tells nothing the counts do not.
    assert many[3] == round(100.0 * met / (met + missed), 1)
    hidden = followup_cells({"followups": Group(40, 1234), "met": Group(30, 999), "missed": Group(10, 235, True)})
    assert hidden[2] == SUPPRESSED and hidden[3] is None


def test_a_month_without_follow_ups_shows_hidden_zeros() -> None:
    assert followup_cells(None) == [SUPPRESSED, SUPPRESSED, SUPPRESSED, None]
