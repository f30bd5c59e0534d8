"""What every service's lifespan holds: its pool, relay and consumer tasks, and /healthz, /readyz, /metrics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, Generic, TypeVar

import asyncpg
import structlog
from aiokafka.client import AIOKafkaClient
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.applier import DedupWindow, Projection
from shared.consumer import ProjectionConsumer
from shared.db import DB_ERRORS, check_migrated, create_pool, migrate
from shared.errors import ServiceUnavailable
from shared.http import require_bearer
from shared.kafka_security import PLAINTEXT, KafkaSecurity
from shared.metrics import Metrics
from shared.migrations import Plan
from shared.openapi import ERROR_SCHEMA
from shared.outbox import OutboxRelay
from shared.regions import Regions, load_regions
from shared.settings import ServiceSettings
from shared.topics import cases_topic, dead_letter_topic, ensure_topics, keys_topic, region_topics, staff_topic

log = structlog.get_logger(__name__)
# How long a stopping service waits for its background tasks, and then for its pool, before it gives up on them.
STOP_TIMEOUT_S = 10.0

S = TypeVar("S", bound=ServiceSettings)


async def kafka_reachable(bootstrap: str, timeout: float = 2.0, security: KafkaSecurity = PLAINTEXT) -> bool:
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000),
                            **security.client_options())
    try:
        await asyncio.wait_for(client.bootstrap(), timeout)
        return True
    except Exception:
        return False
    finally:
        await client.close()


class ServiceRuntime(Generic[S]):
    """Opens and closes a service's parts in order; nothing happens at import time.

    Generic in the service's own settings class, so that ``runtime.settings`` is typed where it is used.
    """

    def __init__(self, settings: S, regions: Regions | None = None) -> None:
        self.settings: S = settings
        self.regions = regions or load_regions(settings.regions_dir, settings.regions or None)
        self.pool: asyncpg.Pool | None = None
        self.relay: OutboxRelay | None = None
        self.consumer: ProjectionConsumer | None = None
        self.metrics = Metrics(self)
        self.kafka_required = False
        self._tasks: list[asyncio.Task[None]] = []
        self._kafka_seen: tuple[float, bool] = (0.0, False)

    def db(self) -> asyncpg.Pool:
        """The pool, or 503 with Retry-After while it is not open (start-up, shutdown)."""
        if self.pool is None:
            raise ServiceUnavailable("the database is not open yet; try again shortly")
        return self.pool

    @property
    def projection_schema(self) -> str:
        return self.settings.projection_schema

    def cases_topics(self) -> list[str]:
        return [cases_topic(self.settings.topic_prefix, r.id) for r in self.regions]

    def keys_topics(self) -> list[str]:
        return [keys_topic(self.settings.topic_prefix, r.id) for r in self.regions]

    def projection_topics(self, projection: Projection) -> list[str]:
        """The case streams, and the record topics the projection reads (keys, staff) first."""
        return list(projection.record_handlers) + (self.cases_topics() if projection.reads_cases else [])

    def staff_topics(self) -> list[str]:
        return [staff_topic(self.settings.topic_prefix, r.id) for r in self.regions]

    def dead_letter_for(self, topic: str) -> str:
        region = topic.removeprefix(f"{self.settings.topic_prefix}.").split(".")[0]
        return dead_letter_topic(self.settings.topic_prefix, region)

    async def open_pool(self, own_migrations: Plan, projection: Projection | None = None) -> asyncpg.Pool:
        """The pool; its schemas migrated (development, tests) or checked to be (production)."""
        s = self.settings
        schemas = [self.projection_schema, s.db_schema] if projection else [s.db_schema]
        self.pool = await create_pool(s.database_url, schemas, max_size=s.db_pool_max, timeout=s.db_timeout_s,
                                      work_mem=s.db_work_mem or None, create_schemas=s.migrates_on_start)
        for schema, plan in [(s.db_schema, own_migrations),
                             (self.projection_schema, projection.migrations if projection else [])]:
            if plan and s.migrates_on_start:
                await migrate(self.pool, schema, plan, app_role=s.database_app_role or None)
            elif plan:
                await check_migrated(self.pool, schema, plan)
        return self.pool

    async def ensure_topics(self) -> None:
        s = self.settings
        if s.environment == "production" and s.kafka_security_protocol == "PLAINTEXT":
            # Allowed (a cluster may keep its own network), but anyone who reaches the broker reads the stream.
            log.warning("kafka.plaintext_in_production")
        if not s.kafka_create_topics:
            return  # the topics are the operator's (Strimzi's KafkaTopic): a user under ACLs may not create them
        topics = [t for r in self.regions for t in region_topics(s.topic_prefix, r.id, s.topic_partitions,
                                                                  s.topic_replication)]
        await ensure_topics(s.kafka_bootstrap, topics, security=s.kafka_security)

    async def ensure_topics_forever(self, then_consume: Projection | None = None) -> None:
        """Create the region topics, waiting for the broker as long as it takes, then start consuming."""
        while True:
            try:
                await self.ensure_topics()
                break
            except Exception as exc:
                log.warning("topics.not_created_yet", error=type(exc).__name__)
                await asyncio.sleep(2.0)
        if then_consume is not None:
            # A producing service stays ready without Kafka: accepting is what it is for.
            self.start_consumer(then_consume, self.projection_topics(then_consume), kafka_required=False)

    def start_relay(self) -> OutboxRelay:
        assert self.pool is not None
        self.relay = OutboxRelay(self.pool, self.settings.kafka_bootstrap, name=self.settings.service,
                                 security=self.settings.kafka_security)
        self.spawn(self.relay.run(), "relay")
        return self.relay

    def start_consumer(self, projection: Projection, topics: list[str], *, kafka_required: bool = True
                       ) -> ProjectionConsumer:
        """Consume ``topics``; ``kafka_required`` makes readiness fail while Kafka is away."""
        assert self.pool is not None
        self.kafka_required = kafka_required
        self.consumer = ProjectionConsumer(
            pool=self.pool, bootstrap=self.settings.kafka_bootstrap, group_id=self.settings.group_id,
            topics=topics, projection=projection, dead_letter_topic=self.dead_letter_for,
            window=DedupWindow(offsets=self.settings.dedup_window_offsets), security=self.settings.kafka_security,
            instance_id=self.settings.group_instance_id)
        self.spawn(self.consumer.run(), "consumer")
        return self.consumer

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=f"{self.settings.service}-{name}")
        task.add_done_callback(self._task_ended)
        self._tasks.append(task)

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("service.task_died", task=task.get_name(), error=type(task.exception()).__name__)

    async def close(self) -> None:
        """Stop the background tasks and the pool in bounded time: a task stuck in a client's stop, or a
        connection never given back, must not keep the service from ending (an orchestrator would kill it
        anyway, without the pool's goodbye)."""
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT_S)
            for task in stuck:
                log.warning("runtime.task_did_not_stop", task=task.get_name())
        self._tasks.clear()
        if self.pool is not None:
            pool, self.pool = self.pool, None
            try:
                await asyncio.wait_for(pool.close(), STOP_TIMEOUT_S)
            except TimeoutError:
                log.warning("runtime.pool_close_abandoned")
                pool.terminate()

    async def _kafka_ok(self) -> bool:
        checked_at, ok = self._kafka_seen
        if time.monotonic() - checked_at > 2.0:
            ok = await kafka_reachable(self.settings.kafka_bootstrap, security=self.settings.kafka_security)
            self._kafka_seen = (time.monotonic(), ok)
        return ok

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Postgres must answer; Kafka must too where the service consumes (intake keeps accepting)."""
        body: dict[str, Any] = {"service": self.settings.service}
        db_ok = False
        if self.pool is not None:
            try:
                await asyncio.wait_for(self.pool.fetchval("SELECT 1"), 2.0)
                db_ok = True
            except DB_ERRORS:
                db_ok = False
        kafka_ok = await self._kafka_ok()
        body["postgres"] = "up" if db_ok else "down"
        body["kafka"] = "up" if kafka_ok else "down"
        if self.relay is not None and db_ok:
            body["outbox"] = {"depth": await self.relay.depth(), "published": self.relay.published,
                              "last_error": self.relay.last_error}
        if self.consumer is not None:
            body["consumer"] = self.consumer.status()
            if db_ok and kafka_ok:
                try:
                    lag = await asyncio.wait_for(self.consumer.lag(), 3.0)
                    body["consumer"]["lag"] = sum(lag.values())
                    body["consumer"]["lag_by_partition"] = lag
                except Exception as exc:
                    body["consumer"]["lag_error"] = type(exc).__name__
        ready = db_ok and (kafka_ok or not self.kafka_required)
        body["status"] = "ready" if ready else "not_ready"
        return ready, body


def health_router(runtime: ServiceRuntime[Any]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "alive", "service": runtime.settings.service}

    @router.get("/metrics", summary="Prometheus metrics: requests, consumer lag, outbox depth and the service's own",
                response_class=PlainTextResponse,
                responses={401: {"description": "no metrics token, or a wrong one (`Authorization: Bearer …`)",
                                 # The error is JSON like every other, though the metrics are text.
                                 "content": {"application/json": {"schema": ERROR_SCHEMA}}}})
    async def metrics(request: Request) -> Response:
        # Counts such as requests submitted per minute say when a family wrote: for Prometheus only.
        require_bearer(request, runtime.settings.metrics_token, runtime.settings.environment, "/metrics")
        await runtime.metrics.refresh()
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @router.get("/readyz", summary="Postgres and Kafka reachable; consumer lag and outbox depth",
                responses={503: {"description": "a part the service needs does not answer"}})
    async def readyz() -> JSONResponse:
        ready, body = await runtime.readiness()
        return JSONResponse(status_code=200 if ready else 503, content=body,
                            headers=None if ready else {"Retry-After": "5"})

    return router
