"""Notify's application factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.notify.api import dev_router, router
from services.notify.errors_page import error_page
from services.notify.projection import projection
from services.notify.schema import MIGRATIONS
from services.notify.sender import Sender
from services.notify.settings import NotifySettings
from shared.app import create_service_app
from shared.regions import Regions
from shared.runtime import ServiceRuntime
from shared.static_files import mount_static


async def waiting(runtime: ServiceRuntime[NotifySettings]) -> dict[tuple[str, ...], float]:
    """Deliveries being sent or waiting for their next attempt (a partial index holds just these)."""
    rows = await runtime.db().fetch("SELECT status, count(*) AS n FROM deliveries"
                                    " WHERE status IN ('retry', 'sending') GROUP BY 1")
    found = {(r["status"],): float(r["n"]) for r in rows}
    return {(status,): found.get((status,), 0.0) for status in ("sending", "retry")}


def create_app(settings: NotifySettings, regions: Regions | None = None) -> FastAPI:
    async def on_start(runtime: ServiceRuntime[NotifySettings]) -> None:
        sender = Sender(runtime, settings)
        app.state.sender = sender
        runtime.metrics.counter_source("apua_notifications_sent", "Notify: messages delivered", lambda: sender.sent)
        runtime.metrics.counter_source("apua_notifications_failed", "Notify: messages given up on",
                                       lambda: sender.failed)
        runtime.metrics.gauge_source("apua_notifications_waiting", "Notify: messages being sent or waiting to be"
                                     " tried again", ("status",), waiting)
        runtime.spawn(sender.run(), "sender")

    app = create_service_app(
        settings, title="Pyydä apua! notify", routers=[router, dev_router], projection=projection, regions=regions,
        own_migrations=MIGRATIONS, relay=True, on_start=on_start,
        description="Receipts and reminders to families and staff, each sent once, never with what anyone wrote.",
    )
    mount_static(app, Path(__file__).resolve().parent / "static")
    app.state.error_page = error_page
    return app
