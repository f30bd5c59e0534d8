"""The demo clock (development only): a loader says when a request or a staff action happened.

With ``APUA_DEMO_CLOCK`` on, the APIs that record something take its time from the
``X-Apua-Demo-Time`` header (ISO 8601 with an offset), so ``python -m deploy.demo`` can fill a
past year through the real APIs. The time may not be in the future. With the setting off (and
it cannot be on in production) the header is ignored entirely.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from shared.app import get_runtime
from shared.errors import DomainError

DEMO_TIME_HEADER = "X-Apua-Demo-Time"


class InvalidDemoTime(DomainError):
    status_code = 422
    code = "invalid_demo_time"


def parse_demo_time(raw: str, *, now: datetime) -> datetime:
    """The header's value as an aware UTC datetime; InvalidDemoTime saying what is wrong with it."""
    try:
        at = datetime.fromisoformat(raw.strip())
    except ValueError as exc:
        raise InvalidDemoTime(f"{DEMO_TIME_HEADER} is not an ISO 8601 date and time") from exc
    if at.tzinfo is None:
        raise InvalidDemoTime(f"{DEMO_TIME_HEADER} needs an offset, such as +02:00 or Z")
    if at > now:
        raise InvalidDemoTime(f"{DEMO_TIME_HEADER} is in the future; the demo clock only records the past",
                              now=now.isoformat())
    return at.astimezone(UTC)


async def demo_time(request: Request) -> datetime | None:
    """FastAPI dependency (async, so no worker thread): the time the caller asks to record, or None (the
    demo clock off, or no header)."""
    if not get_runtime(request).settings.demo_clock:
        return None
    raw = request.headers.get(DEMO_TIME_HEADER)
    return parse_demo_time(raw, now=datetime.now(UTC)) if raw is not None else None


DemoTimeDep = Annotated[datetime | None, Depends(demo_time)]
