"""The network's application factory."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import structlog
from fastapi import FastAPI

from services.network import agent_pages, api, coordinator_pages, news_pages, pages, survey_pages, task_pages, upkeep
from services.network.coordinators import FormRefused
from services.network.projection import projection
from services.network.schema import MIGRATIONS
from services.network.settings import NetworkSettings
from services.network.surveys import flush_closed
from services.network.web import HERE, CrossSiteRefused, error_page, not_found_page, refused_page
from shared.app import create_service_app, unit_of_work
from shared.errors import NotFound
from shared.keyroll import run_roll_markers
from shared.regions import Regions
from shared.runtime import ServiceRuntime
from shared.static_files import FAMILY, mount_static
from shared.topics import network_keys_topic

log = structlog.get_logger(__name__)
# How often an anonymous survey past its due date has its last answers published (shuffled, however few).
FLUSH_INTERVAL_S = 60.0


async def _flush_closed_surveys(runtime: ServiceRuntime[NetworkSettings]) -> None:
    while True:
        try:
            async with unit_of_work(runtime) as uow:
                await flush_closed(uow=uow, settings=runtime.settings)
        except Exception as exc:  # the database away: the next round tries again
            log.warning("network.survey_flush_failed", error=type(exc).__name__)
        await asyncio.sleep(FLUSH_INTERVAL_S)


async def _upkeep(runtime: ServiceRuntime[NetworkSettings]) -> None:
    """Erase what has outlived its use (upkeep.py), at start and then every ``upkeep_interval_s``."""
    while True:
        try:
            async with unit_of_work(runtime) as uow:
                await upkeep.run(uow=uow, settings=runtime.settings, regions=[r.id for r in runtime.regions],
                                 now=datetime.now(UTC))
        except Exception as exc:  # the database away: the next round tries again
            log.warning("network.upkeep_failed", error=type(exc).__name__)
        await asyncio.sleep(runtime.settings.upkeep_interval_s)


async def _on_start(runtime: ServiceRuntime[NetworkSettings]) -> None:
    runtime.spawn(_flush_closed_surveys(runtime), "survey-batches")
    runtime.spawn(_upkeep(runtime), "upkeep")
    s = runtime.settings
    topics = [network_keys_topic(s.topic_prefix, r.id) for r in runtime.regions]
    runtime.spawn(run_roll_markers(s, topics, s.key_roll_marker_s, "network-key-roll"), "key-roll")


def create_app(settings: NetworkSettings, regions: Regions | None = None) -> FastAPI:
    """The network's app: recruitment's form and API, the relay and the projection of its own topics."""
    app = create_service_app(
        settings, title="Pyydä apua! network",
        routers=[api.router, pages.router, agent_pages.router, coordinator_pages.router, task_pages.router,
                 news_pages.router, survey_pages.router],
        own_migrations=MIGRATIONS, relay=True, accept_without_kafka=True, projection=projection,
        max_body_bytes=settings.max_body_bytes, regions=regions, form_targets=(), on_start=_on_start,
        description="The change agents' network: recruitment with a closing date, the agents' registry, tasks, "
                    "surveys and news. Nothing here is joined to a case or to the case side's staff.",
    )
    mount_static(app, HERE / "static", FAMILY)
    app.add_exception_handler(NotFound, not_found_page)  # type: ignore[arg-type]
    for refused in (FormRefused, CrossSiteRefused):
        app.add_exception_handler(refused, refused_page)  # type: ignore[arg-type]
    app.state.error_page = error_page
    return app
