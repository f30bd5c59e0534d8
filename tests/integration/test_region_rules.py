"""A region's own rules on real Kafka and PostgreSQL: its office hours and warning time reach the queue,
the case page and the deadline warnings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time

import pytest

from services.routing.deadlines import raise_due_alerts
from shared.businessdays import DEFAULT_DAY, HELSINKI
from shared.regions import OfficeHours, Regions, load_regions
from shared.settings import ROOT
from shared.topics import cases_topic
from tests.support import APPS, eventually, read_topic, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration


def with_short_days() -> Regions:
    """The example regions, Varsinais-Suomi working 8–15 and warning two working hours ahead."""
    regions = load_regions(ROOT / "deploy" / "regions")
    short = regions.by_id["varsinais-suomi"]
    short = short.model_copy(update={"office_hours": OfficeHours(opens=time(8), closes=time(15)),
                                     "deadline": short.deadline.model_copy(update={"warning_hours": 2})})
    return Regions([short if r.id == short.id else r for r in regions])


async def test_a_region_working_8_to_15_counts_its_own_hours_and_warns_by_its_own_rule(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    regions = with_short_days()
    day = regions.working_day("varsinais-suomi")
    assert (day.opens, day.closes, day.warning_hours) == (time(8), time(15), 2)
    intake_app = APPS["intake"](settings_for("intake", **env), regions)
    routing_app = APPS["routing"](settings_for("routing", **env, deadline_check_s=3600), regions)
    async with running(intake_app) as intake, running(routing_app) as routing:
        await staff(routing, routing_app)
        case_id = (await intake.post("/api/v1/requests", json=request_body("raisio"))).json()["case_id"]

        async def listed() -> dict | None:
            found = [c for c in (await routing.get("/api/v1/cases")).json() if c["case_id"] == case_id]
            return found[0] if found else None

        before = datetime.now(UTC)
        item = await eventually(listed, what="the case in the queue")
        after = datetime.now(UTC)
        answer_due = datetime.fromisoformat(item["answer_due"]).date()
        # The next business day's working day is seven hours here, eight by default: the queue counts seven.
        expected = sorted((round(day.hours_left(before, answer_due), 1), round(day.hours_left(after, answer_due), 1)))
        assert expected[0] <= item["business_hours_left"] <= expected[1]
        assert DEFAULT_DAY.hours_left(after, answer_due) - day.hours_left(after, answer_due) >= 1
        page = (await routing.get(f"/api/v1/cases/{case_id}")).json()
        assert expected[0] <= page["case"]["business_hours_left"] <= expected[1]

        # On the promised day at 12.30 two and a half of its hours are left: by default (four hours) a warning
        # would come; by this region's rule (two) not yet. At 13.30 it comes, once.
        noon = datetime.combine(answer_due, time(12, 30), HELSINKI)
        pool = routing_app.state.runtime.pool
        async with pool.acquire() as conn:
            assert DEFAULT_DAY.hours_left(noon, answer_due) <= DEFAULT_DAY.warning_hours
            assert await raise_due_alerts(conn, now=noon, regions=regions, topic_prefix=prefix) == 0
            later = datetime.combine(answer_due, time(13, 30), HELSINKI)
            assert await raise_due_alerts(conn, now=later, regions=regions, topic_prefix=prefix) == 1
            assert await raise_due_alerts(conn, now=later, regions=regions, topic_prefix=prefix) == 0
        routing_app.state.runtime.relay.wake()
        records = await read_topic(kafka.bootstrap, cases_topic(prefix, "varsinais-suomi"), expected=2)
        types = [json.loads(r.value)["type"] for r in records if r.key.decode() == case_id]
        assert sorted(types) == ["deadline.warning", "request.submitted"]
