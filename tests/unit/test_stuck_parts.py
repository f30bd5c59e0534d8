"""Parts that can get stuck when the broker or the database goes away under them, and what is done about it."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import httpx
from fastapi import FastAPI

from shared.applier import Projection
from shared.consumer import ProjectionConsumer
from shared.http import install_error_handlers


class NeverStops:
    """A consumer whose stop waits for ever, as aiokafka's can for a group coordinator after a broker restart."""

    def __init__(self) -> None:
        self.asked = 0

    async def stop(self) -> None:
        self.asked += 1
        await asyncio.Event().wait()


async def test_a_consumer_that_never_stops_is_abandoned_so_that_the_next_one_can_start() -> None:
    projection = Projection(name="p", migrations=[], tables=[], event_handlers={})
    consumer = ProjectionConsumer(pool=None, bootstrap="127.0.0.1:1", group_id="g", topics=["t"],  # type: ignore[arg-type]
                                  projection=projection, dead_letter_topic=lambda topic: topic, stall_after_s=0.2)
    stuck = NeverStops()
    started = time.monotonic()
    await consumer._stop(stuck)  # type: ignore[arg-type]
    assert stuck.asked == 1 and time.monotonic() - started < 2.0


async def test_a_connection_left_mid_operation_by_a_dead_server_answers_503_not_500() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/")
    async def route() -> None:
        raise asyncpg.exceptions.InternalClientError("cannot switch to state 12; another operation (2) is in progress")

    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    answer = await client.get("/")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
