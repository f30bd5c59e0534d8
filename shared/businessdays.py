"""Finnish business days (Act 150/1930): weekends and public holidays do not count.

The day of receipt is not counted. ``holidays.Finland`` holds Midsummer Eve and Christmas
Eve among its public holidays; its WORKDAY category (flag days) is deliberately not enabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
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


# The regional teams' working day, Helsinki time, where a region does not set its own (Region.office_hours).
OPENS, CLOSES = time(8), time(16)


def business_hours_left(now: datetime, answer_due: date, *, opens: time = OPENS, closes: time = CLOSES) -> float:
    """Working hours (``opens``–``closes`` on business days, Helsinki) from ``now`` until the end of
    ``answer_due``'s working day.

    Negative once the due day's working day is over: the hours overdue, counted the same way.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    end = datetime.combine(answer_due, closes, HELSINKI)
    if now > end:
        return -business_hours_between(end, now, opens=opens, closes=closes)
    return business_hours_between(now, end, opens=opens, closes=closes)


def business_hours_between(start: datetime, stop: datetime, *, opens: time = OPENS, closes: time = CLOSES) -> float:
    """Working hours (``opens``–``closes`` on business days, Helsinki) from ``start`` to ``stop``; 0 if
    ``stop`` is earlier."""
    if start.tzinfo is None or stop.tzinfo is None:
        raise ValueError("start and stop must be timezone-aware")
    start, stop = start.astimezone(HELSINKI), stop.astimezone(HELSINKI)
    total = 0.0
    day = start.date()
    while day <= stop.date():
        if is_business_day(day):
            lo = max(datetime.combine(day, opens, HELSINKI), start)
            hi = min(datetime.combine(day, closes, HELSINKI), stop)
            if hi > lo:
                total += (hi - lo).total_seconds() / 3600
        day += timedelta(days=1)
    return total


@dataclass(frozen=True)
class WorkingDay:
    """A region's working day and when a deadline counts as at risk: what the queue, the warnings and the
    statistics count working hours in (``Region.working_day``)."""

    opens: time = OPENS
    closes: time = CLOSES
    warning_hours: float = 4.0

    def hours_left(self, now: datetime, answer_due: date) -> float:
        return business_hours_left(now, answer_due, opens=self.opens, closes=self.closes)

    def hours_between(self, start: datetime, stop: datetime) -> float:
        return business_hours_between(start, stop, opens=self.opens, closes=self.closes)

    def closing_after(self, moment: datetime) -> datetime:
        """The end of the working day ``moment`` falls in, or of the next one when it comes after closing,
        on a weekend or a holiday: 'the same business day'."""
        local = moment.astimezone(HELSINKI)
        day = local.date()
        if is_business_day(day) and local.time() < self.closes:
            return datetime.combine(day, self.closes, HELSINKI)
        return datetime.combine(add_business_days(day, 1), self.closes, HELSINKI)

    def after_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` working hours after ``start`` (counted only inside working days)."""
        left = timedelta(hours=hours)
        local = start.astimezone(HELSINKI)
        day = local.date()
        while True:
            if is_business_day(day):
                lo = max(datetime.combine(day, self.opens, HELSINKI), local)
                hi = datetime.combine(day, self.closes, HELSINKI)
                if hi > lo:
                    if hi - lo >= left:
                        return lo + left
                    left -= hi - lo
            day += timedelta(days=1)

    def is_office_hours(self, local: datetime) -> bool:
        """Whether ``local`` (Helsinki) is inside the working day of a business day."""
        return is_business_day(local.date()) and self.opens <= local.time() < self.closes


DEFAULT_DAY = WorkingDay()
