"""The sign-in throttle on a clock of its own: the guesser waits longer and longer, the owner never."""

from __future__ import annotations

import pytest

from services.routing.throttle import SignInThrottle, SignInThrottled


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(clock: Clock, **limits: float) -> SignInThrottle:
    settings = {"client_failures": 20, "free_failures": 3, "base_delay_s": 1.0, "max_delay_s": 300.0,
                "account_failures": 50, "window_s": 600.0, **limits}
    return SignInThrottle(clock=clock, **settings)  # type: ignore[arg-type]


def retry_after(t: SignInThrottle, client: str, username: str) -> int:
    with pytest.raises(SignInThrottled) as caught:
        t.check(client, username)
    return caught.value.retry_after


def test_each_failure_past_the_free_ones_doubles_the_wait_of_that_address_on_that_username() -> None:
    clock = Clock()
    t = throttle(clock)
    waits = []
    for _ in range(3):
        t.check("198.51.100.7", "liisa")
        t.failed("198.51.100.7", "liisa")
    for _ in range(4):
        waits.append(retry_after(t, "198.51.100.7", "liisa"))
        clock.now += waits[-1]
        t.check("198.51.100.7", "liisa")
        t.failed("198.51.100.7", "liisa")
    assert waits == [1, 2, 4, 8]
    t.check("203.0.113.9", "liisa")  # the owner, elsewhere, is not slowed at all
    t.check("198.51.100.7", "pekka")  # nor is this address on another username, yet


def test_usernames_are_counted_as_typed_so_real_and_unknown_ones_are_slowed_alike() -> None:
    clock = Clock()
    t = throttle(clock)
    for username in ("liisa", "no-such-person"):
        for _ in range(3):
            t.failed("198.51.100.7", username)
    assert retry_after(t, "198.51.100.7", "liisa") == retry_after(t, "198.51.100.7", "no-such-person")
    assert retry_after(t, "198.51.100.7", " LIISA ") == 1  # the same username however it is typed


def test_an_address_trying_many_usernames_runs_out_of_tries_for_the_window() -> None:
    clock = Clock()
    t = throttle(clock, client_failures=5)
    for n in range(5):
        t.check("198.51.100.7", f"worker-{n}")
        t.failed("198.51.100.7", f"worker-{n}")
    assert retry_after(t, "198.51.100.7", "worker-99") == 600
    clock.now += 600
    t.check("198.51.100.7", "worker-99")


def test_a_guessed_username_stays_open_to_an_address_that_has_not_failed_on_it() -> None:
    clock = Clock()
    t = throttle(clock, account_failures=4, free_failures=10)
    for n in range(4):
        t.failed(f"198.51.100.{n}", "liisa")
    assert retry_after(t, "198.51.100.0", "liisa") == 600  # a guesser that failed on it waits for the window
    t.check("203.0.113.9", "liisa")  # the owner's first try goes through


def test_signing_in_clears_that_address_on_that_username() -> None:
    clock = Clock()
    t = throttle(clock)
    for _ in range(4):
        t.failed("203.0.113.9", "liisa")
    retry_after(t, "203.0.113.9", "liisa")
    clock.now += 30
    t.check("203.0.113.9", "liisa")
    t.succeeded("203.0.113.9", "liisa")
    t.failed("203.0.113.9", "liisa")
    t.check("203.0.113.9", "liisa")  # one failure after a success is a free one again


async def test_password_work_runs_in_a_worker_thread_that_yields_to_the_event_loop() -> None:
    import os
    import sys
    import threading

    loop_thread = threading.get_ident()
    seen: list[tuple[int, int]] = []

    def work() -> bool:
        seen.append((threading.get_ident(), os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
        return True

    assert await throttle(Clock()).in_thread(work) is True
    [(thread, niceness)] = seen
    assert thread != loop_thread
    if sys.platform == "linux":
        assert niceness > os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_an_address_has_few_sign_ins_checked_at_once() -> None:
    t = throttle(Clock())
    with t.attempt("198.51.100.7", "a"), t.attempt("198.51.100.7", "b"):
        assert retry_after(t, "198.51.100.7", "c") == 1  # a third at once waits
        t.check("203.0.113.9", "c")  # another address does not
    t.check("198.51.100.7", "c")  # done: room again


def test_a_busy_address_is_told_it_is_busy_not_that_it_failed() -> None:
    t = throttle(Clock())
    with t.attempt("198.51.100.7", "a"), t.attempt("198.51.100.7", "b"):
        with pytest.raises(SignInThrottled, match="at once"):
            t.check("198.51.100.7", "c")
