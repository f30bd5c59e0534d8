"""The store of the statistics' cubes: the last cube serves while a new one is built, one build at a time per
key, never a cube older than the bound; and a request reads one cube for all its tables."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest
from structlog.testing import capture_logs

from services.reporting import rollup
from services.reporting.cube import Cube
from services.reporting.cube_store import CubeStore
from services.reporting.filters import Filters
from shared.regions import load_regions
from shared.settings import ROOT


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Builds:
    """Counts builds; each waits for ``gate`` (when set) so that a test can look while one runs."""

    def __init__(self) -> None:
        self.count = 0
        self.gate: asyncio.Event | None = None
        self.fail = False

    async def __call__(self) -> str:
        self.count += 1
        mine = self.count
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise ConnectionError("the database went away")
        return f"cube {mine}"


async def test_requests_that_find_no_cube_wait_for_one_build() -> None:
    store: CubeStore[str] = CubeStore(max_age_s=120, clock=Clock())
    build = Builds()
    build.gate = asyncio.Event()
    waiting = [asyncio.create_task(store.get("k", 1, build, build)) for _ in range(5)]
    await asyncio.sleep(0.01)
    build.gate.set()
    assert await asyncio.gather(*waiting) == ["cube 1"] * 5 and build.count == 1


async def test_the_last_cube_serves_while_one_rebuild_runs_after_the_data_moved() -> None:
    clock = Clock()
    store: CubeStore[str] = CubeStore(max_age_s=120, clock=clock)
    build = Builds()
    assert await store.get("k", 1, build, build) == "cube 1"
    assert await store.get("k", 1, build, build) == "cube 1" and build.count == 1  # nothing moved: kept
    build.gate = asyncio.Event()
    clock.now += 5
    # The data moved on: every request gets the last cube at once, and only one rebuild starts.
    assert [await store.get("k", 2, build, build) for _ in range(4)] == ["cube 1"] * 4
    await asyncio.sleep(0.01)
    assert build.count == 2
    build.gate.set()
    await store.settle()
    assert await store.get("k", 2, build, build) == "cube 2" and build.count == 2


async def test_a_cube_is_rebuilt_in_the_background_after_half_the_bound_and_never_served_past_it() -> None:
    clock = Clock()
    store: CubeStore[str] = CubeStore(max_age_s=120, clock=clock)
    build = Builds()
    await store.get("k", 1, build, build)
    clock.now += 59
    assert await store.get("k", 1, build, build) == "cube 1" and build.count == 1
    clock.now += 2  # past half the bound: served, and rebuilt meanwhile (the overdue counts move with the clock)
    assert await store.get("k", 1, build, build) == "cube 1"
    await store.settle()
    assert build.count == 2 and await store.get("k", 1, build, build) == "cube 2"
    clock.now += 121  # too old to serve: the request waits for a new one
    assert await store.get("k", 2, build, build) == "cube 3"


async def test_without_a_connection_of_its_own_every_change_is_waited_for() -> None:
    store: CubeStore[str] = CubeStore(max_age_s=120, clock=Clock())
    build = Builds()
    assert await store.get("k", 1, build, None) == "cube 1"
    assert await store.get("k", 2, build, None) == "cube 2"


async def test_a_failed_rebuild_leaves_the_last_cube_serving_and_the_next_request_tries_again() -> None:
    clock = Clock()
    store: CubeStore[str] = CubeStore(max_age_s=120, clock=clock)
    build = Builds()
    await store.get("k", 1, build, build)
    build.fail = True
    with capture_logs() as logs:
        assert await store.get("k", 2, build, build) == "cube 1"
        await store.settle()
    assert [e["event"] for e in logs] == ["reporting.cube_rebuild_failed"]
    build.fail = False
    assert await store.get("k", 2, build, build) == "cube 1"  # another rebuild starts
    await store.settle()
    assert await store.get("k", 2, build, build) == "cube 3" and build.count == 3
    clock.now += 200
    build.fail = True
    with pytest.raises(ConnectionError):  # too old, and no new one: the request fails rather than show it
        await store.get("k", 3, build, build)


class FakeConn:
    """Answers the projection's stamp; each answer says the projection read one more record."""

    def __init__(self) -> None:
        self.read = 0

    async def fetchrow(self, query: str, *args: Any) -> dict[str, Any]:
        self.read += 1
        return {"db": "apua", "schema": "reporting_projection_test_store", "read": self.read}


async def test_a_request_reads_one_cube_for_all_its_tables(monkeypatch) -> None:
    region = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
    made: list[Cube] = []

    async def load(conn: Any, region_: Any, year: int, until: date, now: datetime, assemble_with: Any = None) -> Cube:
        made.append(Cube({}, {}, frozenset(), {}, (), as_of=now))
        return made[-1]

    monkeypatch.setattr(rollup.cubes, "load", load)
    monkeypatch.setattr(rollup, "STORE", CubeStore(max_age_s=120))
    f = Filters(region=region, municipalities=(), since=date(2026, 1, 1), until=date(2026, 3, 1),
                now=datetime(2026, 3, 1, 12, tzinfo=UTC))
    conn = FakeConn()
    async with rollup.same_cube():
        first = await rollup.cube_for(conn, f)  # type: ignore[arg-type]
        rollup.STORE.clear()  # a newer cube is kept meanwhile: this request still reads its own
        assert await rollup.cube_for(conn, f) is first  # type: ignore[arg-type]
        assert rollup.taken_as_of(f) == f.now
    assert await rollup.cube_for(conn, f) is not first  # type: ignore[arg-type]
    assert len(made) == 2
