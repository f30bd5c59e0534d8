"""Building each region's cube of the current year once the service has started, so that the first view after a
start does not wait for it.

Without it, the first page of a region-year after a start waits for the cube to be read and assembled (0.6–0.9 s
on a quiet machine for a busy region, several seconds on a loaded one). In the background after the start:

* it waits until the projection has caught up with the stream (the consumer's lag is 0 at a look, once a
  second), so that it does not build a cube of half the stream during a replay; but never longer than the store's
  bound on a cube's age (``APUA_STATS_MAX_AGE_S``): after that it builds anyway, since a cube is then at least as
  fresh as any a page would be served;
* then it builds the current year's cube of each region the service serves, one after another, through the
  same store as a page (rollup.stored_cube): one build per region, in the worker process when there is one, so
  the pages do not wait for it. A page asking meanwhile waits for the same build (the store's lock), not for one
  of its own;
* a failure is logged (``reporting.cube_warm_up_failed``) and leaves the region to its first page.

The bound: the first view after a start finds a cube when it comes later than the catch-up (or the store's bound)
plus one build per region before its own; that cube is then served as any kept cube is, and rebuilt in the
background after the projection moves on. ``APUA_STATS_WARM_UP=false`` leaves every cube to its first page.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

import asyncpg
import structlog

from services.reporting import rollup
from services.reporting.filters import today
from shared.regions import Region

log = structlog.get_logger(__name__)
LOOK_EVERY_S = 1.0


async def caught_up(lag: Callable[[], Awaitable[dict[str, int] | None]], bound_s: float,
                    clock: Callable[[], float] = time.monotonic) -> bool:
    """Wait until ``lag`` says nothing is left to apply (True), or ``bound_s`` has passed (False). ``lag`` answers
    None or {} while the consumer has no partitions yet."""
    deadline = clock() + bound_s
    while True:
        try:
            left = await lag()
        except Exception as exc:  # Kafka away for a moment: look again, within the bound
            log.info("reporting.cube_warm_up_lag_unknown", error=type(exc).__name__)
            left = None
        if left and sum(left.values()) == 0:
            return True
        if clock() >= deadline:
            return False
        await asyncio.sleep(LOOK_EVERY_S)


async def warm(pool: asyncpg.Pool, regions: Iterable[Region]) -> int:
    """Build the current year's cube of each region into the store; how many were built."""
    built = 0
    for region in regions:
        try:
            async with pool.acquire() as conn:
                await rollup.stored_cube(conn, region, today().year, datetime.now(UTC))
            built += 1
        except Exception as exc:
            log.warning("reporting.cube_warm_up_failed", region=region.id, error=type(exc).__name__)
    return built


async def warm_after_catching_up(pool: asyncpg.Pool, regions: Iterable[Region],
                                 lag: Callable[[], Awaitable[dict[str, int] | None]], bound_s: float) -> None:
    """The warm-up as the app runs it: wait for the projection (within ``bound_s``), then build."""
    started = time.monotonic()
    on_time = await caught_up(lag, bound_s)
    built = await warm(pool, regions)
    log.info("reporting.cubes_warmed", cubes=built, caught_up=on_time, seconds=round(time.monotonic() - started, 1))
