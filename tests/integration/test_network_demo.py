"""``make run``'s demo network loads through the real APIs: a closed recruitment, applications at their own times,
confirmations from the agents' mailbox, a coordinator's tasks, survey and news, and answers; a second run adds
nothing."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

import deploy.local.sinks as sinks
from deploy.demo.network import load_network
from deploy.local.infra import free_port
from services.network import service
from shared.app import UnitOfWork
from tests.support import APPS, LiveServer, settings_for, staff

pytestmark = pytest.mark.integration


async def test_the_demo_network_loads_through_the_apis(postgres: Any, kafka: Any, prefix: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sinks, "MAIL_DIR", tmp_path)
    smtp = Controller(sinks.MailSink(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    network_port, routing_port = free_port(), free_port()
    network_url, routing_url = f"http://127.0.0.1:{network_port}", f"http://127.0.0.1:{routing_port}"
    apps = {"network": APPS["network"](settings_for("network", **env, demo_clock=True, network_url=network_url)),
            "routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600, network_url=network_url)),
            "notify": APPS["notify"](settings_for("notify", **env, smtp_port=smtp.port, sender_interval_s=0.1))}
    try:
        async with LiveServer(apps["network"], network_port), LiveServer(apps["routing"], routing_port), \
                LiveServer(apps["notify"], free_port()):
            async with httpx.AsyncClient(base_url=routing_url) as client:
                await staff(client, apps["routing"], role="network_coordinator", username="verkosto")
            runtime = apps["network"].state.runtime
            loop = asyncio.get_running_loop()

            def open_campaign(opens: date, closes: date) -> None:
                async def opened() -> None:
                    async with runtime.pool.acquire() as conn:
                        await service.open_campaign(uow=UnitOfWork(conn), settings=runtime.settings,
                                                    regions=runtime.regions, region="varsinais-suomi",
                                                    opening_day=opens, closing_day=closes)
                asyncio.run_coroutine_threadsafe(opened(), loop).result(30)

            region = runtime.regions.by_id["varsinais-suomi"]
            arguments = {"network": network_url, "routing": routing_url, "coordinator": "verkosto",
                         "password": "correct horse battery staple", "mail_dir": tmp_path,
                         "open_campaign": open_campaign, "agents": 24}
            assert await asyncio.to_thread(load_network, region, **arguments) == 24
            pool = runtime.pool
            assert await pool.fetchval("SELECT count(*) FROM agents") == 24
            assert await pool.fetchval("SELECT max(applied_at) FROM agents") < await pool.fetchval(
                "SELECT closes_at FROM campaigns")
            assert await pool.fetchval("SELECT count(*) FROM agents WHERE status = 'confirmed'") >= 15
            assert await pool.fetchval("SELECT count(*) FROM tasks") == 2
            assert await pool.fetchval("SELECT count(*) FROM surveys WHERE anonymous") == 1
            assert await pool.fetchval("SELECT count(*) FROM news") == 1
            assert await pool.fetchval("SELECT count(*) FROM task_assignments WHERE reported_at IS NOT NULL") >= 1
            assert await pool.fetchval("SELECT count(*) FROM survey_invitations WHERE answered") >= 5
            assert await asyncio.to_thread(load_network, region, **arguments) == 0
            assert await pool.fetchval("SELECT count(*) FROM agents") == 24
    finally:
        smtp.stop()
