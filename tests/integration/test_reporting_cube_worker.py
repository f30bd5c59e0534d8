"""The dashboards' cubes built in a worker process: warmed after a start once the projection has caught up, so the
first view finds one; the worker killed, the next build starts a new one and every page is served; the worker goes
with the app."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime

import pytest
from structlog.testing import capture_logs

from services.reporting import rollup
from shared.businessdays import HELSINKI
from tests.integration.test_reporting import PERIOD, expected, publish, signed_in_reporting, submitted, the_year
from tests.support import APPS, eventually, running, settings_for

pytestmark = pytest.mark.integration
PAGES = ("/overview", "/report", "/topics", "/response", "/outcomes")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # ended but not yet reaped: dead all the same
        return stat.read().split(") ")[1][0] != "Z"


async def test_warmed_after_the_start_built_apart_and_a_killed_worker_is_replaced(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    events = the_year()
    routing_app = APPS["routing"](settings_for("routing", **env))
    reporting_app = APPS["reporting"](settings_for("reporting", **env, stats_warm_up=True, stats_max_age_s=300))
    assert reporting_app.state.runtime.settings.stats_build_in_process  # the default
    with capture_logs() as logs:
        async with running(routing_app) as routing:
            # The year is on the stream (routing made the topics) before reporting starts, as after a restart.
            await publish(kafka, prefix, events)
            async with running(reporting_app) as reporting:
                runtime = reporting_app.state.runtime

                async def warmed() -> dict | None:
                    return next((e for e in logs if e["event"] == "reporting.cubes_warmed"), None)

                done = await eventually(warmed, timeout=60, what="the cubes to be warmed")
                assert done["cubes"] == len(list(runtime.regions)) and done["caught_up"] is True
                assert await runtime.pool.fetchval("SELECT count(*) FROM case_facts") == 15
                await signed_in_reporting(routing, reporting, routing_app)

                # The first view after the start: its cube was built before it was asked for, from the whole year.
                asked_at = datetime.now(UTC)
                first = (await reporting.get("/api/v1/tables/key_figures", params=PERIOD)).json()
                assert datetime.fromisoformat(first["data_as_of"]) < asked_at
                assert first["rows"][0][1] == expected(events, lambda e: True)

                async with runtime.pool.acquire() as conn:
                    row = await conn.fetchrow("SELECT current_database() AS db, current_schema() AS schema")
                worker = rollup.assembler_of((row["db"], row["schema"]))
                assert worker is not None
                killed = await worker.worker_pid()
                assert killed != os.getpid()
                os.kill(killed, signal.SIGKILL)

                # Another family writes: the cube is rebuilt in the background, in a new worker, and meanwhile and after
                # every page is served.
                newcomer = submitted("turku", datetime(2026, 4, 20, 9, tzinfo=HELSINKI).astimezone(UTC))
                await publish(kafka, prefix, [newcomer])

                async def applied() -> bool:
                    return await runtime.pool.fetchval("SELECT count(*) FROM case_facts") == 16

                await eventually(applied, what="reporting to apply the new request")
                applied_at = datetime.now(UTC)
                for page in PAGES:
                    assert (await reporting.get(page, params=PERIOD)).status_code == 200, page

                async def rebuilt() -> dict | None:
                    body = (await reporting.get("/api/v1/tables/key_figures", params=PERIOD)).json()
                    return body if datetime.fromisoformat(body["data_as_of"]) >= applied_at else None

                newer = await eventually(rebuilt, what="the cube rebuilt in a new worker")
                assert newer["rows"][0][1] == expected([*events, newcomer], lambda e: True)
                for page in PAGES:
                    assert (await reporting.get(page, params=PERIOD)).status_code == 200, page
                assert [e for e in logs if e["event"] == "reporting.cube_worker_died"]
                replaced = await worker.worker_pid()
                assert replaced != killed and alive(replaced)
                await rollup.STORE.settle()
    # The app stopped: its worker goes.
    for _ in range(100):
        if not alive(replaced):
            break
        await asyncio.sleep(0.1)
    assert not alive(replaced)
    # Nothing any log line says of a family: only names of events, counts and kinds of errors.
    assert "SALAINEN" not in repr(logs)
