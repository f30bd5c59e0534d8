"""W3C trace context from the family's POST through the outbox, Kafka and every consumer, with OpenTelemetry.

Three places carry a trace: an HTTP request (:class:`TraceRequests` continues an incoming ``traceparent`` or
starts a trace), an outbox row (:func:`outgoing` is stored with the row and the relay puts it in the record's
headers) and a consumed record (:func:`applying` continues the producer's trace). Wherever a span is current
its ``trace_id`` and ``span_id`` are bound in structlog's context, so every log line of that work names it.

Export is OpenTelemetry's, switched on by its own environment variables (:func:`tracer_provider`); without
them no exporter runs and a span costs only its ids. Spans carry ids, routes, topics and event types: never
a query string, a client address, a header's value or an exception's message, which may quote what someone
typed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import structlog
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)
TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
TRACE_HEADERS = (TRACEPARENT, TRACESTATE)
PROPAGATOR = TraceContextTextMapPropagator()
# A proxy tracer: it follows whatever provider configure_tracing sets, and is a no-op until then.
TRACER = trace.get_tracer("pyyda-apua")
_IDS = RandomIdGenerator()
# Probes and scrapes every few seconds would bury the family's requests among their spans.
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

# The trace context of the record being applied, as its producer sent it: a projection that keeps work for
# later (notify's due messages) stores this, which a rebuild finds again, rather than the apply span's own ids.
_RECORD_TRACE: ContextVar[tuple[str | None, str | None]] = ContextVar("record_trace", default=(None, None))


class TracingConfigError(ValueError):
    """An OTEL_* variable asks for what this service cannot do (an unknown exporter, OTLP over gRPC)."""


def _exporters(environ: Mapping[str, str]) -> list[SpanExporter]:
    """The exporters OTEL_TRACES_EXPORTER names; unset, OTLP only when an OTLP endpoint is set, else none."""
    names = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not names:
        endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        names = "otlp" if endpoint else "none"
    exporters: list[SpanExporter] = []
    for name in (n.strip() for n in names.split(",")):
        if name == "none":
            continue
        if name == "console":
            exporters.append(ConsoleSpanExporter())
        elif name == "otlp":
            protocol = (environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                        or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf")
            if protocol != "http/protobuf":
                raise TracingConfigError(f"OTLP protocol {protocol!r}: only http/protobuf is installed")
            # Imported here: the exporter pulls in protobuf, which a service exporting nothing never needs.
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporters.append(OTLPSpanExporter())  # reads OTEL_EXPORTER_OTLP_* itself
        else:
            raise TracingConfigError(f"OTEL_TRACES_EXPORTER {name!r}: use otlp, console or none")
    return exporters


def tracer_provider(service: str, environ: Mapping[str, str] | None = None) -> TracerProvider | None:
    """The SDK provider the OTEL_* variables describe; None when OTEL_SDK_DISABLED is true (no trace at all)."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the service's own name, as the standard says.
    attributes: dict[str, str] = {"service.name": env.get("OTEL_SERVICE_NAME") or service}
    resource = Resource.create(attributes)
    # The sampler comes from OTEL_TRACES_SAMPLER (parent-based, always on by default): ids are made even when
    # nothing is exported, so that the logs of one request share one trace id.
    provider = TracerProvider(resource=resource)
    for exporter in _exporters(env):
        provider.add_span_processor(BatchSpanProcessor(exporter))  # OTEL_BSP_* tune it
    return provider


def configure_tracing(service: str, environ: Mapping[str, str] | None = None) -> TracerProvider | None:
    """Set the process's tracer provider once (OpenTelemetry allows one); a second call keeps the first."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = tracer_provider(service, environ)
    if provider is not None:
        trace.set_tracer_provider(provider)
    return provider


def exporting(provider: object) -> bool:
    """Whether spans of ``provider`` go anywhere: an SDK provider with a span processor (an exporter's)."""
    if not isinstance(provider, TracerProvider):
        return False
    # The SDK names its processors nowhere public; they are added at start (and by the tests), never removed.
    return bool(provider._active_span_processor._span_processors)  # noqa: SLF001


def start_span(name: str, parent: otel_context.Context, kind: SpanKind, attributes: Mapping[str, Any],
               provider: object = None) -> Span:
    """A span continuing ``parent`` (or a new trace): the SDK's when it is exported, else ids alone.

    With nothing to export, the SDK's span would still clean its attributes, take its locks and note its
    times for nobody (some 30 µs a span on the development machine, per request and per applied event); a
    span of ids alone costs the two random numbers the logs and the next ``traceparent`` need. With the SDK
    disabled (no provider), OpenTelemetry's no-op passes the caller's context on unchanged. ``provider``: the
    process's unless given.
    """
    provider = provider or trace.get_tracer_provider()
    if exporting(provider) or not isinstance(provider, TracerProvider):
        return TRACER.start_span(name, context=parent, kind=kind, attributes=attributes, record_exception=False,
                                 set_status_on_exception=False)
    caller = trace.get_current_span(parent).get_span_context()
    span_id = _IDS.generate_span_id()
    if caller.is_valid:
        return NonRecordingSpan(SpanContext(caller.trace_id, span_id, is_remote=False,
                                            trace_flags=caller.trace_flags, trace_state=caller.trace_state))
    return NonRecordingSpan(SpanContext(_IDS.generate_trace_id(), span_id, is_remote=False,
                                        trace_flags=TraceFlags(TraceFlags.SAMPLED)))


def ids(span: Span) -> dict[str, str]:
    """The span's trace and span ids as log fields (hex, as in ``traceparent``); none for an invalid span."""
    context = span.get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": format(context.trace_id, "032x"), "span_id": format(context.span_id, "016x")}


@contextmanager
def logged(span: Span, **fields: str) -> Iterator[Span]:
    """Bind the span's ids (and ``fields``) in structlog's context while the block runs."""
    with structlog.contextvars.bound_contextvars(**ids(span), **fields):
        yield span


def parent_from(headers: Mapping[str, str]) -> otel_context.Context:
    """The context a ``traceparent`` (and ``tracestate``) continues; an empty one when missing or malformed."""
    carrier = {name: headers[name] for name in TRACE_HEADERS if name in headers}
    # The propagator checks the shape (version, lower-case hex, no all-zero id) and ignores what fails it.
    return PROPAGATOR.extract(carrier, context=otel_context.Context())


def record_headers(headers: Sequence[tuple[str, bytes]]) -> dict[str, str]:
    """A Kafka record's trace headers as text; the other headers are left out."""
    return {name: value.decode("latin-1") for name, value in headers if name in TRACE_HEADERS and value}


def outgoing() -> tuple[str | None, str | None]:
    """The ``traceparent`` and ``tracestate`` a row written now carries: the current span's, or a new trace's.

    A row written outside any span (a scheduler, a command line) starts a trace of its own, so every record
    on a topic carries one; with OpenTelemetry disabled there is none, and the row carries nothing.
    """
    if not trace.get_current_span().get_span_context().is_valid:
        with trace.use_span(start_span("outbox.enqueue", otel_context.Context(), SpanKind.PRODUCER, {}),
                            end_on_exit=True):
            return _injected()
    return _injected()


def _injected() -> tuple[str | None, str | None]:
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier.get(TRACEPARENT), carrier.get(TRACESTATE)


def kafka_headers(traceparent: str | None, tracestate: str | None) -> list[tuple[str, bytes]]:
    """The trace headers of a record the relay sends, from what was stored with its row."""
    headers = [(TRACEPARENT, traceparent.encode())] if traceparent else []
    if traceparent and tracestate:
        headers.append((TRACESTATE, tracestate.encode()))
    return headers


def record_trace() -> tuple[str | None, str | None]:
    """The producer's ``traceparent`` and ``tracestate`` of the record being applied (None outside one)."""
    return _RECORD_TRACE.get()


@dataclass(frozen=True)
class Applying:
    """One record a consumer applies: where it stood, its headers, and the ids its log line names."""

    headers: Sequence[tuple[str, bytes]]
    topic: str
    partition: int
    offset: int
    event_type: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)


def _consumer_span(item: Applying, service: str) -> Span:
    attributes: dict[str, Any] = {"messaging.system": "kafka", "messaging.destination.name": item.topic,
                                  "messaging.destination.partition.id": str(item.partition),
                                  "messaging.kafka.offset": item.offset, "messaging.operation.type": "process",
                                  "apua.service": service}
    if item.event_type is not None:
        attributes["apua.event_type"] = item.event_type
    parent = parent_from(record_headers(item.headers))
    return start_span(f"apply {item.event_type or item.topic}", parent, SpanKind.CONSUMER, attributes)


@contextmanager
def applying(item: Applying, *, service: str, traced: bool = True) -> Iterator[None]:
    """Apply one record inside a span continuing its producer's trace (``traced=False``: a rebuild, no span)."""
    carried = record_headers(item.headers)
    token = _RECORD_TRACE.set((carried.get(TRACEPARENT), carried.get(TRACESTATE)))
    try:
        if not traced:
            yield
            return
        span = _consumer_span(item, service)
        with trace.use_span(span, end_on_exit=True, record_exception=False, set_status_on_exception=False), \
                logged(span, service=service):
            try:
                yield
            except BaseException as exc:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise
            log.debug("consumer.applied", **item.fields)
    finally:
        _RECORD_TRACE.reset(token)


@contextmanager
def applying_together(items: Sequence[Applying], *, service: str, traced: bool = True) -> Iterator[None]:
    """A batch handler's events applied at once: a span each, continuing each producer's trace.

    A lone event's span is current while the handler runs, so what it logs or writes names that trace; several
    events' spans are not (no line of the batch belongs to one of them alone), and each gets its own log line.
    """
    if len(items) == 1 or not traced:
        with applying(items[0], service=service, traced=traced):
            yield
        return
    spans = [_consumer_span(item, service) for item in items]
    try:
        yield
    except BaseException as exc:
        for span in spans:
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        raise
    finally:
        for span in spans:
            span.end()
    if log.is_enabled_for(logging.DEBUG):  # binding each event's ids only for lines that are written
        for span, item in zip(spans, items, strict=True):
            with logged(span, service=service):
                log.debug("consumer.applied", **item.fields)


@contextmanager
def continued(name: str, traceparent: str | None, tracestate: str | None, *, service: str,
              **attributes: str) -> Iterator[Span]:
    """Work a stored trace context asked for (a due notification): a span continuing it, its ids in the logs."""
    carrier = {k: v for k, v in ((TRACEPARENT, traceparent), (TRACESTATE, tracestate)) if v}
    with _span(name, parent_from(carrier), SpanKind.INTERNAL, {"apua.service": service, **attributes}) as span, \
            logged(span, service=service):
        yield span


@contextmanager
def _span(name: str, parent: otel_context.Context, kind: SpanKind, attributes: dict[str, Any]) -> Iterator[Span]:
    # Not OpenTelemetry's own recording of exceptions: their messages may quote what someone wrote.
    span = start_span(name, parent, kind, attributes)
    with trace.use_span(span, end_on_exit=True, record_exception=False, set_status_on_exception=False):
        try:
            yield span
        except BaseException as exc:
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise


class TraceRequests:
    """ASGI middleware: each HTTP request in a server span continuing its ``traceparent``, or a new trace.

    Rather than opentelemetry-instrumentation-asgi: that records the full URL (a search's phone number is a
    query string), the client's address and, on request, headers; here the span carries the method, the
    route's template and the status only, and binds the ids to the logs, in some forty lines.
    """

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNTRACED_PATHS:
            await self.app(scope, receive, send)
            return
        carried = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
                   if name in (b"traceparent", b"tracestate")}
        method = scope["method"]
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        attributes = {"http.request.method": method, "apua.service": self.service}
        with _span(method, parent_from(carried), SpanKind.SERVER, attributes) as span, \
                logged(span, service=self.service):
            try:
                await self.app(scope, receive, send_status)
            finally:
                route = scope.get("route")
                template = getattr(route, "path", None)
                if template:  # the template (/api/v1/cases/{case_id}), never the path a person typed
                    span.update_name(f"{method} {template}")
                    span.set_attribute("http.route", template)
                if status:
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
