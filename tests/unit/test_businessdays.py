"""Finnish business days: weekends and public holidays do not count, nor the day of receipt."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.businessdays import add_business_days, answer_due, end_of_day_utc, is_business_day


@pytest.mark.parametrize("start,days,due", [
    (date(2025, 6, 19), 1, date(2025, 6, 23)),    # Midsummer Eve and Day, then the weekend
    (date(2025, 12, 23), 1, date(2025, 12, 29)),  # Christmas Eve, Christmas, Boxing Day, weekend
    (date(2026, 4, 2), 1, date(2026, 4, 7)),      # Good Friday, Easter, Easter Monday
    (date(2026, 4, 30), 1, date(2026, 5, 4)),     # May Day, then the weekend; May Day Eve is ordinary
    (date(2026, 12, 4), 1, date(2026, 12, 7)),    # Independence Day falls on a Sunday in 2026
    (date(2027, 12, 3), 1, date(2027, 12, 7)),    # Independence Day on a Monday in 2027
    (date(2026, 5, 13), 1, date(2026, 5, 15)),    # Ascension Day (Thursday 14 May 2026)
    (date(2026, 11, 20), 3, date(2026, 11, 25)),  # Oulu's three days over a weekend
    (date(2025, 12, 31), 1, date(2026, 1, 2)),    # New Year's Day
])
def test_add_business_days(start: date, days: int, due: date) -> None:
    assert add_business_days(start, days) == due


def test_new_years_eve_and_may_day_eve_are_business_days() -> None:
    assert is_business_day(date(2025, 12, 31))
    assert is_business_day(date(2026, 4, 30))


def test_late_thursday_before_christmas_2027_is_due_monday() -> None:
    sent = datetime(2027, 12, 23, 21, 50, tzinfo=UTC)  # 23:50 in Helsinki
    assert answer_due(sent, 1) == date(2027, 12, 27)


def test_friday_2359_in_helsinki_counts_as_friday() -> None:
    sent = datetime(2026, 11, 27, 21, 59, tzinfo=UTC)  # Friday 23:59 EET
    assert answer_due(sent, 1) == date(2026, 11, 30)
    just_after = datetime(2026, 11, 27, 22, 1, tzinfo=UTC)  # Saturday 00:01 EET
    assert answer_due(just_after, 1) == date(2026, 11, 30)


def test_receipt_time_is_read_in_helsinki_not_utc() -> None:
    # 00:30 on Monday in Helsinki is still Sunday in UTC.
    sent = datetime(2026, 11, 22, 22, 30, tzinfo=UTC)
    assert answer_due(sent, 1) == date(2026, 11, 24)


def test_deadline_moment_is_the_end_of_the_day_in_helsinki() -> None:
    assert end_of_day_utc(date(2026, 11, 24)) == datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
    assert end_of_day_utc(date(2026, 6, 23)) == datetime(2026, 6, 23, 21, 0, tzinfo=UTC)  # summer time


def test_naive_times_and_zero_days_are_refused() -> None:
    with pytest.raises(ValueError):
        answer_due(datetime(2026, 1, 1, 12, 0), 1)
    with pytest.raises(ValueError):
        add_business_days(date(2026, 1, 1), 0)
