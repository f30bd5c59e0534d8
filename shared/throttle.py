"""Counting a guesser's failures per key over a sliding window, keeping no address or name.

What staff sign-in (routing) and the family's pick-up code (intake) both need to slow whoever guesses:
failures per key (a client address, a username, a reference, or a pair of them) over the last
``window_s`` seconds. Keys are kept only as keyed hashes (HMAC-SHA-256 under a random key of the process)
in memory, so nothing that could identify a person is stored or logged, and a restart forgets them all.
Each instance of a service counts its own.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections import defaultdict, deque
from dataclasses import dataclass, field

# Past this many remembered keys, those idle for a whole window are forgotten.
MAX_KEYS = 100_000


def retry_after(wait_s: float) -> int:
    """Seconds to tell a client to wait: whole seconds up, at least one."""
    return max(1, math.ceil(wait_s))


@dataclass
class Keyed:
    """Hashes keys under a key of this process: the same value gives the same hash until a restart."""

    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def __call__(self, kind: str, *values: str) -> bytes:
        message = "|".join((kind, *values)).encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()


@dataclass
class FailureWindows:
    """Failures per hashed key in the last ``window_s`` seconds, on the caller's clock (``now``)."""

    window_s: float
    _hits: dict[bytes, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def recent(self, key: bytes, now: float) -> deque[float]:
        """The key's failures still in the window (older ones dropped); empty for an unknown key."""
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return hits

    def wait(self, key: bytes, limit: int, now: float) -> float:
        """Seconds until the key has room for one more failure under ``limit`` (0 when it has room now)."""
        hits = self.recent(key, now)
        return hits[0] + self.window_s - now if len(hits) >= limit else 0.0

    def add(self, key: bytes, now: float) -> None:
        self._hits[key].append(now)

    def forget_idle(self, now: float) -> None:
        """Drop the keys with no failure in the window."""
        for key in [k for k in self._hits if not self.recent(k, now)]:
            del self._hits[key]

    def __len__(self) -> int:
        return len(self._hits)
