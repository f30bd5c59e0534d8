"""The system the benchmarks measure: Kafka, PostgreSQL and the four services as processes, and their memory.

The same processes as in production (``python -m services.<name>`` under uvicorn), started on free
ports by the fault suite's :class:`~tests.faults.system.System` with the topic prefix ``bench``.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import psutil

from deploy.local.infra import free_port
from tests.faults.scenario import PENDING_SQL
from tests.faults.system import SERVICES, Process, System

PREFIX = "bench"


@contextmanager
def running_system(extra_env: dict[str, str] | None = None) -> Iterator[System]:
    root = Path(tempfile.mkdtemp(prefix="apua-bench-"))
    system = System(root, prefix=PREFIX, extra_env=extra_env or {})
    try:
        system.start_infra()
        system.start("smtp")
        system.start("sms")
        system.add_staff()
        for name in SERVICES:
            system.start(name)
        system.wait_ready()
        yield system
    finally:
        system.shutdown()
        shutil.rmtree(root, ignore_errors=True)


def _tree_cpu(pid: int) -> float:
    """A process's CPU time, its live descendants' and that of the children it has already reaped
    (PostgreSQL's backends come and go with the connections)."""
    tree = _tree(pid)
    if not tree:
        return 0.0
    root = tree[0].cpu_times()
    return root.user + root.system + root.children_user + root.children_system + sum(
        sum(p.cpu_times()[:2]) for p in tree[1:])


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user and system) each process tree has used so far; ``children``: this process's finished
    children (wrk, a rebuild)."""
    used = {name: _tree_cpu(pid) for name, pid in pids.items()}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    used["children"] = children.ru_utime + children.ru_stime
    return used


@dataclass(frozen=True)
class Bare:
    url: str
    pid: int


@contextmanager
def bare_endpoint(module: str = "bench.bare", *args: str) -> Iterator[Bare]:
    """A baseline app (``python -m module PORT *args``) on a port of its own."""
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="apua-bare-"))
    process = Process([sys.executable, "-m", module, str(port), *args], root / "bare.log")
    process.start({**os.environ})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or not process.alive():
                    raise RuntimeError(f"{module} did not start; see {process.log}") from None
                time.sleep(0.2)
        assert process.pid is not None
        yield Bare(f"http://127.0.0.1:{port}", process.pid)
    finally:
        process.stop()
        shutil.rmtree(root, ignore_errors=True)


def _tree(pid: int) -> list[psutil.Process]:
    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _pss(processes: list[psutil.Process]) -> int:
    """Proportional set size: shared pages (PostgreSQL's shared buffers) counted once across processes."""
    total = 0
    for p in processes:
        try:
            total += p.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def _rss(processes: list[psutil.Process]) -> int:
    total = 0
    for p in processes:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


async def unsent(dsn: str) -> int:
    """Notifications notify has made due and not yet sent (or is retrying)."""
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval(PENDING_SQL))
    finally:
        await conn.close()


def postgres_pid(system: System) -> int:
    return int((system.pg.data_dir / "pgdata" / "postmaster.pid").read_text().splitlines()[0])


@dataclass
class Memory:
    """Peak resident memory per part, sampled twice a second while ``phase`` is set."""

    system: System
    peaks: dict[str, dict[str, int]] = field(default_factory=dict)  # phase -> part -> bytes
    phase: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> dict[str, int]:
        parts: dict[str, int] = {}
        for name in SERVICES:
            pid = self.system.procs[name].pid
            parts[name] = _rss(_tree(pid)) if pid else 0
        assert self.system.kafka.proc is not None
        parts["kafka"] = _rss(_tree(self.system.kafka.proc.pid))
        parts["postgres"] = _pss(_tree(postgres_pid(self.system)))
        stack = sum(_pss(_tree(self.system.procs[n].pid or 0)) for n in SERVICES)
        parts["stack"] = stack + _pss(_tree(self.system.kafka.proc.pid)) + parts["postgres"]
        return parts

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            phase = self.phase
            if phase is None:
                continue
            now = self.sample()
            peak = self.peaks.setdefault(phase, {})
            for part, value in now.items():
                peak[part] = max(peak.get(part, 0), value)

    @contextmanager
    def watching(self) -> Iterator[Memory]:
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
