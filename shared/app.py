"""One application factory for the services: pool, topics, relay, consumer, health, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request

from shared.applier import Projection
from shared.http import BodyLimit, SecurityHeaders, install_error_handlers
from shared.metrics import HttpMetrics
from shared.regions import Regions
from shared.runtime import ServiceRuntime, health_router
from shared.settings import ServiceSettings

ProjectionFactory = Callable[[ServiceRuntime], Projection]


def get_runtime(request: Request) -> ServiceRuntime:
    """The runtime of the app serving this request."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


async def runtime_dependency(request: Request) -> ServiceRuntime:
    """The same as a FastAPI dependency; ``async`` so that FastAPI does not hand it to a worker thread."""
    return get_runtime(request)


RuntimeDep = Annotated[ServiceRuntime, Depends(runtime_dependency)]


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: list[APIRouter],
    own_migrations: list[str] | None = None,
    projection: ProjectionFactory | None = None,
    relay: bool = False,
    accept_without_kafka: bool = False,
    on_start: Callable[[ServiceRuntime], Awaitable[None]] | None = None,
    max_body_bytes: int = 64 * 1024,
    regions: Regions | None = None,
    form_targets: tuple[str, ...] = (),
) -> FastAPI:
    """The app with its lifespan; ``accept_without_kafka`` keeps a producing service ready while Kafka is away."""
    runtime = ServiceRuntime(settings, regions)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        proj = projection(runtime) if projection is not None else None
        await runtime.open_pool(own_migrations or [], proj)
        try:
            if on_start is not None:
                await on_start(runtime)
            if accept_without_kafka:
                # Kafka may be away: the service still accepts, its relay delivers later.
                runtime.spawn(runtime.ensure_topics_forever(then_consume=proj), "topics")
            elif proj is not None:
                await runtime.ensure_topics()
                runtime.start_consumer(proj, runtime.projection_topics(proj))
            if relay:
                runtime.start_relay()
            yield
        finally:
            await runtime.close()

    app = FastAPI(title=title, description=description, version="1", lifespan=lifespan)
    app.state.runtime = runtime
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(SecurityHeaders, form_targets=form_targets)
    app.add_middleware(HttpMetrics, metrics=runtime.metrics)
    install_error_handlers(app)
    app.include_router(health_router(runtime))
    for router in routers:
        app.include_router(router)
    return app
