"""The median waits from the two histograms: the same figure as the median of the waits in tenths of an hour."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import date

import pytest

from services.reporting.waits import _months, hours_needed, median, middle_ranks, value_at


def histograms(tenths: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    return dict(Counter(t // 10 for t in tenths)), dict(Counter(tenths))


@pytest.mark.parametrize("seed", range(200))
def test_the_median_from_hours_and_their_tenths_is_the_median_of_the_tenths(seed: int) -> None:
    rng = random.Random(seed)
    # Waits like the dashboards': most within a working day, a long tail, some groups of one or two.
    tenths = [round(rng.lognormvariate(3.5, 1.2)) for _ in range(rng.choice([1, 2, 3, 7, 50, 501, 2000]))]
    hours, all_tenths = histograms(tenths)
    expected = statistics.median(tenths) / 10
    assert median(hours, all_tenths) == pytest.approx(expected)
    # Only the tenths of the hours that hold the middle cases are needed.
    needed = {t: n for t, n in all_tenths.items() if t // 10 in hours_needed(hours)}
    assert len(hours_needed(hours)) <= 2
    assert median(hours, needed) == pytest.approx(expected)


def test_small_cases_by_hand() -> None:
    assert median({}, {}) is None
    assert median({2: 1}, {23: 1}) == 2.3
    assert median({0: 1, 3: 1}, {4: 1, 31: 1}) == pytest.approx(1.75)  # 0.4 h and 3.1 h
    assert median({1: 3}, {10: 1, 12: 1, 19: 1}) == pytest.approx(1.2)
    assert middle_ranks(1) == (1, 1) and middle_ranks(4) == (2, 3) and middle_ranks(5) == (3, 3)
    assert value_at({5: 2, 1: 1}, 3) == (5, 1)
    with pytest.raises(ValueError):
        value_at({1: 1}, 2)


def test_only_whole_months_of_a_period_come_from_the_histograms() -> None:
    assert _months(date(2025, 12, 1), date(2026, 11, 2)) == [date(2025, 12, 1)] + [date(2026, m, 1) for m in
                                                                                    range(1, 11)]
    assert _months(date(2025, 11, 2), date(2026, 1, 31)) == [date(2025, 12, 1), date(2026, 1, 1)]
    assert _months(date(2026, 2, 1), date(2026, 2, 28)) == [date(2026, 2, 1)]
    assert _months(date(2026, 2, 2), date(2026, 2, 28)) == []
    assert _months(date(2026, 3, 5), date(2026, 3, 20)) == []
