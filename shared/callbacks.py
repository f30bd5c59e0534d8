"""Call windows: when a family can take a call, and the next such moment after a missed one.

A family picks weekdays and time bands on the form ("Tue 16–18"), several if they like; the
windows travel sealed with their other contact details. Staff get a proposal for the next call
from them: the earliest window, on a business day, that starts after the region's wait between
attempts. Pure: the caller passes the moment to count from.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.businessdays import HELSINKI, is_business_day

Weekday = Literal["mon", "tue", "wed", "thu", "fri"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
# The bands a form offers unless the region says otherwise: mornings, afternoons, after work.
DEFAULT_BANDS: tuple[tuple[int, int], ...] = ((8, 12), (12, 16), (16, 18))
_VALUE = re.compile(r"^(mon|tue|wed|thu|fri)-([0-9]{1,2})-([0-9]{1,2})$")


class CallWindow(BaseModel):
    """A weekday and a time band, Helsinki time: 'Tuesdays between 16 and 18'."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weekday: Weekday
    start: int = Field(ge=7, le=20, description="the hour the band opens")
    end: int = Field(ge=8, le=21, description="the hour the band closes")

    @model_validator(mode="after")
    def _ordered(self) -> CallWindow:
        if self.end <= self.start:
            raise ValueError("a call window ends after it starts")
        return self

    @property
    def value(self) -> str:
        """The form's value for this window: 'tue-16-18'."""
        return f"{self.weekday}-{self.start}-{self.end}"

    @classmethod
    def parse(cls, value: str) -> CallWindow:
        """A window from the form's value; ValueError saying what was wrong."""
        match = _VALUE.match(value.strip())
        if match is None:
            raise ValueError(f"'{value[:20]}' is not a call window such as 'tue-16-18'")
        return cls(weekday=match.group(1), start=int(match.group(2)), end=int(match.group(3)))


def window_values(bands: tuple[tuple[int, int], ...] | list[tuple[int, int]] = DEFAULT_BANDS) -> list[str]:
    """Every window a form offers with ``bands``, weekday by weekday."""
    return [CallWindow(weekday=d, start=a, end=b).value for d in WEEKDAYS for a, b in bands]


def next_window(windows: list[CallWindow], *, after: datetime, bands: tuple[tuple[int, int], ...]
                | list[tuple[int, int]] = DEFAULT_BANDS, horizon_days: int = 21) -> tuple[datetime, datetime] | None:
    """The earliest window that starts at or after ``after`` on a business day, as aware Helsinki datetimes.

    Without the family's own windows, any of the region's bands on a business day will do. None when
    nothing fits within ``horizon_days`` (the family's windows all fall on holidays, say).
    """
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    local = after.astimezone(HELSINKI)
    choices = windows or [CallWindow(weekday=d, start=a, end=b) for d in WEEKDAYS for a, b in bands]
    day: date = local.date()
    for _ in range(horizon_days + 1):
        if is_business_day(day):
            starts = sorted((w.start, w.end) for w in choices if WEEKDAYS.index(w.weekday) == day.weekday())
            for start, end in starts:
                opens = datetime.combine(day, time(start), HELSINKI)
                if opens >= local:
                    return opens, datetime.combine(day, time(end), HELSINKI)
        day += timedelta(days=1)
    return None


def in_helsinki(day: date, at: time) -> datetime:
    """``at`` on ``day``, Helsinki time, as an aware datetime."""
    return datetime.combine(day, at, HELSINKI)
