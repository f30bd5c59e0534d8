"""The typed dependencies every route is given: a connection, a unit of work, the signed-in staff member."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI

from shared.app import ConnDep, SignedIn, UnitOfWork, UnitOfWorkDep, create_service_app
from shared.db import Conn, create_pool
from shared.errors import Unauthorized
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration


@pytest.fixture
async def conn(postgres, prefix) -> AsyncIterator[Conn]:
    pool = await create_pool(postgres.dsn, [f"uow_{prefix}"], max_size=2)
    try:
        async with pool.acquire() as c:
            await c.execute("CREATE TABLE things (id int PRIMARY KEY)")
            yield c
    finally:
        await pool.close()


async def test_a_unit_of_work_wakes_the_relay_only_after_it_committed(conn):
    woken: list[int] = []

    def wake() -> None:
        # By the time the relay is woken, what the transaction wrote must be visible to it.
        woken.append(len(woken))

    uow = UnitOfWork(conn, wake)
    async with uow.transaction() as c:
        await c.execute("INSERT INTO things VALUES (1)")
        assert woken == []
    assert woken == [0]

    with pytest.raises(RuntimeError):
        async with uow.transaction() as c:
            await c.execute("INSERT INTO things VALUES (2)")
            raise RuntimeError("the use case failed")
    assert woken == [0], "a rolled-back transaction wakes nobody"
    assert await conn.fetchval("SELECT array_agg(id ORDER BY id) FROM things") == [1]


@dataclass
class Person:
    name: str


def _app(postgres, prefix) -> FastAPI:
    router = APIRouter()

    async def lookup(conn: Conn, token: str | None) -> Person | None:
        return Person(str(await conn.fetchval("SELECT $1::text", token))) if token == "good" else None

    signed_in = SignedIn(cookie="who", lookup=lookup, not_signed_in=lambda request: Unauthorized("sign in"),
                         sign_in_at=lambda request: f"/login?next={request.url.path}")

    @router.get("/value")
    async def value(conn: ConnDep) -> int:
        return int(await conn.fetchval("SELECT 41 + 1"))

    @router.post("/write")
    async def write(uow: UnitOfWorkDep) -> int:
        async with uow.transaction() as c:
            return int(await c.fetchval("SELECT 1"))

    @router.get("/api/me")
    async def me(person: Person = Depends(signed_in.api)) -> str:  # noqa: B008
        return person.name

    @router.get("/page")
    async def page(person: Person = Depends(signed_in.page(lambda p: p.name == "good"))) -> str:  # noqa: B008
        return person.name

    settings = ServiceSettings(service="deps", db_schema=f"deps_{prefix}", database_url=postgres.dsn,
                               kafka_bootstrap="127.0.0.1:1", topic_prefix=prefix)
    return create_service_app(settings, title="deps", description="deps", routers=[router])


async def test_routes_get_a_connection_a_unit_of_work_and_the_signed_in_person(postgres, prefix):
    app = _app(postgres, prefix)
    async with app.router.lifespan_context(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        assert (await client.get("/value")).json() == 42
        assert (await client.post("/write")).json() == 1
        assert (await client.get("/api/me")).status_code == 401
        signed = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", cookies={"who": "good"})
        assert (await signed.get("/api/me")).json() == "good"
        to_login = await client.get("/page")
        assert to_login.status_code == 303 and to_login.headers["location"] == "/login?next=/page"
        assert (await signed.get("/page")).json() == "good"


async def test_a_route_answers_503_with_retry_after_while_the_pool_is_away(postgres, prefix):
    app = _app(postgres, prefix)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        pool, runtime.pool = runtime.pool, None
        try:
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
            answer = await client.get("/value")
            assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
            assert "database" in answer.json()["detail"]
        finally:
            runtime.pool = pool
