"""One family's POST with a traceparent: the same trace id in every record it makes on Kafka and in the log lines
of all four services, through intake's outbox, routing, notify's sending and reporting."""

from __future__ import annotations

import io
import json
import logging
import secrets
import uuid
from collections import defaultdict

import pytest
import structlog

from deploy.local.infra import free_port
from shared.logging import configure_logging
from shared.topics import cases_topic, keys_topic
from shared.tracing import configure_tracing
from tests.integration.test_notify import SmtpServer
from tests.support import APPS, eventually, read_topic, request_body, running, settings_for

pytestmark = pytest.mark.integration


@pytest.fixture
def json_logs():
    out = io.StringIO()
    configure_logging("test", "DEBUG", stream=out)
    configure_tracing("test", environ={})  # as each service's start does, here with nothing exported
    yield out
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    logging.getLogger().handlers = []


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def trace_of(record) -> str | None:
    headers = dict(record.headers)
    return headers["traceparent"].decode().split("-")[1] if "traceparent" in headers else None


async def test_one_trace_from_the_familys_post_through_every_service(postgres, kafka, prefix, json_logs, smtp):
    trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
    marker = f"MARKER{uuid.uuid4().hex}"
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {"intake": APPS["intake"](settings_for("intake", **env)),
            "routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600)),
            "notify": APPS["notify"](settings_for("notify", **env, smtp_port=smtp.port, sms_url=f"http://127.0.0.1:"
                                                  f"{free_port()}/sms", sender_interval_s=0.1)),
            "reporting": APPS["reporting"](settings_for("reporting", **env))}
    async with running(apps["intake"]) as intake, running(apps["routing"]), running(apps["notify"]) as notify, \
            running(apps["reporting"]):
        body = request_body("naantali", message=f"Viesti {marker}",
                            contact={"method": "email", "email": f"{marker}@example.fi"})
        answer = await intake.post("/api/v1/requests", json=body,
                                   headers={"traceparent": f"00-{trace_id}-{parent}-01", "tracestate": "apua=1"})
        assert answer.status_code == 201, answer.text
        case_id = answer.json()["case_id"]
        # Another family's POST without one: a trace of its own.
        other = await intake.post("/api/v1/requests", json=request_body("naantali"))
        assert other.status_code == 201

        async def sent() -> bool:
            rows = (await notify.get("/api/v1/notifications", params={"limit": 100})).json()
            mine = [r for r in rows if r["case_id"] == case_id]
            return len(mine) == 2 and all(r["status"] == "sent" for r in mine)  # the receipt, the coordinators

        await eventually(sent, what="notify to send the receipt and the coordinators' word")

        def traced_lines() -> dict[str, set[str]]:
            lines = [json.loads(line) for line in json_logs.getvalue().splitlines() if line.startswith("{")]
            by_service: dict[str, set[str]] = defaultdict(set)
            for line in lines:
                if line.get("trace_id") == trace_id:
                    by_service[line.get("service", "")].add(f"{line['msg']} {line.get('event_type', '')}".strip())
            return by_service

        async def everywhere() -> dict[str, set[str]] | None:
            # Routing and reporting apply notify's notification.sent in the same trace too.
            found = traced_lines()
            sent_applied = all("consumer.applied notification.sent" in found[s] for s in ("routing", "reporting"))
            return found if sent_applied else None

        found = await eventually(everywhere, what="routing and reporting to apply notify's notification.sent")
        cases = await read_topic(kafka.bootstrap, cases_topic(prefix, "varsinais-suomi"), expected=5)
        keys = await read_topic(kafka.bootstrap, keys_topic(prefix, "varsinais-suomi"), expected=2)

    assert {"request.accepted"} <= found["intake"]
    assert {"consumer.applied request.submitted", "consumer.applied notification.sent"} <= found["routing"]
    assert {"consumer.applied request.submitted", "notify.sent"} <= found["notify"]
    assert {"consumer.applied request.submitted", "consumer.applied notification.sent"} <= found["reporting"]
    out = json_logs.getvalue()
    assert marker not in out and "example.fi" not in out

    mine = [r for r in cases if r.key == case_id.encode()]
    assert sorted(json.loads(r.value)["type"] for r in mine) == [
        "notification.sent", "notification.sent", "request.submitted"]
    assert {trace_of(r) for r in mine} == {trace_id}
    submitted = next(r for r in mine if json.loads(r.value)["type"] == "request.submitted")
    headers = dict(submitted.headers)
    assert headers["traceparent"].decode().split("-")[2] != parent  # intake's own span, a child of the family's
    assert headers["tracestate"] == b"apua=1"
    (key,) = [r for r in keys if r.key == case_id.encode()]
    assert trace_of(key) == trace_id  # the case's key travels in the same trace as its event

    others = {trace_of(r) for r in cases if r.key != case_id.encode()}
    assert len(others) == 1 and None not in others and trace_id not in others
