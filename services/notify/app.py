"""Notify's application factory."""

from __future__ import annotations

from fastapi import FastAPI

from services.notify.api import router
from services.notify.projection import projection
from services.notify.settings import NotifySettings
from shared.app import create_service_app
from shared.regions import Regions


def create_app(settings: NotifySettings, regions: Regions | None = None) -> FastAPI:
    return create_service_app(
        settings, title="Pyydä apua! notify", routers=[router], projection=projection, regions=regions,
        description="Receipts and reminders to families and staff, each sent once.",
    )
