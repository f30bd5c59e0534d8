"""Intake's application factory."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.api import router
from services.intake.schema import MIGRATIONS
from services.intake.settings import IntakeSettings
from shared.app import create_service_app
from shared.regions import Regions


def create_app(settings: IntakeSettings, regions: Regions | None = None) -> FastAPI:
    return create_service_app(
        settings, title="Pyydä apua! intake", routers=[router], own_migrations=MIGRATIONS, relay=True,
        max_body_bytes=settings.max_body_bytes, regions=regions,
        description="Families' requests for help, from any municipality's button to the region's stream.",
    )
