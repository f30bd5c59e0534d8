"""After a database is restored from a backup made before an erasure, `erasures reapply` takes the erased
case's key out of it again (docs/operations.md, "Restoring PostgreSQL on Kubernetes").

A restored database holds the key rows it had at the backup's time. Its consumers' stored offsets come back
too, so they would meet the erasure's tombstone again, unless the key topic has compacted it away (one day
after it was written): then nothing on the key topic deletes those rows any more. That state is made here
directly: the key rows are put back while the consumers stand past the tombstone."""

from __future__ import annotations

import uuid

import pytest

from services.routing.erasure import reapply_erasures
from tests.support import APPS, eventually, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
REGION = "varsinais-suomi"


async def test_erasures_reapply_takes_a_restored_key_out_of_intake_and_routing(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {name: APPS[name](settings_for(name, **env)) for name in ("intake", "routing")}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing:
        erased = uuid.UUID((await intake.post("/api/v1/requests", json=request_body("rusko"))).json()["case_id"])
        kept = uuid.UUID((await intake.post("/api/v1/requests", json=request_body("rusko"))).json()["case_id"])
        pools = {name: apps[name].state.runtime.pool for name in apps}
        await staff(routing, apps["routing"], role="admin")

        async def keys(case: uuid.UUID) -> dict[str, bool]:
            return {name: bool(await pool.fetchval("SELECT count(*) FROM case_keys WHERE case_id = $1", case))
                    for name, pool in pools.items()}

        async def everywhere() -> bool:
            return all((await keys(erased)).values()) and all((await keys(kept)).values())

        await eventually(everywhere, what="both cases' keys in intake and routing")
        backup = {name: dict(await pool.fetchrow("SELECT * FROM case_keys WHERE case_id = $1", erased))
                  for name, pool in pools.items()}
        answer = await routing.post(f"/api/v1/cases/{erased}/erase", json={"reason": "family_request"})
        assert answer.status_code == 200, answer.text

        async def gone() -> bool:
            return not any((await keys(erased)).values())

        await eventually(gone, what="the erasure to take the key out of intake and routing")

        # The restore: the rows of the backup are back, and no record on the topics will delete them.
        for name, row in backup.items():
            columns = ", ".join(row)
            values = ", ".join(f"${i}" for i in range(1, len(row) + 1))
            await pools[name].execute(f"INSERT INTO case_keys ({columns}) VALUES ({values})", *row.values())
        assert all((await keys(erased)).values())

        done = await reapply_erasures(bootstrap=kafka.bootstrap, topic_prefix=prefix,
                                      regions=list(apps["routing"].state.runtime.regions))
        assert done[REGION] == 1
        await eventually(gone, what="erasures reapply to take the restored keys out again")
        assert all((await keys(kept)).values()), "a case nobody erased keeps its key everywhere"
