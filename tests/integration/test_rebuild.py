"""Rebuild from offset 0 equals the live projection, and the live consumer goes on after the swap."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest

from services.intake.projection import projection as intake_projection
from services.reporting.projection import projection as reporting_projection
from services.routing.projection import projection as routing_projection
from shared.rebuild import rebuild
from tests.support import APPS, eventually, request_body, running, settings_for, table_rows

pytestmark = pytest.mark.integration


async def snapshot(dsn, schema, tables):
    return {t: sorted(map(repr, await table_rows(dsn, schema, t, "1"))) for t in tables}


@pytest.mark.parametrize("service,projection", [("routing", routing_projection),
                                                ("reporting", reporting_projection),
                                                ("intake", intake_projection)])
async def test_rebuild_equals_live_and_live_goes_on(postgres, kafka, prefix, service, projection):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    intake_app = APPS["intake"](settings_for("intake", **env))
    app = intake_app if service == "intake" else APPS[service](settings_for(service, **env))
    runtime = app.state.runtime
    proj = projection(runtime)
    async with AsyncExitStack() as stack:
        intake = await stack.enter_async_context(running(intake_app))
        svc = intake if service == "intake" else await stack.enter_async_context(running(app))
        for i, municipality in enumerate(["raisio", "oulu", "parainen", "raisio", "kemionsaari", "oulu", "rusko"]):
            body = request_body(municipality, language="sv" if i % 2 else "fi")
            assert (await intake.post("/api/v1/requests", json=body)).status_code == 201

        async def caught_up() -> bool:
            ready = (await svc.get("/readyz")).json()
            rows = await table_rows(postgres.dsn, runtime.projection_schema, proj.tables[0], "1")
            # Seven requests in the projection and nothing more waiting (the keys count as applied too). Intake
            # starts its consumer only once its topics exist, which may be after it accepted the seven.
            return (ready.get("consumer") or {}).get("lag") == 0 and len(rows) == 7

        await eventually(caught_up, what=f"{service} to apply all seven requests")
        live = await snapshot(postgres.dsn, runtime.projection_schema, proj.tables)
        assert len(live[proj.tables[0]]) == 7

        result = await rebuild(dsn=postgres.dsn, service_schema=runtime.settings.db_schema,
                               projection_schema=runtime.projection_schema, bootstrap=kafka.bootstrap,
                               topics=runtime.projection_topics(proj), projection=proj)
        keys = 7 if service in ("routing", "intake") else 0  # routing keeps the keys; intake follows rewraps
        assert result.swapped and result.records == 7 + keys
        assert await snapshot(postgres.dsn, runtime.projection_schema, proj.tables) == live

        # The live consumer keeps serving from the swapped-in schema.
        assert (await intake.post("/api/v1/requests", json=request_body("naantali"))).status_code == 201

        async def eight() -> bool:
            rows = await table_rows(postgres.dsn, runtime.projection_schema, proj.tables[0], "case_id")
            return len(rows) == 8

        await eventually(eight, what="the next request to land in the rebuilt projection")
