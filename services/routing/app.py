"""Routing's application factory."""

from __future__ import annotations

from fastapi import FastAPI

from services.routing.api import router
from services.routing.projection import projection
from services.routing.settings import RoutingSettings
from shared.app import create_service_app
from shared.regions import Regions


def create_app(settings: RoutingSettings, regions: Regions | None = None) -> FastAPI:
    return create_service_app(
        settings, title="Pyydä apua! routing", routers=[router], regions=regions,
        projection=projection,
        description="The regional team's queue and case state, projected from the region's stream.",
    )
