"""The demo clock: what the header may say, and that production refuses the setting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.democlock import InvalidDemoTime, parse_demo_time
from shared.settings import ServiceSettings

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_a_past_time_with_an_offset_is_taken_in_utc() -> None:
    assert parse_demo_time("2025-09-01T21:15:00+03:00", now=NOW) == datetime(2025, 9, 1, 18, 15, tzinfo=UTC)
    assert parse_demo_time("2026-03-02T11:59:59Z", now=NOW) == datetime(2026, 3, 2, 11, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("raw,problem", [
    ("2026-03-02T14:00:01+02:00", "in the future"),
    ("2025-09-01T21:15:00", "needs an offset"),
    ("last tuesday", "not an ISO 8601"),
])
def test_a_future_local_or_unreadable_time_is_refused(raw: str, problem: str) -> None:
    with pytest.raises(InvalidDemoTime, match=problem):
        parse_demo_time(raw, now=NOW)


def test_production_refuses_the_demo_clock() -> None:
    assert ServiceSettings(environment="development", demo_clock=True).demo_clock
    with pytest.raises(ValidationError, match="APUA_DEMO_CLOCK"):
        ServiceSettings(environment="production", kek="A" * 43 + "=", demo_clock=True)
