"""The network's application factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.network import agent_pages, api, coordinator_pages, news_pages, pages, task_pages
from services.network.projection import projection
from services.network.schema import MIGRATIONS
from services.network.settings import NetworkSettings
from services.network.web import HERE, error_page, not_found_page
from shared.app import create_service_app
from shared.errors import NotFound
from shared.regions import Regions


def create_app(settings: NetworkSettings, regions: Regions | None = None) -> FastAPI:
    """The network's app: recruitment's form and API, the relay and the projection of its own topics."""
    app = create_service_app(
        settings, title="Pyydä apua! network",
        routers=[api.router, pages.router, agent_pages.router, coordinator_pages.router, task_pages.router,
                 news_pages.router],
        own_migrations=MIGRATIONS, relay=True, accept_without_kafka=True, projection=projection,
        max_body_bytes=settings.max_body_bytes, regions=regions, form_targets=(),
        description="The change agents' network: recruitment with a closing date, the agents' registry, tasks, "
                    "surveys and news. Nothing here is joined to a case or to the case side's staff.",
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_exception_handler(NotFound, not_found_page)  # type: ignore[arg-type]
    app.state.error_page = error_page
    return app
