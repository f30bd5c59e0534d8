"""Finnish business days (Act 150/1930): weekends and public holidays do not count.

The day of receipt is not counted. ``holidays.Finland`` holds Midsummer Eve and Christmas
Eve among its public holidays; its WORKDAY category (flag days) is deliberately not enabled.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

HELSINKI = ZoneInfo("Europe/Helsinki")


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FI", years=year).keys())


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_business_days(start: date, days: int) -> date:
    """The ``days``-th business day after ``start`` (``start`` itself never counts)."""
    if days < 1:
        raise ValueError("a deadline is at least one business day")
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day):
            counted += 1
    return day


def answer_due(received_at: datetime, business_days: int) -> date:
    """The last day (Helsinki time) by which a request received at ``received_at`` is answered."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    return add_business_days(received_at.astimezone(HELSINKI).date(), business_days)


def end_of_day_utc(day: date) -> datetime:
    """The first instant after ``day`` ends in Helsinki, in UTC: a deadline's moment."""
    next_midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), HELSINKI)
    return next_midnight.astimezone(UTC)


OPENING_HOUR, CLOSING_HOUR = 8, 16  # the regional teams' working day, Helsinki time


def business_hours_left(now: datetime, answer_due: date) -> float:
    """Working hours (8–16 on business days, Helsinki) from ``now`` until the end of ``answer_due``.

    Negative once the due day is over: the hours overdue, counted the same way.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    end = datetime.combine(answer_due, datetime.min.time(), HELSINKI).replace(hour=CLOSING_HOUR)
    if now > end:
        return -business_hours_between(end, now)
    return business_hours_between(now, end)


def business_hours_between(start: datetime, stop: datetime) -> float:
    """Working hours (8–16 on business days, Helsinki) from ``start`` to ``stop``; 0 if ``stop`` is earlier."""
    if start.tzinfo is None or stop.tzinfo is None:
        raise ValueError("start and stop must be timezone-aware")
    start, stop = start.astimezone(HELSINKI), stop.astimezone(HELSINKI)
    total = 0.0
    day = start.date()
    while day <= stop.date():
        if is_business_day(day):
            opens = datetime.combine(day, datetime.min.time(), HELSINKI).replace(hour=OPENING_HOUR)
            closes = opens.replace(hour=CLOSING_HOUR)
            lo, hi = max(opens, start), min(closes, stop)
            if hi > lo:
                total += (hi - lo).total_seconds() / 3600
        day += timedelta(days=1)
    return total
