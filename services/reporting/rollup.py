"""Counting cases under the filters: every count table reads its groups from the region-year's cube (cube.py).

The cubes are kept in one store (cube_store.py): the last complete cube of a region-year serves while a new one
is built in the background after the projection moved on, never older than the store's bound. A request takes
one cube for all its tables (:func:`same_cube`), so a page, an API answer or a file shows each cell one way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Final

import asyncpg

from services.reporting import cube as cubes
from services.reporting.cube import REGION, Cube, Key, month_period, week_period, whole_weeks
from services.reporting.cube_store import CubeStore
from services.reporting.cube_worker import ProcessAssembler
from services.reporting.filters import Filters, period_days, today
from services.reporting.labels import months
from services.reporting.model import Group
from shared.db import Conn
from shared.regions import Region

# The shares most count tables show beside a count: their names and their conditions in cells.py.
SHARES = {"anonymous": "anonymous", "after": "after_hours"}
MAX_AGE_S: Final = 120.0  # the default bound on a cube's age (ReportingSettings.stats_max_age_s)
STORE: CubeStore[Cube] = CubeStore(max_age_s=MAX_AGE_S)
# Where a projection's background rebuilds take their connection: its pool, by (database, schema).
_pools: dict[tuple[str, str], asyncpg.Pool] = {}
# Where a projection's cubes are assembled when not in a thread: a worker process (cube_worker.py), by the same key.
_assemblers: dict[tuple[str, str], ProcessAssembler] = {}
# The cubes a request has taken, by (region, year): all its tables read the same one.
_taken: ContextVar[dict[tuple[str, int], Cube] | None] = ContextVar("taken_cubes", default=None)


async def serve_from(pool: asyncpg.Pool, max_age_s: float = MAX_AGE_S, in_process: bool = False
                     ) -> tuple[str, str]:
    """Let cubes of the projection ``pool`` reads be rebuilt in the background on connections of ``pool``, and
    assembled in a worker process when ``in_process``; the projection's (database, schema) for :func:`stop_serving`."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT current_database() AS db, current_schema() AS schema")
    assert row is not None
    where = (row["db"], row["schema"])
    _pools[where] = pool
    if in_process and where not in _assemblers:
        _assemblers[where] = ProcessAssembler()
    STORE.max_age_s = max_age_s
    return where


def stop_serving(where: tuple[str, str], pool: asyncpg.Pool) -> None:
    """The app of ``pool`` stops: no more background rebuilds on it, and the projection's worker process goes
    (unless another app has served the same projection since: then both stay, as its)."""
    if _pools.get(where) is not pool:
        return
    del _pools[where]
    assembler = _assemblers.pop(where, None)
    if assembler is not None:
        assembler.close()


def assembler_of(where: tuple[str, str]) -> ProcessAssembler | None:
    """The worker process that assembles the projection's cubes (None: a thread does)."""
    return _assemblers.get(where)


@asynccontextmanager
async def same_cube() -> AsyncIterator[None]:
    """Within this block every table of a region-year reads one cube, even if a newer one is kept meanwhile."""
    token = _taken.set({})
    try:
        yield
    finally:
        _taken.reset(token)


async def cube_for(conn: Conn, f: Filters) -> Cube:
    """The cube of the filters' region and year: the one this request took, or the store's."""
    taken = _taken.get()
    if taken is not None and (f.region.id, f.year) in taken:
        return taken[(f.region.id, f.year)]
    found = await stored_cube(conn, f.region, f.year, f.now)
    if taken is not None:
        taken[(f.region.id, f.year)] = found
    return found


async def stored_cube(conn: Conn, region: Region, year: int, now: datetime) -> Cube:
    """The store's cube of ``region`` and ``year`` for the projection ``conn`` reads (built if there is none)."""
    # Which projection (a database and schema: a rebuild, another instance's) and how far it has read.
    row = await conn.fetchrow("SELECT current_database() AS db, current_schema() AS schema,"
                              " coalesce(sum(next_offset), 0) AS read FROM projection_offsets")
    assert row is not None
    where = (row["db"], row["schema"])
    # The whole year until today, whatever part of it was asked for: a month's cells are decided with the
    # year's, so the month asked alone reads like the year's row for it.
    _, last = period_days(year, None, today())
    pool, assembler = _pools.get(where), _assemblers.get(where)

    async def here() -> Cube:
        return await cubes.load(conn, region, year, last, now, assembler)

    async def apart() -> Cube:
        assert pool is not None
        async with pool.acquire() as own:
            return await cubes.load(own, region, year, last, now, assembler)

    # The event loop is part of the key: a store's locks and tasks belong to the loop that made them.
    key = (id(asyncio.get_running_loop()), *where, region.id, year)
    return await STORE.get(key, (int(row["read"]), last), here, apart if pool is not None else None)


def taken_as_of(f: Filters) -> datetime | None:
    """When the data of the cube this request took for the filters' region-year was read (inside same_cube)."""
    taken = _taken.get()
    found = taken.get((f.region.id, f.year)) if taken is not None else None
    return found.as_of if found is not None else None


def clear() -> None:
    """Forget the kept cubes (a benchmark's cold start)."""
    STORE.clear()


def area(f: Filters) -> str:
    return f.municipality or REGION


def places(f: Filters, by: str) -> list[tuple[Any, str, str]]:
    """The (key, area, period) of each group of ``by`` under the filters."""
    a = area(f)
    if by == "true":
        return [(True, a, f.period)]
    if by == "month":
        return [(m, a, month_period(m)) for m in months(f)]
    if by == "week":
        return [(w, a, week_period(w)) for w in whole_weeks(f.since, f.until)]
    if by == "municipality":
        return [(m, m, f.period) for m in (f.municipalities or [m.id for m in f.region.municipalities])]
    raise ValueError(by)


async def counts(conn: Conn, f: Filters, dim: str, by: Sequence[str] = ("value",)) -> dict[Any, Group]:
    """The cases in each group of ``dim``: by its values (``("value",)``), by month and value, or, for ``"all"``,
    by ``"month"``, ``"week"``, ``"weekday"`` or ``"municipality"``."""
    c = await cube_for(conn, f)
    if tuple(by) == ("weekday",):
        dim, by = "weekday", ("value",)
    if tuple(by) == ("value",):
        return {cubes.parse(dim, v): c.group((area(f), f.period, dim, v)) for v in c.values[dim]}
    if tuple(by) == ("month", "value"):
        return {(m, cubes.parse(dim, v)): c.group((a, p, dim, v)) for m, a, p in places(f, "month")
                for v in c.values[dim]}
    (one,) = by
    return {k: c.group((a, p, dim, "")) for k, a, p in places(f, one)}


async def whole(conn: Conn, f: Filters, dim: str) -> Group:
    """The cases a dimension counts: every case for most, the closed ones for outcomes, … (cube.COVERED)."""
    c = await cube_for(conn, f)
    return c.group((area(f), f.period, dim, cubes.COVERED if dim in cubes.PARTIAL else ""))


async def tally(conn: Conn, f: Filters, by: str, conditions: dict[str, str]) -> dict[Any, dict[str, Group]]:
    """Per ``by``: the whole group (``"all"``) and the part of it for which each named condition holds."""
    c = await cube_for(conn, f)
    return {k: {"all": c.group((a, p, "all", "")), **{name: c.group((a, p, dim, "")) for name, dim in
                                                         conditions.items()}} for k, a, p in places(f, by)}


async def cell(conn: Conn, f: Filters, key: Key) -> Group:
    """One cell of the filters' cube."""
    return (await cube_for(conn, f)).group(key)
