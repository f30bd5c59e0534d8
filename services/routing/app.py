"""Routing's application factory."""

from __future__ import annotations

import orjson
from fastapi import FastAPI

from services.routing.api import router
from services.routing.api_absences import router as absences_api
from services.routing.api_callbacks import router as callbacks_api
from services.routing.api_contacts import router as contacts_api
from services.routing.api_directory import router as directory_api
from services.routing.api_templates import router as templates_api
from services.routing.api_workload import router as workload_api
from services.routing.deadlines import run_scheduler
from services.routing.oidc import install_oidc
from services.routing.pages import absences as absences_pages
from services.routing.pages import accounts as accounts_pages
from services.routing.pages import admin, callbacks, case, contacts, forbidden, queue, signin, templates, workload
from services.routing.pages import feedback as feedback_pages
from services.routing.pages import referral as referral_pages
from services.routing.pages.errors import error_page
from services.routing.pages.render import SERVICE_DIR
from services.routing.projection import projection
from services.routing.queries import open_cases
from services.routing.schema import MIGRATIONS
from services.routing.search_index import run_indexer
from services.routing.settings import RoutingSettings
from services.routing.web import sign_in_throttle
from shared.app import create_service_app
from shared.keyroll import run_roll_markers
from shared.regions import Regions
from shared.runtime import ServiceRuntime
from shared.static_files import mount_static


def create_app(settings: RoutingSettings, regions: Regions | None = None) -> FastAPI:
    async def on_start(runtime: ServiceRuntime[RoutingSettings]) -> None:
        await seed_teams(runtime)
        runtime.metrics.gauge_source("apua_open_cases", "Routing: open cases by how they stand with their promised"
                                     " day (ok, at_risk, overdue, answered)", ("region", "risk"), open_cases)
        runtime.spawn(run_scheduler(runtime, settings.deadline_check_s,
                                    settings.retention_check_s), "deadlines")
        runtime.spawn(run_roll_markers(settings, runtime.keys_topics(), settings.key_roll_marker_s, "routing-key-roll"),
                      "key-roll-markers")
        runtime.spawn(run_indexer(runtime), "search-index")

    app = create_service_app(
        settings, title="Pyydä apua! routing", regions=regions, projection=projection,
        routers=[router, templates_api, signin.router, queue.router, case.router, admin.router, templates.router,
                 callbacks_api, callbacks.router, accounts_pages.router, absences_api, absences_pages.router,
                 feedback_pages.router, workload_api, workload.router, contacts_api, contacts.router,
                 directory_api, referral_pages.router],
        own_migrations=MIGRATIONS, relay=True, on_start=on_start, form_targets=(settings.reporting_origin,),
        description="The regional team's queue and cases: triage, assign, hand off, contact, reply and close.",
    )
    app.state.sign_in_throttle = sign_in_throttle(settings)
    mount_static(app, SERVICE_DIR / "static")
    install_oidc(app, settings)
    forbidden.install(app)
    app.state.error_page = error_page
    return app


async def seed_teams(runtime: ServiceRuntime[RoutingSettings]) -> None:
    """The teams of the region's configuration; more can be added with ``teams add``."""
    pool = runtime.db()
    for region in runtime.regions:
        for team in region.teams:
            await pool.execute(
                "INSERT INTO teams (id, region, name) VALUES ($1, $2, $3::jsonb)"
                " ON CONFLICT (region, id) DO UPDATE SET name = EXCLUDED.name",
                team.id, region.id, orjson.dumps(team.name.model_dump(exclude_none=True)).decode())
