"""The cube assembled in a worker process: the same cube as in the service's own process, from a real process that
is started when first needed, replaced when it dies (before or during a build), and let go with the app."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from structlog.testing import capture_logs

from services.reporting.cube import Builder, Cube, assemble
from services.reporting.cube_worker import ProcessAssembler, assemble_to_send
from tests.unit.test_suppression_equivalence import VS, region_year

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
LAST = date(2026, 12, 31)


def inputs() -> tuple[Builder, dict[str, set[str]]]:
    """The base cells of the busy synthetic region-year, as cube.load would hand them over."""
    c = region_year(3)
    b = Builder()
    found: dict[str, set[str]] = {}
    # Only the loaded cells (a municipality and month): the worker makes the rest again.
    for (a, p, d, v), n in c.n.items():
        if a and len(p) == 7 and d in ("all", "time", "role", "method", "team", "anonymous"):
            b.add(a, p, d, v, n, c.keys.get((a, p, d, v), 0))
            found.setdefault(d, set()).add(v)
    return b, found


def alone() -> Cube:
    """The cube assembled here, as a thread of the service assembles it (assemble adds to its builder's cells)."""
    b, found = inputs()
    return assemble(b, VS, 2026, LAST, found, NOW, {s.id: s.kind for s in VS.local_services})


def same_figures(got: Cube, want: Cube) -> None:
    assert got.n == want.n and got.keys == want.keys and got.hidden == want.hidden
    assert got.values == want.values and got.in_time == want.in_time and got.as_of == want.as_of


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child that ended but was not reaped yet is a zombie: dead all the same.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ")[1][0] != "Z"


def test_the_cube_sent_back_is_the_cube_without_its_lines() -> None:
    here = alone()
    b, found = inputs()
    sent = assemble_to_send(b, VS, 2026, LAST, found, NOW, {s.id: s.kind for s in VS.local_services})
    assert here.lines and sent.lines == ()
    same_figures(sent, here)
    assert sent == replace(here, lines=())
    # One object per key: the counts, the record-key sums and the hidden cells share them.
    n_keys = {id(k) for k in sent.n}
    assert {id(k) for k in sent.keys} <= n_keys and any(id(k) in n_keys for k in sent.hidden)


async def test_a_real_worker_process_assembles_the_same_cube() -> None:
    builder = ProcessAssembler()
    try:
        b, found = inputs()
        got = await builder(b, VS, 2026, LAST, found, NOW, {s.id: s.kind for s in VS.local_services})
        same_figures(got, alone())
        pid = await builder.worker_pid()
        assert pid != os.getpid() and alive(pid)
        # The same worker serves the next build.
        assert await builder.worker_pid() == pid
    finally:
        builder.close()


async def test_a_dead_worker_is_replaced_and_the_build_is_served() -> None:
    builder = ProcessAssembler()
    b, found = inputs()
    kinds = {s.id: s.kind for s in VS.local_services}
    want = alone()
    try:
        first = await builder.worker_pid()
        os.kill(first, signal.SIGKILL)
        with capture_logs() as logs:
            got = await builder(b, VS, 2026, LAST, found, NOW, kinds)
        same_figures(got, want)
        assert [e["event"] for e in logs] == ["reporting.cube_worker_died"]
        second = await builder.worker_pid()
        assert second != first and alive(second)

        # Killed in the middle of a build: the build runs again in a new worker and still gives the cube.
        with capture_logs() as logs:
            build = asyncio.create_task(builder(b, VS, 2026, LAST, found, NOW, kinds))
            await asyncio.sleep(0.15)
            assert not build.done()
            os.kill(second, signal.SIGKILL)
            got = await build
        same_figures(got, want)
        assert [e["event"] for e in logs] == ["reporting.cube_worker_died"]
        assert await builder.worker_pid() not in (first, second)
    finally:
        builder.close()


async def test_a_build_two_workers_died_on_is_served_from_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    builder = ProcessAssembler()

    async def dies(*args: object) -> object:
        raise BrokenProcessPool("killed twice")

    monkeypatch.setattr(builder, "_run", dies)
    b, found = inputs()
    with capture_logs() as logs:
        got = await builder(b, VS, 2026, LAST, found, NOW, {s.id: s.kind for s in VS.local_services})
    same_figures(got, alone())
    assert [e["event"] for e in logs] == ["reporting.cube_built_in_thread"]


async def test_the_worker_goes_with_the_app_and_nothing_starts_another() -> None:
    builder = ProcessAssembler()
    pid = await builder.worker_pid()
    builder.close()
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not alive(pid)
    # A build asked while the app stops is assembled here, in a thread, rather than in a new worker.
    b, found = inputs()
    got = await builder(b, VS, 2026, LAST, found, NOW, {})
    assert got.lines
    with pytest.raises(RuntimeError):
        await builder.worker_pid()


def test_the_worker_is_never_a_fork_of_the_service() -> None:
    with pytest.raises(ValueError):
        ProcessAssembler("fork")
