"""The warm-up after a start waits for the projection to catch up, but never past its bound."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from services.reporting import warmup


class Lags:
    """Answers the consumer's lag from a script, one look at a time; the clock moves a second per look."""

    def __init__(self, *answers: dict[str, int] | None | Exception) -> None:
        self.answers = list(answers)
        self.looks = 0
        self.now = 0.0

    async def __call__(self) -> dict[str, int] | None:
        answer = self.answers[min(self.looks, len(self.answers) - 1)]
        self.looks += 1
        self.now += 1.0
        if isinstance(answer, Exception):
            raise answer
        return answer

    def clock(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warmup, "LOOK_EVERY_S", 0.0)


async def test_it_waits_for_partitions_and_a_lag_of_zero() -> None:
    lags = Lags(None, {}, {"apua.vs.cases:0": 40, "apua.vs.cases:1": 0}, {"apua.vs.cases:0": 0, "apua.vs.cases:1": 0})
    assert await warmup.caught_up(lags, 60, lags.clock) is True
    assert lags.looks == 4


async def test_it_stops_waiting_at_its_bound() -> None:
    lags = Lags({"apua.vs.cases:0": 7})
    assert await warmup.caught_up(lags, 10, lags.clock) is False
    assert 10 <= lags.looks <= 11


async def test_a_lag_it_cannot_read_is_looked_at_again() -> None:
    lags = Lags(ConnectionError("kafka away"), {"apua.vs.cases:0": 0})
    with capture_logs() as logs:
        assert await warmup.caught_up(lags, 60, lags.clock) is True
    assert [e["event"] for e in logs] == ["reporting.cube_warm_up_lag_unknown"]
    assert "kafka away" not in repr(logs)
