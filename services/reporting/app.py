"""Reporting's application factory."""

from __future__ import annotations

from fastapi import FastAPI

from services.reporting.api import router
from services.reporting.projection import projection
from services.reporting.settings import ReportingSettings
from shared.app import create_service_app
from shared.regions import Regions


def create_app(settings: ReportingSettings, regions: Regions | None = None) -> FastAPI:
    return create_service_app(
        settings, title="Pyydä apua! reporting", routers=[router], projection=projection, regions=regions,
        description="The region's pilot statistics, rebuilt from the stream; no personal data.",
    )
