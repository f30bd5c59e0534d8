"""Keeping each region-year's cube between requests, and building a new one while the last one still serves.

A cube (cube.py: the true counts and secondary suppression of a whole region-year) takes the better part of a
second to build for a busy region, and the projection moves on with every event. Building it again for the first
page after each change made that page wait for it, so:

* the last complete cube of a key serves every page, API answer and export, however often the data moves;
* when the data moved on (the projection's offsets or the day changed) or the cube is older than half of
  ``max_age_s`` (the overdue counts move with the clock), a rebuild starts in the background and the last cube
  serves meanwhile; a request never waits for it;
* a cube older than ``max_age_s`` is not served: the request waits for the new one. So no figure is from data
  more than ``max_age_s`` older than the request, and a page says when its cube's data was read (Cube.as_of);
* one rebuild at a time per key (a lock): requests that find no cube wait for the one build, not one each.

Each cube is decided whole, so every table built from one cube shows each cell the same way; a request uses one
cube for all its tables (rollup.same_cube).

The store only keeps and schedules: how a cube is built is the caller's (rollup.stored_cube). Its SQL runs on a
connection of its own for a background rebuild, and adding up the rows, the lines and the single-line rule in the
service's worker process (cube_worker.py), so the pages served meanwhile never wait for the interpreter's lock; after a
start, each region's current year is built once the projection has caught up (warmup.py), so the first view
finds a cube here too.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import structlog

log = structlog.get_logger(__name__)
T = TypeVar("T")


@dataclass
class _Kept(Generic[T]):
    value: T
    stamp: Hashable  # what the data looked like when the value was built
    started: float  # when its build began (its data is at least that fresh)


@dataclass
class _Slot(Generic[T]):
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    kept: _Kept[T] | None = None
    rebuilding: asyncio.Task[None] | None = None


class CubeStore(Generic[T]):
    """The last value built per key, refreshed in the background; see the module's text for the rules."""

    def __init__(self, *, max_age_s: float, kept: int = 16, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age_s = max_age_s
        self._kept = kept
        self._clock = clock
        self._slots: OrderedDict[Hashable, _Slot[T]] = OrderedDict()

    def _slot(self, key: Hashable) -> _Slot[T]:
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
            # Forget the least used keys, but never one being built (its lock is held by someone).
            for old in [k for k, s in self._slots.items() if not s.lock.locked() and k != key]:
                if len(self._slots) <= self._kept:
                    break
                del self._slots[old]
        self._slots.move_to_end(key)
        return slot

    async def get(self, key: Hashable, stamp: Hashable, build_here: Callable[[], Awaitable[T]],
                  build_apart: Callable[[], Awaitable[T]] | None) -> T:
        """The value of ``key`` for data in state ``stamp``.

        ``build_here`` builds it on the caller's own connection (when the caller must wait); ``build_apart`` on a
        connection of its own, for a rebuild in the background (None: no background rebuilds, every change is
        waited for).
        """
        slot = self._slot(key)
        if (kept := slot.kept) is not None:
            if self._fresh(kept, stamp):
                return kept.value
            if self._servable(kept) and build_apart is not None:
                if slot.rebuilding is None and not slot.lock.locked():
                    slot.rebuilding = asyncio.create_task(self._rebuild(slot, stamp, build_apart))
                return kept.value
        async with slot.lock:
            # Someone may have built it while this request waited for the lock: a new one serves, stamp or not
            # (when the data moved on meanwhile, the next request has it rebuilt in the background).
            if (kept := slot.kept) is not None and (
                    self._fresh(kept, stamp) or (build_apart is not None and self._servable(kept))):
                return kept.value
            started = self._clock()
            value = await build_here()
            slot.kept = _Kept(value, stamp, started)
            return value

    def _fresh(self, kept: _Kept[T], stamp: Hashable) -> bool:
        return kept.stamp == stamp and self._clock() - kept.started < self.max_age_s / 2

    def _servable(self, kept: _Kept[T]) -> bool:
        return self._clock() - kept.started < self.max_age_s

    async def _rebuild(self, slot: _Slot[T], stamp: Hashable, build: Callable[[], Awaitable[T]]) -> None:
        try:
            async with slot.lock:
                started = self._clock()
                value = await build()
                slot.kept = _Kept(value, stamp, started)
        except Exception as exc:
            # The last cube serves until it is too old; the next request then builds one itself (and fails loudly).
            log.warning("reporting.cube_rebuild_failed", error=type(exc).__name__)
        finally:
            slot.rebuilding = None

    async def settle(self) -> None:
        """Wait for the background rebuilds running now (tests, a benchmark's end, shutting down)."""
        running = [s.rebuilding for s in self._slots.values() if s.rebuilding is not None]
        if running:
            await asyncio.gather(*running, return_exceptions=True)

    def clear(self) -> None:
        """Forget every kept value (a benchmark's cold start); running rebuilds finish into forgotten slots."""
        self._slots.clear()
