"""Reporting's application factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.reporting import rollup
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


async def _serve_cubes(runtime: ServiceRuntime[ReportingSettings]) -> None:
    # The statistics' cubes are rebuilt in the background on the service's own pool.
    await rollup.serve_from(runtime.db(), runtime.settings.stats_max_age_s)


def create_app(settings: ReportingSettings, regions: Regions | None = None) -> FastAPI:
    app = create_service_app(
        settings, title="Pyydä apua! reporting", routers=[router, pages], projection=projection, regions=regions,
        own_migrations=MIGRATIONS, on_start=_serve_cubes,
        description="The region's dashboards and pilot statistics, rebuilt from the stream; no personal data.",
    )
    mount_static(app, STATIC)
    app.state.error_page = error_page
    return app
