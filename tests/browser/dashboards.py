"""Routing and reporting served side by side for the dashboards' browser tests, with a manager's account."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from deploy.local.infra import free_port
from services.routing.accounts import add_account
from tests.support import APPS, LiveServer, settings_for

PASSWORD = "correct horse battery staple"
MANAGER = "esihenkilo"


@asynccontextmanager
async def routing_and_reporting(postgres: Any, kafka: Any, prefix: str) -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    """Both services on free ports, each knowing the other's address (the sign-in goes through routing), and
    the region's manager Eeva Esihenkilö, who signs in with PASSWORD."""
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    routing_port, reporting_port = free_port(), free_port()
    routing_settings = settings_for("routing", **env, reporting_url=f"http://127.0.0.1:{reporting_port}")
    reporting_settings = settings_for("reporting", **env, staff_url=f"http://127.0.0.1:{routing_port}")
    async with LiveServer(APPS["routing"](routing_settings), routing_port) as routing, \
            LiveServer(APPS["reporting"](reporting_settings), reporting_port) as reporting:
        runtime = routing.app.state.runtime
        async with runtime.pool.acquire() as conn:
            await add_account(conn, username=MANAGER, display_name="Eeva Esihenkilö", role="manager",
                              region="varsinais-suomi", team_id=None, password=PASSWORD,
                              keyring=runtime.settings.keyring, topic_prefix=prefix)
        yield routing, reporting
