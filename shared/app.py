"""One application factory for the services, and the typed dependencies their routes are given.

The dependencies are the edge between HTTP and the use cases: a route names what it needs (a connection,
a unit of work, the service's runtime, the signed-in staff member) and gets it typed, with the failures
already turned into the answers every service gives (503 with Retry-After, 401, a redirect to sign in).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.telemetry import TelemetryConfig
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from shared.applier import Projection
from shared.db import Conn
from shared.docs import install_docs
from shared.http import BodyLimit, RedirectTo, SecurityHeaders, install_error_handlers
from shared.metrics import HttpMetrics
from shared.migrations import Plan
from shared.regions import Regions
from shared.runtime import ServiceRuntime, health_router
from shared.settings import ServiceSettings
from shared.tracing import TraceRequests
from shared.version import version

S = TypeVar("S", bound=ServiceSettings)
# FastAPI's own OpenTelemetry spans and logs follow the global provider shared.tracing sets: off, since they
# record the path and the query string (a reference, a searched phone number) and exceptions' messages (what
# a failed validation quotes), and add a span per dependency. shared.tracing.TraceRequests records the route's
# template, the method and the status instead.
NO_FASTAPI_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False,
                                         "operation_spans": False}
T = TypeVar("T")
ProjectionFactory = Callable[[ServiceRuntime[S]], Projection]


def get_runtime(request: Request) -> ServiceRuntime[Any]:
    """The runtime of the app serving this request."""
    runtime: ServiceRuntime[Any] = request.app.state.runtime
    return runtime


def runtime_dependency_for(settings_type: type[S]) -> Callable[[Request], Coroutine[Any, Any, ServiceRuntime[S]]]:
    """A dependency giving the runtime typed with the service's own settings (``settings_type`` names them).

    ``async`` so that FastAPI does not hand it to a worker thread.
    """
    async def dependency(request: Request) -> ServiceRuntime[S]:
        runtime: ServiceRuntime[S] = request.app.state.runtime  # the app was made with these settings
        return runtime
    return dependency


RuntimeDep = Annotated[ServiceRuntime[ServiceSettings], Depends(runtime_dependency_for(ServiceSettings))]


class UnitOfWork:
    """A connection whose transactions, once committed, wake the outbox relay to publish what they wrote.

    The wake comes only after the commit: a relay woken earlier would find nothing new and sleep again.
    """

    def __init__(self, conn: Conn, wake: Callable[[], None] | None = None) -> None:
        self.conn = conn
        self._wake = wake

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        """One transaction; the relay is woken once it has committed (not when it rolled back)."""
        async with self.conn.transaction():
            yield self.conn
        self.committed()

    def committed(self) -> None:
        """Wake the relay for a write that was one statement, committed by itself outside :meth:`transaction`.

        Such a write costs one round trip; a transaction around it would add two (BEGIN and COMMIT).
        """
        if self._wake is not None:
            self._wake()


def relay_waker(runtime: ServiceRuntime[Any]) -> Callable[[], None]:
    """Wakes the runtime's relay, if it runs one (it is started after the pool, so looked up when called)."""
    def wake() -> None:
        if runtime.relay is not None:
            runtime.relay.wake()
    return wake


@asynccontextmanager
async def unit_of_work(runtime: ServiceRuntime[Any]) -> AsyncIterator[UnitOfWork]:
    """A unit of work outside a request (a scheduler, a command line): a connection of the runtime's pool."""
    async with runtime.db().acquire() as conn:
        yield UnitOfWork(conn, relay_waker(runtime))


async def connection(request: Request) -> AsyncIterator[Conn]:
    """A pooled connection for one route call; 503 with Retry-After when the pool or the database is away.

    The connection goes back when the route returns (``scope="function"`` below), before the answer is
    sent: a streamed answer never holds one.
    """
    async with get_runtime(request).db().acquire() as conn:
        yield conn


async def _unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    async with unit_of_work(get_runtime(request)) as uow:
        yield uow


ConnDep = Annotated[Conn, Depends(connection, scope="function")]
UnitOfWorkDep = Annotated[UnitOfWork, Depends(_unit_of_work, scope="function")]


class SignedIn(Generic[T]):
    """The staff member behind a service's session cookie: optional, required by the API, required by a page.

    ``lookup`` finds the session of a cookie's token (``None`` for none, an expired one or a disabled
    account); ``not_signed_in`` is the API's error (401); a page instead redirects to ``sign_in_at``.
    """

    def __init__(self, *, cookie: str, lookup: Callable[[Conn, str | None], Awaitable[T | None]],
                 not_signed_in: Callable[[Request], Exception], sign_in_at: Callable[[Request], str]) -> None:
        self.cookie = cookie
        self.lookup = lookup
        self.not_signed_in = not_signed_in
        self.sign_in_at = sign_in_at

    async def optional(self, request: Request) -> T | None:
        """The session, or ``None``; reads the database only when there is a cookie."""
        token = request.cookies.get(self.cookie)
        if not token:
            return None
        async with get_runtime(request).db().acquire() as conn:
            return await self.lookup(conn, token)

    async def api(self, request: Request) -> T:
        """For the JSON API: the error of ``not_signed_in`` without a session."""
        session = await self.optional(request)
        if session is None:
            raise self.not_signed_in(request)
        return session

    def page(self, allowed: Callable[[T], bool] = lambda _: True, elsewhere: str = "/"
             ) -> Callable[[Request], Coroutine[Any, Any, T]]:
        """A page's dependency: sign in first; a role the page is not for goes to ``elsewhere``."""
        async def dependency(request: Request) -> T:
            session = await self.optional(request)
            if session is None:
                raise RedirectTo(self.sign_in_at(request))
            if not allowed(session):
                raise RedirectTo(elsewhere)
            return session
        return dependency


def create_service_app(
    settings: S,
    *,
    title: str,
    description: str,
    routers: list[APIRouter],
    own_migrations: Plan | None = None,
    projection: ProjectionFactory[S] | None = None,
    relay: bool = False,
    accept_without_kafka: bool = False,
    on_start: Callable[[ServiceRuntime[S]], Awaitable[None]] | None = None,
    on_stop: Callable[[ServiceRuntime[S]], Awaitable[None]] | None = None,
    max_body_bytes: int = 64 * 1024,
    regions: Regions | None = None,
    form_targets: tuple[str, ...] = (),
) -> FastAPI:
    """The app with its lifespan; ``accept_without_kafka`` keeps a producing service ready while Kafka is away;
    ``on_start`` runs once the pool is open, ``on_stop`` before the background tasks and the pool close."""
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
            try:
                if on_stop is not None:
                    await on_stop(runtime)
            finally:
                await runtime.close()

    # /docs is shared.docs's: FastAPI's own loads Swagger UI from a CDN, which the policy blocks.
    app = FastAPI(title=title, description=description, version=version(), lifespan=lifespan, docs_url=None,
                  redoc_url=None, telemetry=NO_FASTAPI_TELEMETRY)
    app.state.runtime = runtime
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(SecurityHeaders, form_targets=form_targets)
    app.add_middleware(HttpMetrics, metrics=runtime.metrics)
    # Outside the others, so a request's span and its logged trace id cover what they do and answer.
    app.add_middleware(TraceRequests, service=settings.service)
    # Outermost, so every layer inside sees the client and scheme the trusted proxies name (uvicorn's own
    # proxy handling is switched off in shared.cli: this list is the only one).
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    install_error_handlers(app)
    install_docs(app)
    app.include_router(health_router(runtime))
    for router in routers:
        app.include_router(router)
    return app
