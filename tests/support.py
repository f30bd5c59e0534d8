"""Helpers the integration tests share: settings per test, running apps in-process, polling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg
import httpx
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI

from services.intake.app import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.network.app import create_app as network_app
from services.network.settings import NetworkSettings
from services.notify.app import create_app as notify_app
from services.notify.settings import NotifySettings
from services.reporting.app import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from services.routing.app import create_app as routing_app
from services.routing.settings import RoutingSettings
from shared.settings import ServiceSettings

T = TypeVar("T")
SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings, "routing": RoutingSettings, "notify": NotifySettings, "reporting": ReportingSettings,
    "network": NetworkSettings,
}
APPS: dict[str, Callable[..., FastAPI]] = {
    "intake": intake_app, "routing": routing_app, "notify": notify_app, "reporting": reporting_app,
    "network": network_app,
}


def settings_for(service: str, *, prefix: str, dsn: str, bootstrap: str, **extra: Any) -> Any:
    if service == "intake":
        # One test client sends more than a family would; the limits have a test of their own.
        extra = {"submit_limit": 10_000, "status_limit": 10_000, "pickup_client_failures": 10_000,
                 "pickup_reference_failures": 10_000, **extra}
    if service == "reporting":
        # The tests publish their events after the start: a cube warmed before them would serve (within its
        # bound) instead of the one they ask for. The warm-up has tests of its own.
        extra = {"stats_warm_up": False, **extra}
    return SETTINGS[service](environment="test", database_url=dsn, kafka_bootstrap=bootstrap, topic_prefix=prefix,
                             db_schema=f"{service}_{prefix}", topic_partitions=3, **extra)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (pool, relay, consumer) and give an HTTP client talking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = 30.0, what: str = "") -> T:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or check}; last value {last!r}")


async def read_topic(bootstrap: str, topic: str, expected: int, timeout: float = 20.0) -> list[Any]:
    """Every record of ``topic`` from the start, waiting until at least ``expected`` are there."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(records) < expected:
            batch = await consumer.getmany(timeout_ms=300)
            for recs in batch.values():
                records.extend(recs)
        return records
    finally:
        await consumer.stop()


async def produce(bootstrap: str, topic: str, items: list[tuple[bytes | None, bytes | None]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for key, value in items:
            await producer.send(topic, key=key, value=value)
        await producer.flush()
    finally:
        await producer.stop()


async def table_rows(dsn: str, schema: str, table: str, order_by: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(f"SELECT * FROM {schema}.{table} ORDER BY {order_by}")
        return [dict(r) for r in rows]
    finally:
        await conn.close()


def request_body(municipality: str = "raisio", **overrides: Any) -> dict[str, Any]:
    import uuid

    body: dict[str, Any] = {
        "submission_id": str(uuid.uuid4()),
        "municipality": municipality,
        "language": "fi",
        "requester_role": "parent",
        "topic": "child_emotions",
        "message": "Lapsemme nukkuu huonosti ja on ollut alakuloinen. Kenen kanssa voisimme puhua?",
        "contact": {"method": "phone", "name": "Testi Vanhempi", "phone": "+358 40 765 4321"},
    }
    body.update(overrides)
    return body


def request_event(region: str = "varsinais-suomi", municipality: str = "raisio") -> Any:
    """A RequestSubmitted as intake would make it, sealed with a throwaway key."""
    import uuid
    from datetime import UTC, datetime

    from shared.businessdays import answer_due
    from shared.events import RequestSubmitted, RequestSubmittedPayload, new_event
    from shared.places import sealed_place
    from shared.sealing import new_data_key, seal

    case_id = uuid.uuid4()
    now = datetime.now(UTC)
    return new_event(
        RequestSubmitted, case_id=case_id, region=region, municipality=municipality, actor="family",
        occurred_at=now,
        payload=RequestSubmittedPayload(
            submission_id=uuid.uuid4(), reference=uuid.uuid4().hex[:8].upper(), language="fi",
            requester_role="parent", contact_method="anonymous", answer_due=answer_due(now, 1),
            deadline_business_days=1, personal=seal(new_data_key(), case_id, {"message": "testi"},
                                                              sealed_place("request.submitted")),
        ),
    )


async def staff(client: httpx.AsyncClient, app: FastAPI, *, role: str = "coordinator",
                region: str = "varsinais-suomi", team: str | None = None, username: str | None = None,
                email: str | None = None, language: str = "fi") -> str:
    """Add a staff account to routing and sign ``client`` in with it; returns the CSRF token."""
    import uuid

    from services.routing.accounts import add_account

    username = username or f"{role}-{uuid.uuid4().hex[:6]}"
    password = "correct horse battery staple"
    pool = app.state.runtime.pool
    async with pool.acquire() as conn:
        settings = app.state.runtime.settings
        await add_account(conn, username=username, display_name=username.title(), role=role, region=region,
                          team_id=team, password=password, email=email, language=language,
                          keyring=settings.keyring, topic_prefix=settings.topic_prefix)
    response = await client.post("/api/v1/session", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return token


class LiveServer:
    def __init__(self, app: Any, port: int) -> None:
        self.app = app
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        # Open event streams (the live queue) must not hold the shutdown up.
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                                    access_log=False, lifespan="on", timeout_graceful_shutdown=2,
                                                    proxy_headers=False))

    async def __aenter__(self) -> LiveServer:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.05)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        try:
            # A client that keeps a connection open (a service's HTTP client not yet closed) must not hold the
            # test's teardown for ever: after the graceful wait the server is told to go at once.
            await asyncio.wait_for(asyncio.shield(self.task), 10)
        except TimeoutError:
            self.server.force_exit = True
            await self.task
