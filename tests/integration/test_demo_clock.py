"""The demo clock on real Kafka and PostgreSQL: the header sets the recorded times only when the setting is on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.routing.deadlines import DEMO_HISTORY, raise_due_alerts
from shared.democlock import DEMO_TIME_HEADER
from tests.support import APPS, eventually, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
PAST = datetime(2025, 9, 1, 21, 15, tzinfo=UTC)  # a Monday evening, 00:15 on Tuesday in Helsinki


async def run_case(intake, routing, *, header_time: datetime) -> tuple[dict, dict]:
    """A request and a triage, both sent with the demo header; the receipt and routing's view."""
    headers = {DEMO_TIME_HEADER: header_time.isoformat()}
    receipt = await intake.post("/api/v1/requests", json=request_body("parainen"), headers=headers)
    assert receipt.status_code == 201, receipt.text
    case_id = receipt.json()["case_id"]

    async def triaged():
        response = await routing.post(f"/api/v1/cases/{case_id}/commands", headers={
            **headers, DEMO_TIME_HEADER: (header_time + timedelta(hours=11)).isoformat()},
            json={"command": "triage", "expected_version": 0, "arguments": {"topic": "family_change"}})
        return response.status_code == 200

    await eventually(triaged, what="the case in routing")
    view = (await routing.get(f"/api/v1/cases/{case_id}")).json()
    return receipt.json(), view


@pytest.mark.parametrize("demo_clock", [True, False])
async def test_demo_time_is_honoured_only_with_the_setting(postgres, kafka, prefix, demo_clock):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap, "demo_clock": demo_clock}
    intake_app = APPS["intake"](settings_for("intake", **env))
    routing_app = APPS["routing"](settings_for("routing", **env, deadline_check_s=3600))
    async with running(intake_app) as intake, running(routing_app) as routing:
        await staff(routing, routing_app)
        started = datetime.now(UTC)
        receipt, view = await run_case(intake, routing, header_time=PAST)
        received_at = datetime.fromisoformat(view["case"]["received_at"])
        triaged_at = datetime.fromisoformat(view["timeline"][-1]["at"])
        if demo_clock:
            assert received_at == PAST
            assert receipt["answer_due"] == "2025-09-03"  # received on Tuesday in Helsinki: the next business day
            assert triaged_at == PAST + timedelta(hours=11)
            future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
            refused = await intake.post("/api/v1/requests", json=request_body(), headers={DEMO_TIME_HEADER: future})
            assert refused.status_code == 422 and "future" in refused.json()["detail"]
            # Deadlines that passed long ago are the loader's history: the scheduler leaves them alone.
            async with routing_app.state.runtime.pool.acquire() as conn:
                now = datetime.now(UTC)
                assert await raise_due_alerts(conn, now=now, topic_prefix=prefix,
                                              due_since=now - DEMO_HISTORY) == 0
        else:
            assert received_at >= started and triaged_at >= started
            assert receipt["answer_due"] > PAST.date().isoformat()
            future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
            ignored = await intake.post("/api/v1/requests", json=request_body(), headers={DEMO_TIME_HEADER: future})
            assert ignored.status_code == 201
