"""Making a region-year's cube from its query rows (cube.built) in a process of its own, so no page waits for it.

Adding up the rows, the lines and the single-line rule are pure Python: in a thread of the service's own process
they hold the interpreter's lock for the better part of a second, and every query result a page awaits meanwhile
waits for the lock back (the /report, /response and /outcomes pages took seconds at the 95th percentile while a
rebuild ran on a loaded machine; docs/benchmarks.md). So a reporting process keeps one worker process for it:

* created at the first build (or the warm-up's), never at import, with the ``forkserver`` start method: forking
  the service itself would copy its event loop, threads and sockets half-way; the fork server starts clean once
  with the cube's modules imported, and a worker forked from it is ready in a few tens of milliseconds;
* one worker, so builds queue there rather than take both cores from the pages (the store builds one cube per
  region-year at a time anyway);
* its input is the rows of cube.load's queries (cube.Rows, plain tuples: adding them up into cells is the
  worker's work too, not the event loop's); its output the cube without its lines: no page reads them, and they
  are two thirds of the pickled cube (9 MB, 0.26 s to read back, all of it holding the lock). Each key and word
  of the cells is made one object before sending (n, keys and hidden share them), so the cube sent is about
  2 MB, read back in 15–25 ms;
* if the worker dies (killed, out of memory), the build fails with BrokenProcessPool: a new worker is started and
  the build runs once more, logged as ``reporting.cube_worker_died``; should that one die too, the build runs in a
  thread here (``reporting.cube_built_in_thread``), so a page is served either way;
* let go with the app (its lifespan) without waiting: the worker ends after the build it runs, if any; and if
  the service is killed, the worker ends at once by itself (:func:`end_with`), and its fork server with it.

Its cost (measured on the synthetic region-year of tests/unit/test_cube_worker.py): the first start 0.6 s (the
fork server's imports), a new worker after a death 15–30 ms, a build with its sending both ways 0.5 s; memory,
the worker about 70 MB PSS once it has built a cube and the fork server about 30 MB, beside a service that no
longer holds a cube's lines. The worker runs no main module of the service's: ``python -m services.reporting``
is a package's ``__main__``, which multiprocessing never imports again in a child (a script that starts a worker
must guard its start with ``if __name__ == "__main__"``).

``APUA_STATS_BUILD_IN_PROCESS=false`` keeps the work in a thread of the service's process (cube.load's default),
for tests and small deployments where a process costs more than it saves.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from datetime import date, datetime

import structlog

from services.reporting.cube import Cube, Key, Rows, built
from shared.regions import Region

log = structlog.get_logger(__name__)
START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def build_to_send(rows: Rows, region: Region, year: int, last: date, now: datetime) -> Cube:
    """The cube of the query rows as the worker sends it back: without its lines, each cell's key one object."""
    # A build makes some 300,000 tuples and no cycles among them: the cyclic collector's passes over them were 40%
    # of its time. This process does nothing else meanwhile, so the collector waits until the build is done
    # (reference counting frees what the build drops, as ever). Not in the service's own process: other threads.
    gc.disable()
    try:
        cube = built(rows, region, year, last, now)
    finally:
        gc.enable()
    one: dict[Key, Key] = {}
    words: dict[str, str] = {}

    def same(key: Key) -> Key:
        found_key = one.get(key)
        if found_key is None:
            a, p, d, v = (words.setdefault(s, s) for s in key)
            found_key = one[key] = (a, p, d, v)
        return found_key

    return replace(cube, n={same(k): c for k, c in cube.n.items()}, keys={same(k): s for k, s in cube.keys.items()},
                   hidden=frozenset(same(k) for k in cube.hidden), lines=())


def end_with(service_pid: int) -> None:
    """In the worker, at its start: end it as soon as the service that started it ends, however it ends."""
    # A worker waits for builds on a pipe it holds both ends of, and its fork server waits for every worker: when
    # the service is killed (SIGKILL, a crash) neither would ever notice, and both would stay forever.
    def watch() -> None:
        try:
            pidfd = os.pidfd_open(service_pid)
        except (AttributeError, OSError):  # no pidfd (not Linux 5.3+): look once a second
            while _alive(service_pid):
                time.sleep(1.0)
        else:
            select.select([pidfd], [], [])  # readable once the process has ended
        os._exit(0)

    threading.Thread(target=watch, name="end-with-service", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class ProcessAssembler:
    """Assembles cubes in one worker process, started when first needed and again after it died."""

    def __init__(self, method: str = START_METHOD) -> None:
        if method == "fork":
            raise ValueError("a worker forked from the service would copy its event loop, threads and sockets")
        self._method = method
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False

    def _running(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context(self._method)
            if self._method == "forkserver":
                # The fork server imports these once; each worker forked from it starts with them.
                context.set_forkserver_preload(["services.reporting.cube", "services.reporting.cube_worker"])
            self._executor = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=end_with,
                                                 initargs=(os.getpid(),))
        return self._executor

    def _drop(self, executor: ProcessPoolExecutor) -> None:
        if self._executor is executor:
            self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)

    async def _run(self, fn: Callable[..., object], *args: object) -> object:
        if self._closed:
            raise RuntimeError("the cube worker was let go: the app is stopping")
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            executor = self._running()
            try:
                return await loop.run_in_executor(executor, fn, *args)
            except BrokenProcessPool:
                # Killed or out of memory: nothing of it is kept; a new worker does the build again.
                log.warning("reporting.cube_worker_died", attempt=attempt)
                self._drop(executor)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def __call__(self, rows: Rows, region: Region, year: int, last: date, now: datetime) -> Cube:
        """The cube, made in the worker; in a thread when two workers died on it, or once the app has let the
        worker go (it is stopping)."""
        if not self._closed:
            try:
                cube = await self._run(build_to_send, rows, region, year, last, now)
                assert isinstance(cube, Cube)
                return cube
            except BrokenProcessPool:
                # Two workers in a row died on this build: the page is still served, from a thread of this process.
                log.error("reporting.cube_built_in_thread")
        return await asyncio.to_thread(built, rows, region, year, last, now)

    async def worker_pid(self) -> int:
        """The worker's process id (starting it if needed): for a test that kills it, and for an operator's log."""
        pid = await self._run(os.getpid)
        assert isinstance(pid, int)
        return pid

    def close(self) -> None:
        """Let the worker go: it ends after the build it runs, if any; builds waiting for it are cancelled."""
        self._closed = True
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
