"""The cube assembled in a worker process: the same cube as in the service's own process, from a real process that
is started when first needed, replaced when it dies (before or during a build), and let go with the app."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from services.reporting import cube as cubes
from services.reporting.cube import REGION, Cube, Rows, built, week_period
from services.reporting.cube_worker import ProcessAssembler, build_to_send
from shared.settings import ROOT
from tests.unit.test_suppression_equivalence import VS

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
LAST = date(2026, 12, 31)
DIMS = {d: v for d, v in cubes.FULL.items() if d != "weekday"} | {
    "outcome": cubes.PARTIAL["outcome"], "team": ("family-work", ""), "anonymous": ("",), "after_hours": ("",)}


def inputs(seed: int = 3) -> Rows:
    """A busy synthetic region-year's query rows, as cube.load reads them: every municipality, from a handful of
    cases to hundreds a month."""
    rng = random.Random(seed)
    base, weekdays, weeks, overdue, followups = [], [], [], [], []
    for m in VS.municipalities:
        size = rng.choice([1, 3, 10, 50, 300])
        for month in range(1, 13):
            p, first = f"2026-{month:02d}", date(2026, month, 1)
            total = max(0, int(rng.gauss(size, size / 3)))
            met, late = total // 2, total // 5
            base.append((m.id, p, "all", "", total, total * 30000, met, met * 30000, late, late * 30000))
            for dim, values in DIMS.items():
                for v in values:
                    k = rng.randint(0, max(1, total // len(values)))
                    base.append((m.id, p, dim, v, k, k * 30000, k // 2, k * 15000, 0, 0))
            for weekday in ("1", "6"):
                weekdays.append((m.id, p, weekday, total // 2, total * 15000))
            weeks.append((m.id, week_period(first - timedelta(days=first.weekday())), total // 4, total * 7500))
            overdue.append((m.id, p, "family-work", total // 10, total * 3000))
            followups.append((m.id, p, total // 3, total * 10000, total // 4, total * 7500, total // 12, 2500))
    return Rows(base, weekdays, weeks, overdue, followups, {s.id: s.kind for s in VS.local_services})


def alone() -> Cube:
    """The cube made here, as a thread of the service makes it."""
    return built(inputs(), VS, 2026, LAST, NOW)


def test_the_rows_are_added_up_into_the_cells() -> None:
    rows, c = inputs(), alone()
    assert c.n[(REGION, "2026", "all", "")] == sum(r[4] for r in rows.base if r[2] == "all")
    assert sum(c.n.get((REGION, "2026", "weekday", str(d)), 0) for d in range(1, 8)) == sum(r[3] for r in rows.weekdays)
    assert c.n[(REGION, "2026", "followup", "missed")] == sum(r[6] for r in rows.followups)
    assert c.n[("turku", "2026-03", "response", "overdue")] == rows.overdue[
        [r[0] for r in rows.overdue].index("turku") + 2][3]
    assert c.n[(REGION, "2026", "response", "met")] == sum(r[6] for r in rows.base if r[2] == "all")


def same_figures(got: Cube, want: Cube) -> None:
    assert got.n == want.n and got.keys == want.keys and got.hidden == want.hidden
    assert got.values == want.values and got.in_time == want.in_time and got.as_of == want.as_of


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        # A child that ended but was not reaped yet is a zombie: dead all the same.
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False


def test_the_cube_sent_back_is_the_cube_without_its_lines() -> None:
    here = alone()
    sent = build_to_send(inputs(), VS, 2026, LAST, NOW)
    assert here.lines and sent.lines == ()
    same_figures(sent, here)
    assert sent == replace(here, lines=())
    # One object per key: the counts, the record-key sums and the hidden cells share them.
    n_keys = {id(k) for k in sent.n}
    assert {id(k) for k in sent.keys} <= n_keys and any(id(k) in n_keys for k in sent.hidden)


def cube_events(logs: list[dict[str, object]]) -> list[object]:
    """The cube's own log lines: other tasks of the test run (a service's background rounds) may log meanwhile."""
    return [e["event"] for e in logs if str(e["event"]).startswith("reporting.cube")]


async def test_a_real_worker_process_assembles_the_same_cube() -> None:
    builder = ProcessAssembler()
    try:
        got = await builder(inputs(), VS, 2026, LAST, NOW)
        same_figures(got, alone())
        pid = await builder.worker_pid()
        assert pid != os.getpid() and alive(pid)
        # The same worker serves the next build.
        assert await builder.worker_pid() == pid
    finally:
        builder.close()


async def test_a_dead_worker_is_replaced_and_the_build_is_served() -> None:
    builder = ProcessAssembler()
    rows = inputs()
    want = alone()
    try:
        first = await builder.worker_pid()
        os.kill(first, signal.SIGKILL)
        with capture_logs() as logs:
            got = await builder(rows, VS, 2026, LAST, NOW)
        same_figures(got, want)
        assert cube_events(logs) == ["reporting.cube_worker_died"]
        second = await builder.worker_pid()
        assert second != first and alive(second)

        # Killed in the middle of a build: the build runs again in a new worker and still gives the cube.
        with capture_logs() as logs:
            build = asyncio.create_task(builder(rows, VS, 2026, LAST, NOW))
            await asyncio.sleep(0.15)
            assert not build.done()
            os.kill(second, signal.SIGKILL)
            got = await build
        same_figures(got, want)
        assert cube_events(logs) == ["reporting.cube_worker_died"]
        assert await builder.worker_pid() not in (first, second)
    finally:
        builder.close()


async def test_a_build_two_workers_died_on_is_served_from_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    builder = ProcessAssembler()

    async def dies(*args: object) -> object:
        raise BrokenProcessPool("killed twice")

    monkeypatch.setattr(builder, "_run", dies)
    with capture_logs() as logs:
        got = await builder(inputs(), VS, 2026, LAST, NOW)
    same_figures(got, alone())
    assert cube_events(logs) == ["reporting.cube_built_in_thread"]


async def test_the_worker_goes_with_the_app_and_nothing_starts_another() -> None:
    builder = ProcessAssembler()
    pid = await builder.worker_pid()
    builder.close()
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not alive(pid)
    # A build asked while the app stops is assembled here, in a thread, rather than in a new worker.
    got = await builder(inputs(), VS, 2026, LAST, NOW)
    assert got.lines
    with pytest.raises(RuntimeError):
        await builder.worker_pid()


def test_the_worker_is_never_a_fork_of_the_service() -> None:
    with pytest.raises(ValueError):
        ProcessAssembler("fork")


SERVICE = """
import asyncio, os, signal
from services.reporting.cube_worker import ProcessAssembler

async def main():
    pid = await ProcessAssembler().worker_pid()
    with open(f"/proc/{pid}/stat") as stat:
        server = stat.read().split(") ")[1].split()[1]
    print(pid, server, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

if __name__ == "__main__":
    asyncio.run(main())
"""


def test_a_killed_service_takes_its_worker_and_fork_server_with_it(tmp_path: Path) -> None:
    script = tmp_path / "service.py"
    script.write_text(SERVICE)
    # Its output into a file, not a pipe: processes that stayed would hold a pipe open and the run would not end.
    out = tmp_path / "out.txt"
    with out.open("w") as sink:
        done = subprocess.run([sys.executable, str(script)], stdout=sink, stderr=subprocess.STDOUT, timeout=120,
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == -signal.SIGKILL, out.read_text()
    worker, server = (int(p) for p in out.read_text().split()[:2])
    try:
        deadline = time.monotonic() + 15
        while (alive(worker) or alive(server)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(worker) and not alive(server)
    finally:
        for pid in (worker, server):  # this test's own processes, should they have stayed
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
