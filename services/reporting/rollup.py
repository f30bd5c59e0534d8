"""Counting cases under the filters from the rollup's cells (see cells.py): the reads every count table makes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from services.reporting import cells
from services.reporting.filters import Filters
from services.reporting.model import Group
from shared.db import Conn

# What a table can group the cells by: the dimension's own value, or the day's or municipality's.
BY = {"value": "c.value", "month": "date_trunc('month', c.local_date)::date",
      "week": "date_trunc('week', c.local_date)::date", "weekday": "extract(isodow FROM c.local_date)::int",
      "municipality": "c.municipality", "true": "true"}
# The shares most count tables show beside a count: their names and their conditions in cells.py.
SHARES = {"anonymous": "anonymous", "after": "after_hours"}


def cells_source(f: Filters, dims: Sequence[str]) -> tuple[str, str, list[Any]]:
    """FROM and WHERE for the rollup's cells of ``dims`` under the filters (see cells.py). With a topic, the
    cells are made on the fly from that topic's facts, by the same definitions."""
    if f.topic:
        where, args = f.where()
        return f"({cells.cells_of(f'SELECT 1 AS sign, * FROM case_facts WHERE {where}', dims)}) c", "true", args
    where, args = f.where(topic=False)
    return "fact_cells c", f"{where} AND c.dim = ANY(${len(args) + 1}::text[])", [*args, list(dims)]


async def counts(conn: Conn | asyncpg.Pool, f: Filters, dim: str, by: Sequence[str] = ("value",)) -> dict[Any, Group]:
    """The cases in each group of ``dim``, grouped by ``by`` (one key, or a tuple of keys)."""
    source, where, args = cells_source(f, [dim])
    keys = ", ".join(f"{BY[b]} AS k{i}" for i, b in enumerate(by))
    rows = await conn.fetch(f"SELECT {keys}, sum(c.n) AS n, sum(c.keys) AS keys FROM {source} WHERE {where}"
                            f" GROUP BY {', '.join(str(i + 1) for i in range(len(by)))}", *args)

    def key(r: asyncpg.Record) -> Any:
        parts = [cells.parse(dim, r[f"k{i}"]) if b == "value" else r[f"k{i}"] for i, b in enumerate(by)]
        return parts[0] if len(parts) == 1 else tuple(parts)

    return {key(r): Group(int(r["n"]), int(r["keys"])) for r in rows}


async def tally(conn: Conn | asyncpg.Pool, f: Filters, by: str,
                conditions: dict[str, str]) -> dict[Any, dict[str, Group]]:
    """Per ``by``: the whole group (``"all"``) and the part of it for which each named condition (a dimension
    in cells.py) holds, in one query."""
    names = {dim: name for name, dim in conditions.items()}
    source, where, args = cells_source(f, ["all", *conditions.values()])
    rows = await conn.fetch(f"SELECT {BY[by]} AS k, c.dim, sum(c.n) AS n, sum(c.keys) AS keys FROM {source}"
                            f" WHERE {where} GROUP BY 1, 2", *args)
    found: dict[Any, dict[str, Group]] = {}
    for r in rows:
        found.setdefault(r["k"], {})[names.get(r["dim"], "all")] = Group(int(r["n"]), int(r["keys"]))
    return found
