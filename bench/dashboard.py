"""Dashboard: how long each of the dashboards' queries takes over a region-year of 1,000,000 cases.

Reporting's ``case_facts`` are first made by the replay benchmark's rebuild (a demo region-year
of events, as reporting's projection makes them), then scaled: the rows are copied under fresh
case ids until the table holds ``cases`` rows, each copy's waits for a first answer moved by up to
a tenth either way (copies with the same waits would give the waits' histograms as few distinct
values as the base has cases, and flatter them); the rollup (``fact_cells``) and the histograms
(``wait_tenths``, ``wait_hours``) are made from them and all are analysed. Each table of each
dashboard page is then built by the same code the pages use (``services.reporting.tables``), for
the whole region and the period the pages open with (the current year until today: ten whole
months and the first day of November), ``repeats`` times; the figure is the 95th percentile per table
and per page (all of a page's tables, one after another, as a page load does). Each page is the first
view after the projection moved on (its stored offsets change): the last region-year's cube (rollup.py,
cube_store.py) serves it while a new one is built in the background, which competes with the page for the
machine. Apart from those, each page is also measured ``cold_repeats`` times as the first view since a start,
with no cube kept, so that its figure includes building the cube.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg

from services.reporting import cells, rollup, waits
from services.reporting.filters import Filters, period_days
from services.reporting.settings import ReportingSettings
from services.reporting.tables import PAGES, TABLES
from shared.db import Conn, create_pool
from shared.regions import load_regions
from shared.settings import ROOT

SCHEMA = "dashboard_bench"
UNTIL = date(2026, 11, 1)
ROLLUPS = ("fact_cells", "wait_tenths", "wait_hours")


@dataclass(frozen=True)
class Dashboard:
    cases: int
    per_table_p95_ms: dict[str, float]
    per_page_p95_ms: dict[str, float]
    cold_page_p95_ms: dict[str, float]  # each page when no cube is kept yet (the first view after a start)

    @property
    def slowest(self) -> tuple[str, float]:
        name = max(self.per_table_p95_ms, key=lambda k: self.per_table_p95_ms[k])
        return name, self.per_table_p95_ms[name]


async def scale(dsn: str, source_schema: str, cases: int) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
        await conn.execute(f"CREATE TABLE {SCHEMA}.case_facts (LIKE {source_schema}.case_facts INCLUDING ALL)")
        columns = [r["column_name"] for r in await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'case_facts'"
            " ORDER BY ordinal_position", source_schema)]
        moved = {"case_id": "gen_random_uuid()", **{c: f"round(({c} * (0.9 + 0.2 * random()))::numeric, 2)"
                                                    for c in waits.MEASURES.values()}}
        chosen = ", ".join(moved.get(c, c) for c in columns)
        have = 0
        while have < cases:
            await conn.execute(f"INSERT INTO {SCHEMA}.case_facts ({', '.join(columns)})"
                               f" SELECT {chosen} FROM {source_schema}.case_facts LIMIT {cases - have}")
            have = int(await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.case_facts"))
        await copy_followups(conn, source_schema, cases)
        # The rollup and the histograms the dashboards read, made from the scaled facts as a migration makes them.
        for table in ROLLUPS:
            await conn.execute(f"CREATE TABLE {SCHEMA}.{table} (LIKE {source_schema}.{table} INCLUDING ALL)")
        # The statistics' cube is kept per state of the projection, which its stored offsets tell (empty here).
        await conn.execute(f"CREATE TABLE {SCHEMA}.projection_offsets"
                           f" (LIKE {source_schema}.projection_offsets INCLUDING ALL)")
        # The kinds of the directory's services a referral may name, which the cube reads, as the projection has them.
        await conn.execute(f"CREATE TABLE {SCHEMA}.directory_services"
                           f" (LIKE {source_schema}.directory_services INCLUDING ALL)")
        await conn.execute(f"INSERT INTO {SCHEMA}.directory_services SELECT * FROM {source_schema}.directory_services")
        for statement in (cells.FILL, *waits.FILL):
            await conn.execute(f"SET search_path TO {SCHEMA}; {statement}")
        for table in ("case_facts", "followup_facts", *ROLLUPS):
            await conn.execute(f"VACUUM ANALYZE {SCHEMA}.{table}")
        return have
    finally:
        await conn.close()


async def copy_followups(conn: asyncpg.Connection, source_schema: str, cases: int) -> None:
    """The families' follow-ups, copied as many times as the facts were, under fresh case ids."""
    source_cases = int(await conn.fetchval(f"SELECT count(*) FROM {source_schema}.case_facts"))
    copies = max(1, -(-cases // max(source_cases, 1)))
    await conn.execute(f"CREATE TABLE {SCHEMA}.followup_facts (LIKE {source_schema}.followup_facts INCLUDING ALL)")
    columns = [r["column_name"] for r in await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'followup_facts'"
        " ORDER BY ordinal_position", source_schema)]
    chosen = ", ".join("gen_random_uuid()" if c == "case_id" else c for c in columns)
    await conn.execute(f"INSERT INTO {SCHEMA}.followup_facts ({', '.join(columns)})"
                       f" SELECT {chosen} FROM {source_schema}.followup_facts, generate_series(1, {copies})")


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000


async def _page(conn: Conn, names: tuple[str, ...], filters: Filters, tables: dict[str, list[float]]) -> float:
    """A page as the pages build it (one cube for all its tables): its time, and each table's into ``tables``."""
    page_started = time.perf_counter()
    async with rollup.same_cube():
        for name in names:
            started = time.perf_counter()
            await TABLES[name](conn, filters, "fi")
            tables[name].append(time.perf_counter() - started)
    return time.perf_counter() - page_started


async def run(dsn: str, source_schema: str, *, cases: int = 1_000_000, repeats: int = 20,
              cold_repeats: int = 5) -> Dashboard:
    have = await scale(dsn, source_schema, cases)
    region = next(r for r in load_regions(ROOT / "deploy" / "regions") if r.id == "varsinais-suomi")
    since, until = period_days(UNTIL.year, None, UNTIL)
    filters = Filters(region=region, municipalities=(), since=since, until=until,
                      now=datetime(2026, 11, 2, 12, tzinfo=UTC))
    pool = await create_pool(dsn, [SCHEMA], max_size=2, work_mem=ReportingSettings.model_fields["db_work_mem"].default)
    tables: dict[str, list[float]] = {name: [] for name in TABLES}
    pages: dict[str, list[float]] = {name: [] for name in PAGES}
    cold: dict[str, list[float]] = {name: [] for name in PAGES}
    where: tuple[str, str] | None = None
    try:
        # As the service does: cubes are rebuilt in the background on connections of the pool, and assembled in a
        # worker process (unless the setting's default says a thread).
        where = await rollup.serve_from(
            pool, in_process=ReportingSettings.model_fields["stats_build_in_process"].default)
        if (worker := rollup.assembler_of(where)) is not None:
            await worker.worker_pid()  # started, as the service's warm-up has started it by the first view
        async with pool.acquire() as conn:
            await conn.execute("INSERT INTO projection_offsets VALUES ('bench', 0, 0)")
            for _ in range(cold_repeats):
                for page, names in PAGES.items():
                    # The first view of a region-year since the service started: nothing to serve, so the page
                    # waits for its cube (the region-year's cells and secondary suppression).
                    rollup.clear()
                    cold[page].append(await _page(conn, names, filters, {name: [] for name in names}))
            for _ in range(repeats):
                for page, names in PAGES.items():
                    # Each page as the first view after the projection moved on: the last cube serves it while the
                    # new one is built in the background (on the other connection and the worker process, so the
                    # page's figure carries the competition for the two cores), and the next page waits until it is
                    # done.
                    await conn.execute("UPDATE projection_offsets SET next_offset = next_offset + 1")
                    pages[page].append(await _page(conn, names, filters, tables))
                    await rollup.STORE.settle()
    finally:
        if where is not None:
            rollup.stop_serving(where, pool)
        await pool.close()
    return Dashboard(cases=have, per_table_p95_ms={k: p95(v) for k, v in tables.items() if v},
                     per_page_p95_ms={k: p95(v) for k, v in pages.items()},
                     cold_page_p95_ms={k: p95(v) for k, v in cold.items()})
