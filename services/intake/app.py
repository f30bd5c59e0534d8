"""Intake's application factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.intake.api import router
from services.intake.pages import HERE, not_found_page
from services.intake.pages import router as pages
from services.intake.projection import projection
from services.intake.ratelimit import RateLimiter
from services.intake.schema import MIGRATIONS
from services.intake.settings import IntakeSettings
from shared.app import create_service_app
from shared.errors import NotFound
from shared.regions import Regions


def create_app(settings: IntakeSettings, regions: Regions | None = None) -> FastAPI:
    app = create_service_app(
        settings, title="Pyydä apua! intake", routers=[router, pages], own_migrations=MIGRATIONS, relay=True,
        accept_without_kafka=True,
        projection=projection, max_body_bytes=settings.max_body_bytes, regions=regions,
        description="Families' requests for help, from any municipality's button to the region's stream, "
                    "and the status page where they read the answer.",
    )
    app.state.limiters = {
        "submit": RateLimiter(settings.submit_limit, settings.rate_window_s),
        "status": RateLimiter(settings.status_limit, settings.rate_window_s),
    }
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_exception_handler(NotFound, not_found_page)  # type: ignore[arg-type]
    return app
