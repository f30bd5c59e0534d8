"""The network's rules, pure: when recruitment is open, what an application may say, the links' tokens.

No I/O and no clock: the moment is always given, so a test can stand one second either side of a closing
moment on a day that has 23 or 25 hours.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import TypeVar

from shared.businessdays import HELSINKI
from shared.sessions import token_digest as token_digest  # the network's links' digests, as every service's

T = TypeVar("T")


def closing_moment(closing_day: date) -> datetime:
    """The end of ``closing_day`` in Helsinki: midnight that begins the next day, in that day's own offset.

    Counted from the next day's local midnight, not as 24 hours after the closing day began: the closing day
    of a daylight-saving change (the last Sunday of March or of October) has 23 or 25 hours."""
    # In UTC: Python compares and subtracts two times of one zone by their wall clocks, an hour off across a change.
    return datetime.combine(closing_day + timedelta(days=1), time(0, 0), tzinfo=HELSINKI).astimezone(UTC)


def opening_moment(opening_day: date) -> datetime:
    """The start of ``opening_day`` in Helsinki."""
    return datetime.combine(opening_day, time(0, 0), tzinfo=HELSINKI).astimezone(UTC)


class Recruitment(Enum):
    NOT_YET = "not_yet"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Campaign:
    opens_at: datetime
    closes_at: datetime

    def state(self, at: datetime) -> Recruitment:
        """Open from ``opens_at`` (included) until ``closes_at`` (excluded): the closing moment itself is late."""
        if at < self.opens_at:
            return Recruitment.NOT_YET
        return Recruitment.OPEN if at < self.closes_at else Recruitment.CLOSED


def pick_campaign(campaigns: list[tuple[T, Campaign]], at: datetime) -> tuple[T, Campaign] | None:
    """The campaign a page shows at ``at``: the latest that has opened, else the next to open."""
    opened = [c for c in campaigns if c[1].opens_at <= at]
    if opened:
        return max(opened, key=lambda c: c[1].opens_at)
    coming = [c for c in campaigns if c[1].opens_at > at]
    return min(coming, key=lambda c: c[1].opens_at) if coming else None


def new_token() -> str:
    """A link's secret: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)
