"""The pick-up code's throttle on a clock of its own: the guesser waits, the family with the right code never."""

from __future__ import annotations

import pytest

from services.intake.pickup_throttle import PickupThrottle, PickupThrottled
from shared.throttle import FailureWindows, Keyed, retry_after

GUESSER, FAMILY = "198.51.100.7", "203.0.113.9"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(clock: Clock, **limits: float) -> PickupThrottle:
    settings = {"client_failures": 10, "client_window_s": 900.0, "reference_failures": 20,
                "reference_window_s": 3600.0, **limits}
    return PickupThrottle(clock=clock, **settings)  # type: ignore[arg-type]


def waits(t: PickupThrottle, client: str, reference: str) -> int:
    with pytest.raises(PickupThrottled) as caught:
        t.check(client, reference)
    return caught.value.retry_after


def test_a_client_past_its_wrong_codes_waits_out_the_window_whatever_reference_it_types() -> None:
    clock = Clock()
    t = throttle(clock)
    for i in range(10):
        t.check(GUESSER, f"AAAA-{i:04d}")
        t.failed(GUESSER, f"AAAA-{i:04d}")
        clock.now += 1
    assert waits(t, GUESSER, "BBBB-2222") == 900 - 10
    clock.now += 900 - 9
    t.check(GUESSER, "BBBB-2222")  # the first failure left the window
    t.check(FAMILY, "AAAA-0000")  # another address was never held up


def test_a_real_and_a_made_up_reference_are_throttled_alike() -> None:
    clock = Clock()
    first, second = throttle(clock), throttle(clock)
    for _ in range(10):
        first.failed(GUESSER, "K7M4-2Q9X")  # say this one exists
        second.failed(GUESSER, "ZZZZ-ZZZZ")  # and this one does not: the throttle never asks
    assert waits(first, GUESSER, "K7M4-2Q9X") == waits(second, GUESSER, "ZZZZ-ZZZZ")


def test_a_reference_guessed_from_everywhere_slows_every_guesser_of_it_but_never_a_new_address() -> None:
    clock = Clock()
    t = throttle(clock)
    bots = [f"10.0.{i // 250}.{i % 250}" for i in range(20)]
    for bot in bots:
        t.check(bot, "K7M4-2Q9X")
        t.failed(bot, "K7M4-2Q9X")
    clock.now += 60
    for bot in bots:  # each has failed here once (far below its own limit) but the reference's window is full
        assert waits(t, bot, "K7M4-2Q9X") == 3600 - 60
        t.check(bot, "OTHR-2222")  # other references are not held up for them
    t.check(FAMILY, "K7M4-2Q9X")  # the family at their own phone has the code checked at once
    t.succeeded(FAMILY, "K7M4-2Q9X")
    clock.now += 3600 - 60
    t.check(bots[0], "K7M4-2Q9X")


def test_the_right_code_takes_the_address_off_the_reference_s_guessers() -> None:
    clock = Clock()
    t = throttle(clock, reference_failures=2)
    t.failed(FAMILY, "K7M4-2Q9X")  # a typo
    t.failed(GUESSER, "K7M4-2Q9X")
    with pytest.raises(PickupThrottled):
        t.check(FAMILY, "K7M4-2Q9X")
    t2 = throttle(clock, reference_failures=2)
    t2.failed(FAMILY, "K7M4-2Q9X")
    t2.succeeded(FAMILY, "K7M4-2Q9X")
    t2.failed(GUESSER, "K7M4-2Q9X")
    t2.failed(GUESSER, "K7M4-2Q9X")
    t2.check(FAMILY, "K7M4-2Q9X")


def test_idle_keys_are_forgotten() -> None:
    windows = FailureWindows(60.0)
    keyed = Keyed()
    windows.add(keyed("client", "a"), 0.0)
    windows.add(keyed("client", "b"), 50.0)
    windows.forget_idle(70.0)
    assert len(windows) == 1 and windows.wait(keyed("client", "b"), 1, 70.0) == 40.0
    assert keyed("client", "a") != Keyed()("client", "a")  # a key of each process: nothing to look up later
    assert retry_after(0.2) == 1 and retry_after(59.01) == 60
