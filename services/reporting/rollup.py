"""Counting cases under the filters: every count table reads its groups from the region-year's cube (cube.py).

A cube is built once per region, year, state of the projection and minute (the overdue counts move with the
clock), and kept for the next request: a page's tables, the API and the exports of the same moment share it, so
each shows a cell the same way, and a page costs one build.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Final

from services.reporting import cube as cubes
from services.reporting.cube import REGION, Cube, Key, month_period, week_period, whole_weeks
from services.reporting.filters import Filters, period_days, today
from services.reporting.labels import months
from services.reporting.model import Group
from shared.db import Conn

# The shares most count tables show beside a count: their names and their conditions in cells.py.
SHARES = {"anonymous": "anonymous", "after": "after_hours"}
CACHED: Final = 16
_cache: OrderedDict[tuple[Any, ...], Cube] = OrderedDict()


async def cube_for(conn: Conn, f: Filters) -> Cube:
    """The cube of the filters' region and year, as the projection stands now."""
    # Which projection (a database and schema: a rebuild, another instance's) and how far it has read.
    row = await conn.fetchrow("SELECT current_database() AS db, current_schema() AS schema,"
                              " coalesce(sum(next_offset), 0) AS read FROM projection_offsets")
    stamp = (row["db"], row["schema"], int(row["read"])) if row is not None else None
    now = f.now.replace(second=0, microsecond=0)
    # The whole year until today, whatever part of it was asked for: a month's cells are decided with the
    # year's, so the month asked alone reads like the year's row for it.
    _, last = period_days(f.year, None, today())
    key = (f.region.id, f.year, stamp, now, last)
    found = _cache.get(key)
    if found is None:
        found = await cubes.load(conn, f.region, f.year, last, now)
        _cache[key] = found
        while len(_cache) > CACHED:
            _cache.popitem(last=False)
    _cache.move_to_end(key)
    return found


def clear() -> None:
    """Forget the kept cubes (a benchmark's cold start)."""
    _cache.clear()


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
