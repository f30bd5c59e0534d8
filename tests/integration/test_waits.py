"""The waits' histograms on a real PostgreSQL: kept by the projection's own statements, equal to what the facts make
afresh, and giving for every filter and grouping the medians the facts give."""

from __future__ import annotations

import random
import statistics
import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest

from deploy.demo.events import year_of_events
from deploy.demo.model import plan_year
from services.reporting import waits
from services.reporting.filters import Filters
from services.reporting.projection import MIGRATIONS, batch_handler
from shared.db import create_pool, migrate
from shared.regions import load_regions
from shared.settings import ROOT

pytestmark = pytest.mark.integration
REGION = next(r for r in load_regions(ROOT / "deploy" / "regions") if r.id == "varsinais-suomi")
END = date(2026, 11, 2)
# The facts' own column for each grouping of the medians ('' for no team, as in the histograms).
FACT_BY = {"true": "true", "municipality": "municipality", "month": "month",
           "team": "coalesce(response_team, team_id, '')"}


async def fresh(conn: asyncpg.Connection, unit: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await conn.fetch(
        f"{waits.histogram_of(unit, 'SELECT 1 AS sign, * FROM case_facts')} ORDER BY 1, 2, 3, 4, 5, 6")]


async def from_facts(conn: asyncpg.Connection, f: Filters, by: str) -> tuple[dict[Any, dict[str, float]],
                                                                              dict[str, float]]:
    """The medians of the waits in tenths, straight from the facts."""
    where, args = f.where()
    groups: dict[Any, dict[str, list[int]]] = {}
    whole: dict[str, list[int]] = {"b": [], "c": []}
    for r in await conn.fetch(
            f"SELECT {FACT_BY[by]} AS k, round(response_business_hours * 10)::int AS b,"
            f" round(response_calendar_hours * 10)::int AS c FROM case_facts WHERE {where}"
            " AND first_response_at IS NOT NULL", *args):
        for m in ("b", "c"):
            groups.setdefault(r["k"], {"b": [], "c": []})[m].append(r[m])
            whole[m].append(r[m])
    return ({k: {m: statistics.median(v) / 10 for m, v in ms.items()} for k, ms in groups.items()},
            {m: statistics.median(v) / 10 for m, v in whole.items() if v})


def rounded(groups: dict[Any, dict[str, float]]) -> dict[Any, dict[str, float]]:
    return {k: {m: round(v, 2) for m, v in ms.items()} for k, ms in groups.items()}


async def test_histograms_are_kept_and_give_the_medians_of_the_facts(postgres):
    schema = f"waits_{uuid.uuid4().hex[:8]}"
    pool = await create_pool(postgres.dsn, [schema])
    try:
        await migrate(pool, schema, MIGRATIONS)
        plans = plan_year(REGION, end=END, rng=random.Random(7), per_1000_children=15)
        events = list(year_of_events(plans, REGION, team_of={"ohjaaja": "family-guidance", "perhetyo": "family-work"}))
        apply = batch_handler(b"secret")
        async with pool.acquire() as conn:
            for i in range(0, len(events), 97):  # the live path: facts, cells and histograms in one statement
                async with conn.transaction():
                    await apply(conn, events[i:i + 97])
            assert await conn.fetchval("SELECT count(*) FROM case_facts") == len(plans) > 1000
            kept = {unit: [tuple(r) for r in await conn.fetch(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4, 5, 6")]
                    for unit, (table, _, _) in waits.HISTOGRAMS.items()}
            assert kept["tenths"] == await fresh(conn, "tenths") and len(kept["tenths"]) > 500
            assert kept["hour"] == await fresh(conn, "hour") and len(kept["hour"]) < len(kept["tenths"])
            assert await conn.fetchval("SELECT count(*) FROM wait_tenths WHERE n <= 0") == 0

            now = datetime(2026, 11, 2, 12, tzinfo=UTC)
            periods = [
                Filters(REGION, (), date(2025, 12, 1), END, now=now),  # the pages' default: whole months and a day
                Filters(REGION, (), date(2025, 11, 17), date(2026, 6, 9), now=now),  # parts of months at both ends
                Filters(REGION, ("turku", "raisio"), date(2026, 1, 1), date(2026, 3, 31), now=now),
                Filters(REGION, (), date(2026, 3, 3), date(2026, 3, 20), now=now),  # no whole month
            ]
            for f in periods:
                for by in ("true", "municipality", "team", "month"):
                    per_group, whole = await waits.medians(conn, f, by)
                    expected_groups, expected_whole = await from_facts(conn, f, by)
                    assert rounded(per_group) == rounded(expected_groups), (f, by)
                    assert whole == pytest.approx(expected_whole) and whole, (f, by)
    finally:
        await pool.close()
        conn = await asyncpg.connect(postgres.dsn)
        try:
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        finally:
            await conn.close()
