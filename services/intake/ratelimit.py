"""Per-client rate limits that keep no IP address: clients are told apart by a keyed hash.

The hash key is random per process and the windows live in memory, so nothing that could
identify a family is stored, logged or put on the stream.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections import defaultdict, deque

from fastapi import Request

from shared.errors import TooManyAttempts
from shared.http import client_address


class TooManyRequests(TooManyAttempts):
    code = "too_many_requests"


class RateLimiter:
    """At most ``limit`` hits per ``window_s`` seconds for each client and purpose."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._key = secrets.token_bytes(32)
        self._hits: dict[bytes, deque[float]] = defaultdict(deque)

    def client_id(self, request: Request, purpose: str) -> bytes:
        address = client_address(request)
        return hmac.new(self._key, f"{purpose}|{address}".encode(), hashlib.sha256).digest()

    def hit(self, request: Request, purpose: str) -> None:
        """Count one hit; raise TooManyRequests (429 with Retry-After) past the limit."""
        now = time.monotonic()
        hits = self._hits[self.client_id(request, purpose)]
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            raise TooManyRequests("too many requests from this client; try again later",
                                  retry_after=math.ceil(hits[0] + self.window_s - now))
        hits.append(now)
        if len(self._hits) > 100_000:  # forget idle clients rather than grow without bound
            for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window_s]:
                del self._hits[key]
