"""Reporting's contact tables on real Kafka and PostgreSQL: the not-reached rate by contact method and the attempts
per reached family, from events, with small counts hidden, and the same after a rebuild."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from services.reporting import cube as cubes
from services.reporting.cube import Cube
from services.reporting.privacy import SUPPRESSED, protect, record_key, share
from services.reporting.projection import projection as reporting_projection
from shared.businessdays import HELSINKI
from shared.events import (
    CaseClosed,
    CaseClosedPayload,
    ContactAttempted,
    ContactAttemptedPayload,
    EventBase,
    NotReachedNotice,
    NotReachedNoticePayload,
    RequestSubmitted,
)
from shared.rebuild import rebuild
from shared.regions import load_regions
from tests.integration.test_reporting import SECRET, follow, publish, signed_in_reporting, submitted
from tests.support import APPS, eventually, request_event, running, settings_for, table_rows

pytestmark = pytest.mark.integration
PERIOD = {"region": "varsinais-suomi", "period": "2026", "lang": "en"}
MARCH = datetime(2026, 3, 2, 9, 0, tzinfo=HELSINKI)
REGIONS = load_regions(Path(__file__).resolve().parents[2] / "deploy" / "regions")


def attempt(request: RequestSubmitted, result: str, at: datetime, channel: str = "phone") -> EventBase:
    return follow(request, ContactAttempted, ContactAttemptedPayload(channel=channel, result=result), at)


def a_case(method: str, results: list[str], outcome: str | None, day: int) -> list[EventBase]:
    """A request by ``method`` on the ``day``-th day of March, its attempts an hour apart, and how it closed."""
    request = submitted("turku", (MARCH + timedelta(days=day)).astimezone(UTC), method=method)
    at = request.occurred_at
    events: list[EventBase] = [request]
    for i, result in enumerate(results, start=1):
        events.append(attempt(request, result, at + timedelta(hours=i), "email" if method == "email" else "phone"))
    if outcome == "not_reached":
        events.append(follow(request, NotReachedNotice, NotReachedNoticePayload(attempts=len(results)),
                             at + timedelta(hours=len(results) + 1)))
    if outcome is not None:
        events.append(follow(request, CaseClosed, CaseClosedPayload(outcome=outcome), at + timedelta(days=2)))
    return events


def the_cases() -> tuple[list[EventBase], dict[str, list[uuid.UUID]]]:
    """Phone: 12 closed, 5 of them not reached. SMS: 3 closed, 1 not reached. E-mail: 6 closed, all reached at once.
    Anonymous: one open. Reached: 12 at the first attempt, 2 at the second, 1 at the fifth."""
    no = "no_answer"
    plan = ([("phone", ["reached"], "guidance_enough")] * 3
            + [("phone", ["reached", "no_answer"], "guidance_enough")]  # a later attempt: still reached at the 1st
            + [("phone", [no, "reached"], "same_worker_continues")] * 2
            + [("phone", [no, "message_left", no, no, "reached"], "referred")]
            + [("phone", [no, no, no], "not_reached")] * 5
            + [("sms", ["reached"], "guidance_enough")] * 2 + [("sms", [no, "message_left", no], "not_reached")]
            + [("email", ["reached"], "guidance_enough")] * 6
            + [("anonymous", [], None)])
    events: list[EventBase] = []
    groups: dict[str, list[uuid.UUID]] = {}
    for day, (method, results, outcome) in enumerate(plan):
        case = a_case(method, results, outcome, day % 20)
        events += case
        groups.setdefault(f"{method}:closed", []).extend([case[0].case_id] if outcome else [])
        groups.setdefault(f"{method}:not_reached", []).extend([case[0].case_id] if outcome == "not_reached" else [])
        if "reached" in results:
            first = results.index("reached") + 1
            groups.setdefault(f"reached:{min(first, 4)}", []).append(case[0].case_id)
    # An attempt on a case this projection never saw arrive counts nowhere.
    stranger = request_event()
    events.append(follow(stranger, ContactAttempted, ContactAttemptedPayload(channel="phone", result="reached"),
                         MARCH.astimezone(UTC)))
    return events, groups


async def the_cube(dsn: str, schema: str) -> Cube:
    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        return await cubes.load(conn, REGIONS.by_id["varsinais-suomi"], 2026, date(2026, 12, 31), datetime.now(UTC))
    finally:
        await conn.close()


def protected(cases: list[uuid.UUID]) -> int | str:
    return protect(len(cases), sum(record_key(SECRET, c) for c in cases))


async def test_not_reached_by_method_and_attempts_per_reached_family_and_rebuild_equals_live(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    routing_app, reporting_app = APPS["routing"](settings_for("routing", **env)), \
        APPS["reporting"](settings_for("reporting", **env))
    events, groups = the_cases()
    async with running(routing_app) as routing, running(reporting_app) as reporting:
        await publish(kafka, prefix, events)
        await signed_in_reporting(routing, reporting, routing_app)
        runtime = reporting_app.state.runtime

        async def all_in():
            facts = await table_rows(postgres.dsn, runtime.projection_schema, "case_facts", "case_id")
            rows = [r for r in facts if r["contact_attempts"]]
            return rows if len(rows) == 21 and sum(r["outcome"] is not None for r in facts) == 21 else None

        rows = await eventually(all_in, what="every case's attempts and closing")
        assert len(await table_rows(postgres.dsn, runtime.projection_schema, "case_facts", "1")) == 22  # + anonymous
        assert sorted((r["contact_attempts"], r["reached_after"]) for r in rows) == sorted(
            [(1, 1)] * 3 + [(2, 1), (2, 2), (2, 2), (5, 5)] + [(3, None)] * 5 + [(1, 1)] * 2 + [(3, None)]
            + [(1, 1)] * 6)

        # Every published figure is the cube's cell (cube.py: the year's true counts and what secondary
        # suppression hides), and each cell holds the cases the plan put there.
        cube = await the_cube(postgres.dsn, runtime.projection_schema)

        def shown(dim: str, value: str, cases: list[uuid.UUID]) -> int | str:
            group = cube.group(("", "2026", dim, value))
            assert group.n == len(cases), (dim, value)
            return SUPPRESSED if group.hidden else protected(cases)

        rate = (await reporting.get("/api/v1/tables/not_reached_by_method", params=PERIOD)).json()
        by_label = {row[0]: row[1:] for row in rate["rows"]}
        for label, method in (("Phone call", "phone"), ("Text message", "sms"), ("E-mail", "email"),
                              ("Anonymous, answer on the status page", "anonymous")):
            closed = shown("closed_method", method, groups.get(f"{method}:closed", []))
            not_reached = shown("not_reached_method", method, groups.get(f"{method}:not_reached", []))
            assert by_label[label] == [closed, not_reached, share(not_reached, closed)], label
        assert by_label["Text message"][1] == SUPPRESSED  # one not reached
        assert [row[2] for row in rate["rows"]].count(SUPPRESSED) >= 2  # a hidden count never alone in its line
        closed_all = [c for m in ("phone", "sms", "email") for c in groups[f"{m}:closed"]]
        not_reached_all = groups["phone:not_reached"] + groups["sms:not_reached"]
        totals = [shown("closed_method", "*", closed_all), shown("not_reached_method", "*", not_reached_all)]
        assert rate["total"][1:] == [*totals, share(totals[1], totals[0])]

        attempts = (await reporting.get("/api/v1/tables/attempts_to_reach", params=PERIOD)).json()
        rows = [shown("reached_after", str(b), groups.get(f"reached:{b}", [])) for b in (1, 2, 3, 4)]
        assert [row[1] for row in attempts["rows"][:4]] == rows
        reached = shown("reached_after", "*", groups["reached:1"] + groups["reached:2"] + groups["reached:4"])
        assert attempts["total"][1] == reached
        assert rows[1] == SUPPRESSED and attempts["rows"][4][1] is None  # no mean beside hidden rows

        # Filtered down to Aura, where nobody wrote: everything hidden, no share, no mean.
        aura = {**PERIOD, "municipality": "aura"}
        hidden = (await reporting.get("/api/v1/tables/attempts_to_reach", params=aura)).json()
        assert [row[1] for row in hidden["rows"]] == [SUPPRESSED] * 4 + [None]

        page = await reporting.get("/outcomes", params=PERIOD)
        assert page.status_code == 200 and rate["title"] in page.text and "Contact attempts per reached family" \
            in page.text
        csv = await reporting.get("/export/not_reached_by_method.csv", params=PERIOD)
        assert csv.status_code == 200 and "Phone call" in csv.text and SUPPRESSED in csv.text
        sv = (await reporting.get("/api/v1/tables/attempts_to_reach", params={**PERIOD, "lang": "sv"})).json()
        assert sv["title"] == "Kontaktförsök per nådd familj"

        live = {t: sorted(map(repr, await table_rows(postgres.dsn, runtime.projection_schema, t, "1")))
                for t in ("case_facts", "fact_cells")}
        proj = reporting_projection(runtime)
        result = await rebuild(dsn=postgres.dsn, service_schema=runtime.settings.db_schema,
                               projection_schema=runtime.projection_schema, bootstrap=kafka.bootstrap,
                               topics=runtime.projection_topics(proj), projection=proj)
        assert result.swapped
        rebuilt = {t: sorted(map(repr, await table_rows(postgres.dsn, runtime.projection_schema, t, "1")))
                   for t in ("case_facts", "fact_cells")}
        assert rebuilt == live and len(rebuilt["case_facts"]) == 22
        assert (await reporting.get("/api/v1/tables/not_reached_by_method", params=PERIOD)).json() == rate
        assert (await reporting.get("/api/v1/tables/attempts_to_reach", params=PERIOD)).json() == attempts
