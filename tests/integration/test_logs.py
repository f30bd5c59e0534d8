"""Logs are JSON lines with the case's ids bound, and never carry what the family wrote."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest
import structlog

from shared.logging import configure_logging
from tests.support import APPS, eventually, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration


@pytest.fixture
def json_logs():
    out = io.StringIO()
    configure_logging("test", "DEBUG", stream=out)
    yield out
    # The configuration printed to this test's captured stdout; later tests get the defaults back.
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    logging.getLogger().handlers = []


async def test_logs_are_json_with_ids_and_no_personal_data(postgres, kafka, prefix, json_logs):
    marker = f"MARKER{uuid.uuid4().hex}"
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    routing_app = APPS["routing"](settings_for("routing", **env))
    async with running(APPS["intake"](settings_for("intake", **env))) as intake, running(routing_app) as routing:
        await staff(routing, routing_app)
        body = request_body("salo", message=f"Viesti {marker}",
                            contact={"method": "email", "name": f"Nimi {marker}", "email": f"{marker}@example.fi",
                                     "call_times": marker})
        accepted = (await intake.post("/api/v1/requests", json=body)).json()

        async def queued() -> bool:
            return len((await routing.get("/api/v1/cases")).json()) == 1

        await eventually(queued, what="the case in routing")
    out = json_logs.getvalue()
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert lines, "no JSON log lines"
    assert marker not in out
    assert "example.fi" not in out
    accepted_lines = [line for line in lines if line.get("msg") == "request.accepted"]
    assert accepted_lines and accepted_lines[0]["case_id"] == accepted["case_id"]
    assert {"event_id", "correlation_id", "level", "timestamp"} <= set(accepted_lines[0])
