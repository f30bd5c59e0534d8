"""Trace context: what OTEL_* switches on, how a traceparent is read, carried through a row and a record, and
continued by a consumer and an HTTP request, with its ids in the log lines and nothing personal in a span."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import structlog
from fastapi import FastAPI
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from structlog.testing import capture_logs

from services.intake.app import create_app as intake_app
from services.intake.settings import IntakeSettings
from shared.app import NO_FASTAPI_TELEMETRY
from shared.outbox import enqueue
from shared.tracing import (
    Applying,
    TraceRequests,
    TracingConfigError,
    applying,
    applying_together,
    configure_tracing,
    continued,
    kafka_headers,
    outgoing,
    parent_from,
    record_headers,
    record_trace,
    start_span,
    tracer_provider,
)

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE}-{PARENT}-01"
MERGED = [structlog.contextvars.merge_contextvars]


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """The process's provider (set once, as a service sets it) with an exporter that keeps what ends."""
    provider = configure_tracing("test", environ={})
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


@pytest.fixture(autouse=True)
def fresh(spans: InMemorySpanExporter) -> None:
    spans.clear()
    structlog.contextvars.clear_contextvars()


def processors(provider: TracerProvider) -> list[object]:
    return list(provider._active_span_processor._span_processors)  # noqa: SLF001 - the SDK lists them nowhere else


def test_without_otel_variables_ids_are_made_and_nothing_is_exported() -> None:
    provider = tracer_provider("intake", {})
    assert provider is not None and processors(provider) == []
    assert provider.resource.attributes["service.name"] == "intake"


def test_an_otlp_endpoint_switches_the_http_exporter_on_and_the_service_name_is_the_standard_one() -> None:
    provider = tracer_provider("intake", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
                                          "OTEL_SERVICE_NAME": "apua-intake"})
    assert provider is not None
    (processor,) = processors(provider)
    assert isinstance(processor, BatchSpanProcessor)
    assert isinstance(processor._batch_processor._exporter, OTLPSpanExporter)  # noqa: SLF001
    assert provider.resource.attributes["service.name"] == "apua-intake"
    provider.shutdown()


@pytest.mark.parametrize(("environ", "exported"), [
    ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, []),
    ({"OTEL_TRACES_EXPORTER": "console"}, [ConsoleSpanExporter]),
    ({"OTEL_TRACES_EXPORTER": "otlp,console"}, [OTLPSpanExporter, ConsoleSpanExporter]),
])
def test_otel_traces_exporter_names_the_exporters(environ: dict[str, str], exported: list[type]) -> None:
    provider = tracer_provider("routing", environ)
    assert provider is not None
    assert [type(p._batch_processor._exporter) for p in processors(provider)] == exported  # noqa: SLF001
    provider.shutdown()


def test_otel_sdk_disabled_means_no_provider() -> None:
    assert tracer_provider("notify", {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}) is None


@pytest.mark.parametrize("environ", [{"OTEL_TRACES_EXPORTER": "jaeger"},
                                     {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}])
def test_what_cannot_be_exported_is_refused_at_start(environ: dict[str, str]) -> None:
    with pytest.raises(TracingConfigError):
        tracer_provider("reporting", environ)


@pytest.mark.parametrize("traceparent", [
    "", "00-0000000000000000000000000000000-00f067aa0ba902b7-01", f"00-{TRACE.upper()}-{PARENT}-01",
    f"00-{'0' * 32}-{PARENT}-01", f"00-{TRACE}-{'0' * 16}-01", "not a traceparent",
])
def test_a_malformed_traceparent_continues_nothing(traceparent: str) -> None:
    context = trace.get_current_span(parent_from({"traceparent": traceparent})).get_span_context()
    assert not context.is_valid


def test_a_traceparent_and_its_tracestate_are_read() -> None:
    context = trace.get_current_span(parent_from({"traceparent": TRACEPARENT, "tracestate": "k=v"})
                                     ).get_span_context()
    assert (format(context.trace_id, "032x"), format(context.span_id, "016x")) == (TRACE, PARENT)
    assert context.trace_state.get("k") == "v"


def test_a_row_written_in_a_span_carries_that_span_and_its_tracestate() -> None:
    with continued("work", TRACEPARENT, "k=v", service="routing") as span:
        traceparent, tracestate = outgoing()
    own = format(span.get_span_context().span_id, "016x")
    assert traceparent == f"00-{TRACE}-{own}-01" and own != PARENT
    assert tracestate == "k=v"


def test_a_row_written_outside_any_span_starts_a_trace_of_its_own(spans: InMemorySpanExporter) -> None:
    first, _ = outgoing()
    second, _ = outgoing()
    assert first and second and first.split("-")[1] != second.split("-")[1]
    assert [s.name for s in spans.get_finished_spans()] == ["outbox.enqueue", "outbox.enqueue"]


def test_kafka_headers_carry_the_stored_context_and_are_read_back() -> None:
    headers = kafka_headers(TRACEPARENT, "k=v")
    assert headers == [("traceparent", TRACEPARENT.encode()), ("tracestate", b"k=v")]
    assert kafka_headers(None, "k=v") == [] and kafka_headers(TRACEPARENT, None) == [("traceparent",
                                                                                       TRACEPARENT.encode())]
    assert record_headers([("type", b"request.submitted"), *headers]) == {"traceparent": TRACEPARENT,
                                                                          "tracestate": "k=v"}


def item(traceparent: str = TRACEPARENT, offset: int = 7) -> Applying:
    return Applying([("type", b"request.submitted"), ("traceparent", traceparent.encode())], "apua.t.cases", 2,
                    offset, "request.submitted", {"event_id": f"e{offset}", "case_id": "c"})


def test_a_consumer_applies_in_a_span_continuing_the_producer(spans: InMemorySpanExporter) -> None:
    with capture_logs(MERGED) as logs, applying(item(), service="routing"):
        assert record_trace() == (TRACEPARENT, None)
        structlog.get_logger().info("handler.did")
    assert record_trace() == (None, None)
    (span,) = spans.get_finished_spans()
    assert span.parent is not None and format(span.parent.span_id, "016x") == PARENT
    assert format(span.context.trace_id, "032x") == TRACE
    own = format(span.context.span_id, "016x")
    assert [(line["event"], line["trace_id"], line["span_id"], line["service"]) for line in logs] == [
        ("handler.did", TRACE, own, "routing"), ("consumer.applied", TRACE, own, "routing")]
    assert span.attributes is not None and dict(span.attributes) == {
        "messaging.system": "kafka", "messaging.destination.name": "apua.t.cases",
        "messaging.destination.partition.id": "2", "messaging.kafka.offset": 7, "messaging.operation.type": "process",
        "apua.service": "routing", "apua.event_type": "request.submitted"}


def test_a_rebuild_applies_without_spans_but_keeps_the_producers_context(spans: InMemorySpanExporter) -> None:
    with capture_logs(MERGED) as logs, applying(item(), service="notify", traced=False):
        assert record_trace() == (TRACEPARENT, None)
    assert spans.get_finished_spans() == () and logs == []


def test_a_batch_gives_each_event_a_span_in_its_own_trace(spans: InMemorySpanExporter) -> None:
    other = "0af7651916cd43dd8448eb211c80319c"
    with capture_logs(MERGED) as logs, applying_together([item(offset=1), item(f"00-{other}-{PARENT}-01", 2)],
                                                         service="reporting"):
        assert not trace.get_current_span().get_span_context().is_valid  # no line of the batch is one event's
    assert sorted(format(s.context.trace_id, "032x") for s in spans.get_finished_spans()) == sorted([TRACE, other])
    assert [(line["event_id"], line["trace_id"]) for line in logs] == [("e1", TRACE), ("e2", other)]


def test_a_failing_batch_marks_its_spans(spans: InMemorySpanExporter) -> None:
    with pytest.raises(RuntimeError), applying_together([item(offset=1), item(offset=2)], service="routing"):
        raise RuntimeError("a family's words could be here")
    assert [(s.status.status_code.name, s.status.description) for s in spans.get_finished_spans()] == [
        ("ERROR", "RuntimeError"), ("ERROR", "RuntimeError")]
    assert all(not s.events for s in spans.get_finished_spans())  # no exception event with its message


def traced_app() -> FastAPI:
    app = FastAPI(telemetry=NO_FASTAPI_TELEMETRY)

    @app.get("/api/v1/cases/{case_id}")
    async def case(case_id: str) -> dict[str, str | None]:
        structlog.get_logger().info("case.read")
        return {"traceparent": outgoing()[0]}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    app.add_middleware(TraceRequests, service="routing")
    return app


async def test_an_http_request_continues_its_traceparent(spans: InMemorySpanExporter) -> None:
    transport = httpx.ASGITransport(app=traced_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with capture_logs(MERGED) as logs:
            answer = await client.get("/api/v1/cases/K7M4-2Q9X", params={"q": "+358401234567"},
                                      headers={"traceparent": TRACEPARENT, "tracestate": "k=v"})
    (span,) = spans.get_finished_spans()
    own = format(span.context.span_id, "016x")
    assert answer.json() == {"traceparent": f"00-{TRACE}-{own}-01"}
    assert [(line["trace_id"], line["span_id"]) for line in logs] == [(TRACE, own)]
    assert span.name == "GET /api/v1/cases/{case_id}" and span.kind.name == "SERVER"
    assert span.attributes is not None and dict(span.attributes) == {
        "http.request.method": "GET", "apua.service": "routing", "http.route": "/api/v1/cases/{case_id}",
        "http.response.status_code": 200}
    assert "K7M4" not in str(span.to_json()) and "358401234567" not in str(span.to_json())


async def test_an_http_request_without_one_starts_a_trace_and_probes_are_not_traced(
        spans: InMemorySpanExporter) -> None:
    transport = httpx.ASGITransport(app=traced_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with capture_logs(MERGED) as logs:
            first = (await client.get("/api/v1/cases/a", headers={"traceparent": "00-garbage-01"})).json()
            second = (await client.get("/api/v1/cases/b")).json()
        assert (await client.get("/healthz")).status_code == 200
    traces = [first["traceparent"].split("-")[1], second["traceparent"].split("-")[1]]
    assert traces[0] != traces[1] and TRACE not in traces
    assert [line["trace_id"] for line in logs] == traces
    assert len(spans.get_finished_spans()) == 2  # /healthz made none


async def test_a_service_app_records_one_span_per_request_and_fastapis_own_are_off(
        spans: InMemorySpanExporter) -> None:
    app = intake_app(IntakeSettings(environment="test"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        answer = await client.get("/button.js", params={"q": "+358401234567"}, headers={"traceparent": TRACEPARENT})
    assert answer.status_code == 200
    (span,) = spans.get_finished_spans()
    assert span.name == "GET /button.js" and format(span.context.trace_id, "032x") == TRACE
    assert "358401234567" not in str(span.to_json())


def test_with_nothing_exported_a_span_is_its_ids_alone_continuing_the_caller() -> None:
    quiet = TracerProvider()  # no processor, as a service without OTEL_* variables has
    parent = parent_from({"traceparent": f"00-{TRACE}-{PARENT}-00", "tracestate": "k=v"})
    span = start_span("apply request.submitted", parent, SpanKind.CONSUMER, {"apua.service": "routing"},
                      provider=quiet)
    context = span.get_span_context()
    assert not span.is_recording() and format(context.trace_id, "032x") == TRACE
    assert format(context.span_id, "016x") != PARENT and context.span_id != 0
    assert context.trace_flags == 0 and context.trace_state.get("k") == "v"  # the caller's decision and state
    fresh = start_span("POST", otel_context.Context(), SpanKind.SERVER, {}, provider=quiet).get_span_context()
    again = start_span("POST", otel_context.Context(), SpanKind.SERVER, {}, provider=quiet).get_span_context()
    assert fresh.is_valid and fresh.trace_flags.sampled and fresh.trace_id != again.trace_id


def test_an_exported_span_is_the_sdks(spans: InMemorySpanExporter) -> None:
    span = start_span("POST", otel_context.Context(), SpanKind.SERVER, {"apua.service": "intake"})
    assert span.is_recording()
    span.end()
    assert [s.name for s in spans.get_finished_spans()] == ["POST"]


class Recorded:
    """A connection that keeps the statements it is given."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    async def execute(self, *args: object) -> str:
        self.calls.append(args)
        return "INSERT 0 1"


async def test_an_outbox_row_keeps_the_trace_of_the_work_that_wrote_it() -> None:
    conn = Recorded()
    with continued("command", TRACEPARENT, "k=v", service="routing") as span:
        await enqueue(conn, "apua.t.cases", b"case", b"{}", [("type", "case.assigned")])  # type: ignore[arg-type]
    (call,) = conn.calls
    own = format(span.get_span_context().span_id, "016x")
    assert "traceparent, tracestate" in str(call[0])
    assert call[-2:] == (f"00-{TRACE}-{own}-01", "k=v")
