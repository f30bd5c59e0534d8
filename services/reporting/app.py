"""Reporting's application factory."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from fastapi import FastAPI

from services.reporting import rollup, warmup
from services.reporting.api import router
from services.reporting.errors_page import error_page
from services.reporting.pages import router as pages
from services.reporting.projection import projection
from services.reporting.schema import MIGRATIONS
from services.reporting.settings import ReportingSettings
from shared.app import create_service_app
from shared.regions import Regions
from shared.runtime import ServiceRuntime
from shared.static_files import mount_static

STATIC = Path(__file__).resolve().parent / "static"


class _Cubes:
    """The statistics' cubes while the app runs: rebuilt in the background on the service's own pool, assembled
    in a worker process (cube_worker.py) unless APUA_STATS_BUILD_IN_PROCESS=false, warmed after the start
    (warmup.py) unless APUA_STATS_WARM_UP=false; the worker goes when the app stops."""

    def __init__(self) -> None:
        self.served: tuple[tuple[str, str], asyncpg.Pool] | None = None

    async def start(self, runtime: ServiceRuntime[ReportingSettings]) -> None:
        s, pool = runtime.settings, runtime.db()
        where = await rollup.serve_from(pool, s.stats_max_age_s, in_process=s.stats_build_in_process)
        self.served = (where, pool)
        if s.stats_warm_up:
            async def lag() -> dict[str, int] | None:
                return await runtime.consumer.lag() if runtime.consumer is not None else None

            runtime.spawn(warmup.warm_after_catching_up(pool, list(runtime.regions), lag, s.stats_max_age_s),
                          "cube-warm-up")

    async def stop(self, runtime: ServiceRuntime[ReportingSettings]) -> None:
        if self.served is not None:
            rollup.stop_serving(*self.served)


def create_app(settings: ReportingSettings, regions: Regions | None = None) -> FastAPI:
    cubes = _Cubes()
    app = create_service_app(
        settings, title="Pyydä apua! reporting", routers=[router, pages], projection=projection, regions=regions,
        own_migrations=MIGRATIONS, on_start=cubes.start, on_stop=cubes.stop,
        description="The region's dashboards and pilot statistics, rebuilt from the stream; no personal data.",
    )
    mount_static(app, STATIC)
    app.state.error_page = error_page
    return app
