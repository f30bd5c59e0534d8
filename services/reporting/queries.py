"""Statistics from reporting's projection, with small counts suppressed."""

from __future__ import annotations

from datetime import date

import asyncpg
from pydantic import BaseModel

from shared.db import Conn

SUPPRESS_BELOW = 5
Count = int | str


def suppress(count: int) -> Count:
    """Counts under 5 show as "<5" so that a small municipality's family cannot be recognised."""
    return "<5" if 0 < count < SUPPRESS_BELOW else count


class MunicipalityCount(BaseModel):
    municipality: str
    contacts: Count


class Stats(BaseModel):
    region: str | None
    since: date | None
    until: date | None
    total: Count
    municipalities: list[MunicipalityCount]


async def contacts_by_municipality(*, conn: Conn | asyncpg.Pool, region: str | None,
                                   since: date | None, until: date | None) -> Stats:
    rows = await conn.fetch(
        "SELECT municipality, count(*) AS n FROM contacts WHERE ($1::text IS NULL OR region = $1)"
        " AND ($2::date IS NULL OR local_date >= $2) AND ($3::date IS NULL OR local_date <= $3)"
        " GROUP BY municipality ORDER BY municipality", region, since, until)
    total = sum(r["n"] for r in rows)
    return Stats(region=region, since=since, until=until, total=suppress(total),
                 municipalities=[MunicipalityCount(municipality=r["municipality"], contacts=suppress(r["n"]))
                                 for r in rows])
