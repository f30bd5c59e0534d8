"""Slowing down whoever guesses staff passwords, never the account's owner.

A wrong password never locks an account: anyone who knows a worker's username could otherwise keep
them out. Instead the guesser is slowed, by what the guesser cannot change cheaply:

* per client address: at most ``client_failures`` failed sign-ins in ``window_s`` (password spraying);
* per client address and username: after ``free_failures`` failures in a row, each next try waits
  twice as long as the last (``base_delay_s`` up to ``max_delay_s``);
* per username: once ``account_failures`` failures from any address fill the window, an address that
  has itself failed on that username waits until the window has room again, while an address that has
  not (the owner at their own desk) still signs in.

The check comes before the account is looked up and counts typed usernames, so a real and an unknown
username are slowed alike and answer alike. Addresses and usernames are kept only as keyed hashes under
a key of the process, in memory: nothing here is stored or logged. Each routing instance counts its own.
Password hashing (argon2id: 64 MiB, and four lanes that already keep every core busy) runs in a worker
thread of its own, ``hashing_threads`` (one) at a time and at a lower CPU priority (argon2's lane threads
inherit it), so a flood of sign-ins queues for that thread while the event loop every page needs comes
first for the cores. An address has at most ``in_flight`` sign-ins being checked at once: a flood from
one address cannot fill the queue before its failures are counted.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from shared.errors import TooManyAttempts
from shared.throttle import MAX_KEYS, FailureWindows, Keyed, retry_after

# How much nicer than the event loop the hashing thread is (Linux: 0 normal, 19 the nicest).
HASHING_NICENESS = 10


def _lower_priority() -> None:
    """Make the calling thread (and the threads it starts: argon2's lanes) yield the CPU to the event loop."""
    if sys.platform == "linux":  # elsewhere the call would lower the whole process
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


class SignInThrottled(TooManyAttempts):
    code = "sign_in_throttled"


@dataclass
class _Pair:
    failures: int = 0
    last: float = 0.0


@dataclass
class SignInThrottle:
    client_failures: int = 20
    free_failures: int = 3
    base_delay_s: float = 1.0
    max_delay_s: float = 300.0
    account_failures: int = 50
    window_s: float = 600.0
    hashing_threads: int = 1
    in_flight: int = 2
    clock: Callable[[], float] = time.monotonic
    _keyed: Keyed = field(default_factory=Keyed)
    _clients: FailureWindows = field(init=False)
    _accounts: FailureWindows = field(init=False)
    _pairs: dict[tuple[bytes, bytes], _Pair] = field(default_factory=dict)
    _checking: Counter[bytes] = field(default_factory=Counter)
    _executor: ThreadPoolExecutor | None = None

    def __post_init__(self) -> None:
        self._clients = FailureWindows(self.window_s)
        self._accounts = FailureWindows(self.window_s)

    def _ids(self, client: str, username: str) -> tuple[bytes, bytes]:
        return self._keyed("client", client), self._keyed("username", username.strip().lower())

    def check(self, client: str, username: str) -> None:
        """Raise SignInThrottled (429 with Retry-After) when this try comes too soon; count nothing."""
        now = self.clock()
        client_id, account_id = self._ids(client, username)
        waits: list[float] = []
        waits.append(self._clients.wait(client_id, self.client_failures, now))
        pair = self._pairs.get((client_id, account_id))
        if pair is not None and pair.failures >= self.free_failures:
            delay = min(self.base_delay_s * 2 ** (pair.failures - self.free_failures), self.max_delay_s)
            waits.append(pair.last + delay - now)
        failed_here = pair is not None and pair.last > now - self.window_s
        if failed_here:
            waits.append(self._accounts.wait(account_id, self.account_failures, now))
        wait = max(waits, default=0.0)
        if wait > 0:
            raise SignInThrottled("too many failed sign-ins from here; try again later",
                                  retry_after=retry_after(wait))
        if self._checking[client_id] >= self.in_flight:  # no failure: only busy, so say so (a script may retry)
            raise SignInThrottled("too many sign-ins from here at once; try again in a moment",
                                  retry_after=retry_after(1.0))

    @contextmanager
    def attempt(self, client: str, username: str) -> Iterator[None]:
        """One sign-in being checked: refused now (:meth:`check`), or counted as in flight until it ends."""
        self.check(client, username)
        client_id, _ = self._ids(client, username)
        self._checking[client_id] += 1
        try:
            yield
        finally:
            self._checking[client_id] -= 1
            if not self._checking[client_id]:
                del self._checking[client_id]

    def failed(self, client: str, username: str) -> None:
        """Count a failed sign-in against the address, the username and the two together."""
        now = self.clock()
        client_id, account_id = self._ids(client, username)
        self._clients.add(client_id, now)
        self._accounts.add(account_id, now)
        pair = self._pairs.setdefault((client_id, account_id), _Pair())
        pair.failures += 1
        pair.last = now
        if len(self._pairs) + len(self._clients) + len(self._accounts) > MAX_KEYS:
            self._forget_idle(now)

    def succeeded(self, client: str, username: str) -> None:
        """The owner got in from here: this address starts afresh on this username."""
        self._pairs.pop(self._ids(client, username), None)

    def _forget_idle(self, now: float) -> None:
        self._clients.forget_idle(now)
        self._accounts.forget_idle(now)
        for pair_key in [k for k, p in self._pairs.items() if p.last <= now - max(self.window_s, self.max_delay_s)]:
            del self._pairs[pair_key]

    async def in_thread(self, work: Callable[[], bool]) -> bool:
        """Run ``work`` (a password hash) in the hashing thread, at most ``hashing_threads`` at a time."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.hashing_threads, thread_name_prefix="password-hash",
                                                initializer=_lower_priority)
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)
