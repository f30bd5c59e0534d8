"""Slowing down whoever guesses pick-up codes, never the family that holds the right one.

A wrong code never locks the reference: anyone who saw a reference (on a shared screen, a photo of the
receipt) could otherwise keep the family from their answer, and a lock that only real references get tells
which references exist. Instead the guesser is slowed by what it cannot change cheaply, and the check comes
before the reference is looked up and counts typed (normalised) references, so a real and a made-up one are
slowed alike and answer alike (the same 401, the same 429 with the same Retry-After):

* per client address: at most ``client_failures`` wrong codes in ``client_window_s``, whichever references;
* per reference, from all clients together: once ``reference_failures`` wrong codes fill
  ``reference_window_s``, an address that has itself failed on that reference waits until the window has
  room again, while an address that has not (the family at their own phone) still has its code checked, and
  the right code opens at once.

Why that is enough: a code is 20 symbols drawn uniformly from 30, 30**20 ≈ 3.5e29 ≈ 2**98 codes. One address
gets ``client_failures`` (10) guesses per 15 minutes, about 350,000 a year. A botnet of a million addresses
aiming at one reference gets one guess per address per ``reference_window_s`` (an hour) once the reference's
window is full, which it keeps full itself: about 8.8e9 guesses a year, a chance of 8.8e9 / 3.5e29 ≈ 2.5e-20
of finding the code (and ``status_limit`` attempts per client of any kind on top). Even unthrottled, a million
guesses a second for a year (3.2e13) would find it with a chance of about 1e-16.

Addresses and references are kept only as keyed hashes in memory (:mod:`shared.throttle`); nothing here is
stored or logged. Each intake instance counts its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.errors import TooManyAttempts
from shared.throttle import MAX_KEYS, FailureWindows, Keyed, retry_after


class PickupThrottled(TooManyAttempts):
    code = "too_many_attempts"


@dataclass
class PickupThrottle:
    client_failures: int = 10
    client_window_s: float = 900.0
    reference_failures: int = 20
    reference_window_s: float = 3600.0
    clock: Callable[[], float] = time.monotonic
    _keyed: Keyed = field(default_factory=Keyed)
    _clients: FailureWindows = field(init=False)
    _references: FailureWindows = field(init=False)
    # When each address last failed on each reference: who has guessed there.
    _pairs: dict[tuple[bytes, bytes], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._clients = FailureWindows(self.client_window_s)
        self._references = FailureWindows(self.reference_window_s)

    def _ids(self, client: str, reference: str) -> tuple[bytes, bytes]:
        return self._keyed("client", client), self._keyed("reference", reference)

    def check(self, client: str, reference: str) -> None:
        """Raise PickupThrottled (429 with Retry-After) when this client must wait; count nothing.

        ``reference`` is the normalised one, so that its spellings count as one."""
        now = self.clock()
        client_id, reference_id = self._ids(client, reference)
        wait = self._clients.wait(client_id, self.client_failures, now)
        last = self._pairs.get((client_id, reference_id))
        if last is not None and last > now - self.reference_window_s:
            wait = max(wait, self._references.wait(reference_id, self.reference_failures, now))
        if wait > 0:
            raise PickupThrottled("too many wrong codes from here; try again later", retry_after=retry_after(wait))

    def failed(self, client: str, reference: str) -> None:
        """Count a wrong code against the address and the reference."""
        now = self.clock()
        client_id, reference_id = self._ids(client, reference)
        self._clients.add(client_id, now)
        self._references.add(reference_id, now)
        self._pairs[(client_id, reference_id)] = now
        if len(self._pairs) + len(self._clients) + len(self._references) > MAX_KEYS:
            self._forget_idle(now)

    def succeeded(self, client: str, reference: str) -> None:
        """The right code from here: this address is no longer a guesser of this reference."""
        self._pairs.pop(self._ids(client, reference), None)

    def _forget_idle(self, now: float) -> None:
        self._clients.forget_idle(now)
        self._references.forget_idle(now)
        for pair, last in list(self._pairs.items()):
            if last <= now - self.reference_window_s:
                del self._pairs[pair]
