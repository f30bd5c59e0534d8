"""When families write and when staff work, for the demo year: seasons, weekdays, hours, office time.

Shapes follow what the pilots reported: most contacts after the summer holidays, smaller peaks
near the ends of school terms, few in July and Christmas week; Mondays and Tuesdays busiest;
an office-hours peak and a second one late in the evening. Staff work 8–16 on business days.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from shared.businessdays import CLOSES, HELSINKI, OPENS, is_business_day

MONTH = {1: 0.95, 2: 0.95, 3: 1.0, 4: 1.1, 5: 1.15, 6: 0.7, 7: 0.45, 8: 1.1, 9: 1.65, 10: 1.0, 11: 1.15,
         12: 0.9}
WEEKDAY = (1.35, 1.3, 1.05, 1.0, 0.85, 0.4, 0.5)  # Monday first
HOLIDAY = 0.5  # a public holiday on a weekday is more like a Sunday
# Relative number of requests by local hour on a business day, and on a weekend or holiday.
WORKDAY_HOURS = (0.6, 0.3, 0.15, 0.1, 0.1, 0.2, 0.6, 1.6, 6.0, 8.0, 8.0, 7.0, 6.8, 7.0, 6.8, 5.8,
                 2.6, 1.8, 1.6, 1.8, 2.8, 3.3, 2.6, 1.2)
RESTDAY_HOURS = (1.0, 0.6, 0.3, 0.2, 0.2, 0.2, 0.4, 0.8, 1.5, 2.5, 3.2, 3.5, 3.5, 3.5, 3.4, 3.3,
                 3.2, 3.0, 3.0, 3.4, 4.2, 4.8, 4.0, 2.2)


def season(day: date) -> float:
    """How many requests ``day`` gets relative to an ordinary day, before weekday and holidays."""
    weight = MONTH[day.month]
    if day.month == 8:
        weight *= 0.7 if day.day < 15 else 1.35  # schools start in mid-August; the rush follows
    elif day.month == 5 and day.day >= 15 or day.month == 11 and day.day >= 15:
        weight *= 1.15  # the ends of the spring and autumn terms
    elif day.month == 12:
        weight *= 1.2 if day.day <= 20 else 0.35  # before Christmas; then Christmas week
    elif day.month == 1 and day.day == 1:
        weight *= 0.35
    return weight


def day_weight(day: date) -> float:
    weight = season(day) * WEEKDAY[day.weekday()]
    if day.weekday() < 5 and not is_business_day(day):
        weight *= HOLIDAY
    return weight


def local_moment(day: date, rng: random.Random) -> datetime:
    """A moment on ``day`` (Helsinki) drawn from the day's hourly profile, as aware UTC."""
    profile = WORKDAY_HOURS if is_business_day(day) else RESTDAY_HOURS
    hour = rng.choices(range(24), weights=profile)[0]
    local = datetime.combine(day, time(hour), HELSINKI) + timedelta(seconds=rng.randrange(3600))
    return local.astimezone(UTC)


def after_hours(moment: datetime) -> bool:
    """Outside 8–16 on a business day (Helsinki): evenings, nights, weekends and holidays."""
    local = moment.astimezone(HELSINKI)
    return not (is_business_day(local.date()) and OPENS <= local.time() < CLOSES)


def office_opening(day: date) -> datetime:
    return datetime.combine(day, OPENS, HELSINKI).astimezone(UTC)


def office_closing(day: date) -> datetime:
    return datetime.combine(day, CLOSES, HELSINKI).astimezone(UTC)


def in_office(moment: datetime) -> datetime:
    """``moment`` if staff are at work then, otherwise the next opening."""
    day = moment.astimezone(HELSINKI).date()
    while True:
        if is_business_day(day):
            if moment < office_opening(day):
                return office_opening(day)
            if moment < office_closing(day):
                return moment
        day += timedelta(days=1)
        moment = max(moment, office_opening(day))


def add_office_hours(start: datetime, hours: float) -> datetime:
    """The moment ``hours`` of working time after ``start`` (which is moved into working time first)."""
    moment = in_office(start)
    left = timedelta(hours=hours)
    while True:
        closing = office_closing(moment.astimezone(HELSINKI).date())
        if moment + left < closing:
            return moment + left
        left -= closing - moment
        moment = in_office(closing + timedelta(minutes=1))


def office_hours_between(start: datetime, stop: datetime) -> float:
    """Working hours from ``start`` to ``stop`` (0 when ``stop`` is not later)."""
    total = 0.0
    moment = in_office(start)
    while moment < stop:
        closing = office_closing(moment.astimezone(HELSINKI).date())
        total += (min(closing, stop) - moment).total_seconds() / 3600
        moment = in_office(closing + timedelta(minutes=1))
    return total


def business_days_before(end: date, count: int) -> date:
    """The ``count``-th business day before ``end`` (``end`` itself never counts)."""
    day, seen = end, 0
    while seen < count:
        day -= timedelta(days=1)
        seen += is_business_day(day)
    return day
