"""Intake's application factory."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake import api, pages, status_pages
from services.intake.deps import Limiters
from services.intake.projection import projection
from services.intake.schema import MIGRATIONS
from services.intake.settings import IntakeSettings
from services.intake.web import HERE, error_page, not_found_page
from shared.app import create_service_app
from shared.errors import NotFound
from shared.regions import Regions
from shared.static_files import FAMILY, mount_static


def create_app(settings: IntakeSettings, regions: Regions | None = None) -> FastAPI:
    """Intake's app: the JSON API, the family's pages and the status page, the relay and the projection."""
    app = create_service_app(
        settings, title="Pyydä apua! intake", routers=[api.router, pages.router, status_pages.router],
        own_migrations=MIGRATIONS, relay=True, accept_without_kafka=True,
        projection=projection, max_body_bytes=settings.max_body_bytes, regions=regions,
        description="Families' requests for help, from any municipality's button to the region's stream, "
                    "and the status page where they read the answer.",
    )
    app.state.limiters = Limiters.of(settings)
    mount_static(app, HERE / "static", FAMILY)
    app.add_exception_handler(NotFound, not_found_page)  # type: ignore[arg-type]
    app.state.error_page = error_page
    return app
