"""Prometheus metrics at ``/metrics``: what every service exports, and what a service adds of its own.

Each app has a registry of its own (never prometheus_client's global one: no state at import time).
HTTP requests are counted by a middleware under their route's template (``/api/v1/cases/{case_id}``,
never the path itself, which can hold a case id or a reference); everything else is read when
Prometheus scrapes: the consumer's lag and what it applied, the outbox's depth, and whatever the
service registers with :meth:`Metrics.gauge_source` and :meth:`Metrics.counter_source` (routing: the
open cases at risk of missing their promised day; notify: messages sent, failed and waiting). No
label ever carries personal data: routes, methods, statuses, regions, topics.

What is read of the service is described here (:class:`Observed`), not imported: the runtime that
holds these metrics is one, and this module stays below it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, Protocol, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.version import register_build_info


class ConsumerFigures(Protocol):
    """What is read of a projection consumer: its status and its lag per partition."""

    def status(self) -> dict[str, Any]: ...
    async def lag(self) -> dict[str, int]: ...


class RelayFigures(Protocol):
    """What is read of an outbox relay: records published, and the outbox's depth."""

    @property
    def published(self) -> int: ...
    async def depth(self) -> int: ...


class Named(Protocol):
    @property
    def service(self) -> str: ...


class Observed(Protocol):
    """A service's runtime as metrics see it: its name, and its consumer and relay if it has them."""

    @property
    def settings(self) -> Named: ...
    @property
    def consumer(self) -> ConsumerFigures | None: ...
    @property
    def relay(self) -> RelayFigures | None: ...


R = TypeVar("R", bound=Observed)
# A service's own figures, read at scrape time from its runtime: {label values: value}.
GaugeSource = Callable[[R], Awaitable[dict[tuple[str, ...], float]]]
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Figures(Collector):
    """The consumer's and relay's counters as they stand, and the figures read for this scrape."""

    def __init__(self, metrics: Metrics[Any]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        runtime = self.metrics.runtime
        service = runtime.settings.service
        if runtime.consumer is not None:
            status = runtime.consumer.status()
            for name, key, text in (("applied", "applied", "events applied to the projection"),
                                    ("dead_lettered", "dead_lettered", "records sent to the dead-letter topic"),
                                    ("restarts", "stalls_restarted", "times the stall watchdog restarted it")):
                family = CounterMetricFamily(f"apua_consumer_{name}", f"Consumer: {text}", labels=["service"])
                family.add_metric([service], float(status[key]))
                yield family
            running = GaugeMetricFamily("apua_consumer_partitions", "Consumer: partitions assigned to this instance",
                                        labels=["service"])
            running.add_metric([service], float(status["partitions"]))
            yield running
        if runtime.relay is not None:
            published = CounterMetricFamily("apua_outbox_published", "Outbox: records published to Kafka",
                                            labels=["service"])
            published.add_metric([service], float(runtime.relay.published))
            yield published
        for name, text, read in self.metrics.counters:
            family = CounterMetricFamily(name, text, labels=["service"])
            family.add_metric([service], read())
            yield family
        yield from self.metrics.scraped


def add_standard_collectors(registry: CollectorRegistry) -> None:
    """prometheus-client's process, garbage-collector and platform metrics, which its global registry has and
    a registry of our own lacks: memory, CPU, open files and start time (a restart shows as a new
    ``process_start_time_seconds``), collections per generation, the Python version. The dashboards and
    alerts (deploy/k8s/components/monitoring) read them beside the project's own."""
    ProcessCollector(registry=registry)
    GCCollector(registry=registry)
    PlatformCollector(registry=registry)


class Metrics(Generic[R]):
    """The registry of one app and the figures it exports, read from ``runtime``."""

    def __init__(self, runtime: R) -> None:
        self.runtime = runtime
        self.registry = CollectorRegistry()
        self.requests = Counter("apua_http_requests", "HTTP requests answered", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("apua_http_request_duration_seconds", "Time to answer an HTTP request",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.lag = Gauge("apua_consumer_lag", "Records on the topic not yet applied, per partition",
                         ["topic", "partition"], registry=self.registry)
        self.outbox_depth = Gauge("apua_outbox_depth", "Records in the outbox waiting for Kafka",
                                  registry=self.registry)
        self.scraped: list[Metric] = []
        self.counters: list[tuple[str, str, Callable[[], float]]] = []
        self._sources: list[tuple[str, str, tuple[str, ...], GaugeSource[R]]] = []
        self.registry.register(_Figures(self))
        register_build_info(self.registry, runtime.settings.service)
        add_standard_collectors(self.registry)

    def gauge_source(self, name: str, text: str, labels: tuple[str, ...], source: GaugeSource[R]) -> None:
        """A gauge whose values ``source`` reads when Prometheus scrapes."""
        self._sources.append((name, text, labels, source))

    def counter_source(self, name: str, text: str, read: Callable[[], float]) -> None:
        """A counter the service keeps itself (an attribute), read when Prometheus scrapes."""
        self.counters.append((name, text, read))

    async def refresh(self) -> None:
        """Read what is read at scrape time; a part that does not answer leaves its figures out."""
        runtime = self.runtime
        if runtime.consumer is not None:
            self.lag.clear()
            try:
                for key, records in (await runtime.consumer.lag()).items():
                    topic, _, partition = key.rpartition(":")
                    self.lag.labels(topic, partition).set(records)
            except Exception:  # Kafka or PostgreSQL away: /readyz says so; no lag to show
                pass
        if runtime.relay is not None:
            try:
                self.outbox_depth.set(await runtime.relay.depth())
            except Exception:  # the database is away
                pass
        scraped: list[Metric] = []
        for name, text, labels, source in self._sources:
            try:
                values = await source(runtime)
            except Exception:  # the database is away: this figure is left out of this scrape
                continue
            family = GaugeMetricFamily(name, text, labels=list(labels))
            for label_values, value in values.items():
                family.add_metric(list(label_values), value)
            scraped.append(family)
        self.scraped = scraped


class HttpMetrics:
    """Counts every answer under its route's template, and times it."""

    def __init__(self, app: ASGIApp, metrics: Metrics[Any]) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = route.path if isinstance(route, BaseRoute) and hasattr(route, "path") else "unmatched"
            method = scope.get("method", "")
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)
