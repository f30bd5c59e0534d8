"""``make bench``: every benchmark in one run, each beside its baseline; one table; docs/benchmarks.md rewritten.

``python -m bench [--events N] [--cases N] [--only intake,e2e,replay,dashboard] [--no-docs]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil

from bench import dashboard, e2e, intake, profile, replay
from bench.system import Memory, bare_endpoint, cpu_seconds, postgres_pid, running_system, unsent
from shared.settings import ROOT
from tests.faults.system import SERVICES, System

MB = 1024 * 1024
GOALS = {
    "intake_rate": 1500.0, "intake_p99_ms": 50.0, "intake_share": 0.40, "e2e_p99_ms": 250.0,
    "replay_rate": 50_000.0, "replay_share": 0.50, "dashboard_p95_ms": 100.0, "service_mb": 150.0,
    "stack_mb": 2048.0,
}


class Results:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []  # what, measured, baseline, goal
        self.notes: list[str] = []

    def add(self, what: str, measured: str, baseline: str = "", goal: str = "") -> None:
        self.rows.append((what, measured, baseline, goal))
        print(f"  {what}: {measured}" + (f"  (baseline {baseline})" if baseline else "")  # noqa: T201
              + (f"  [{goal}]" if goal else ""), flush=True)

    def table(self) -> str:
        head = ("measure", "figure", "baseline in the same run", "goal")
        widths = [max(len(r[i]) for r in [head, *self.rows]) for i in range(4)]
        lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |",
                 "| " + " | ".join("-" * w for w in widths) + " |"]
        lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in self.rows]
        return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def wait_drained(system: System, timeout: float = 900.0, *, mail: bool = False, backlog: int = 50) -> float:
    """Until no service has a backlog: outbox and consumer lag under ``backlog`` records (notify's own events
    about what it sent keep a trickle going); with ``mail``, until notify has also sent all that is due (it
    sends some 50 messages a second here, so a flood of requests leaves it busy for long)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        bodies = [httpx.get(f"{system.url(n)}/readyz", timeout=5).json() for n in SERVICES]
        if all((b.get("outbox") or {}).get("depth", 0) < backlog and (b.get("consumer") or {}).get("lag", 0) < backlog
               for b in bodies) and (not mail or asyncio.run(unsent(system.dsn)) == 0):
            return time.monotonic() - started
        time.sleep(0.5)
    raise TimeoutError("the services did not catch up with the load")


@contextmanager
def paused(system: System, names: tuple[str, ...]) -> Iterator[None]:
    """SIGSTOP the services downstream of intake, so that intake is measured on its own; SIGCONT after.

    Their consumers then catch up with what arrived meanwhile, as after any pause.
    """
    for name in names:
        os.kill(system.procs[name].pid or 0, signal.SIGSTOP)
    try:
        yield
    finally:
        for name in names:
            os.kill(system.procs[name].pid or 0, signal.SIGCONT)


DOWNSTREAM = ("routing", "notify", "reporting")


@dataclass(frozen=True)
class Floor:
    """A baseline endpoint under intake's own wrk runs: closed loop, then paced at the goal's rate."""

    closed: intake.WrkRun
    paced: intake.WrkRun
    cpu_ms: dict[str, float]  # CPU per closed-loop request: the endpoint's, PostgreSQL's and wrk's ("children")

    def share(self, run: intake.WrkRun) -> float:
        return run.rate / self.closed.rate if self.closed.rate else 0.0


def measure_floor(system: System, seconds: int, module: str, *args: str) -> Floor:
    """``python -m module PORT *args`` under the same wrk runs as intake, with the system idle."""
    with bare_endpoint(module, *args) as app:
        intake.wrk(app.url, seconds=3, connections=32)  # warm-up
        parts = {"endpoint": app.pid, "postgres": postgres_pid(system)}
        cpu_before = cpu_seconds(parts)
        closed = intake.wrk(app.url, seconds=seconds, connections=32)
        cpu = {k: (v - cpu_before[k]) / max(1, closed.requests) * 1000 for k, v in cpu_seconds(parts).items()}
        paced = intake.wrk(app.url, seconds=seconds, connections=60, rate=GOALS["intake_rate"])
    return Floor(closed, paced, cpu)


def bench_intake(results: Results, system: System, seconds: int) -> None:
    print("intake: the bare endpoint, the durable floor, then intake (wrk, closed loop, then paced)",  # noqa: T201
          flush=True)
    bare = measure_floor(system, seconds, "bench.bare")
    durable = measure_floor(system, seconds, "bench.bare_insert", system.dsn)
    results.notes.append(
        "The durable floor (`bench/bare_insert.py`) is the bare endpoint plus one INSERT into a plain table of the"
        f" same PostgreSQL (synchronous_commit {asyncio.run(intake.synchronous_commit(system.dsn))}), committed"
        " before the 201, on intake's stack (uvicorn, FastAPI, an asyncpg pool) under the same wrk runs: the least"
        " that any durable accept costs on this machine. What separates intake from it is intake's own work"
        " (sealing, the pick-up code's hash, the outbox, the relay's publish, metrics).")
    url = system.url("intake")
    intake.wrk(url, seconds=3, connections=32)
    wait_drained(system)
    alone = intake_alone(results, system, seconds, bare, durable)
    together = intake.wrk(url, seconds=seconds, connections=32)
    wait_drained(system)
    results.add("intake with the whole system at work on the same 2 cores, closed loop, wrk -c32",
                f"{together.rate:,.0f}/s (p50 {together.p50_ms:.1f} ms, p99 {together.p99_ms:.1f} ms)")
    intake_paced(results, system, seconds, alone, bare, durable)
    pid = system.procs["intake"].pid or 0
    with paused(system, DOWNSTREAM), profile.sampled("intake alone under wrk -c32", pid) as found:
        intake.wrk(url, seconds=seconds, connections=32)
    wait_drained(system)
    results.notes.append(found[0].summary())


def intake_alone(results: Results, system: System, seconds: int, bare: Floor, durable: Floor) -> intake.WrkRun:
    """Intake's closed-loop capacity with the services downstream paused, beside both floors."""
    goal = GOALS["intake_rate"]
    parts = {"intake": system.procs["intake"].pid or 0, "postgres": postgres_pid(system),
             "kafka": system.kafka.proc.pid if system.kafka.proc else 0}
    with paused(system, DOWNSTREAM):
        before = asyncio.run(intake.stored(system.dsn))
        cpu_before = cpu_seconds(parts)
        alone = intake.wrk(system.url("intake"), seconds=seconds, connections=32)
        cpu = {k: v - cpu_before[k] for k, v in cpu_seconds(parts).items()}
        time.sleep(1)
        stored = asyncio.run(intake.stored(system.dsn)) - before
    wait_drained(system)
    share = bare.share(alone)
    results.add("intake alone (routing, notify, reporting paused): requests stored per second, closed loop,"
                " wrk -c32", f"{alone.rate:,.0f}/s (p50 {alone.p50_ms:.1f} ms, p99 {alone.p99_ms:.1f} ms):"
                f" {share:.0%} of bare, {durable.share(alone):.0%} of the durable floor",
                f"bare endpoint {bare.closed.rate:,.0f}/s (p99 {bare.closed.p99_ms:.1f} ms); durable floor"
                f" {durable.closed.rate:,.0f}/s (p99 {durable.closed.p99_ms:.1f} ms)",
                f"≥ 1,500/s and ≥ 40% of bare: {share:.0%}, {verdict(alone.rate >= goal and share >= 0.4)}")
    results.add("intake: rows in intake's table after that run / 201 answers",
                f"{stored:,} / {alone.requests - alone.non_2xx:,} (non-2xx {alone.non_2xx}, errors {alone.errors})",
                f"durable floor: non-2xx {durable.closed.non_2xx}, errors {durable.closed.errors}")
    per = {k: v / max(1, alone.requests) * 1000 for k, v in cpu.items()}
    results.add("intake alone: CPU per request (ms), from each process's CPU time during that run",
                f"intake {per['intake']:.2f}, PostgreSQL {per['postgres']:.2f}, Kafka {per['kafka']:.2f},"
                f" wrk {per['children']:.2f}: {sum(per.values()):.2f} in all",
                f"bare endpoint {bare.cpu_ms['endpoint']:.2f}, wrk {bare.cpu_ms['children']:.2f}; durable floor"
                f" {durable.cpu_ms['endpoint']:.2f}, PostgreSQL {durable.cpu_ms['postgres']:.2f},"
                f" wrk {durable.cpu_ms['children']:.2f}",
                f"1,500/s needs ≤ {2000 / goal:.2f} in all on 2 cores")
    return alone


def intake_paced(results: Results, system: System, seconds: int, alone: intake.WrkRun, bare: Floor,
                 durable: Floor) -> None:
    """Intake alone paced at the goal's rate beside both floors, and at 70% of its capacity if that fails."""
    goal, url = GOALS["intake_rate"], system.url("intake")
    with paused(system, DOWNSTREAM):
        paced = intake.wrk(url, seconds=seconds, connections=60, rate=goal)
    wait_drained(system)
    ok = paced.rate >= 0.98 * goal and paced.p99_ms <= GOALS["intake_p99_ms"]
    results.add("intake alone, paced at 1,500 requests/s (wrk -c60, each connection one request per 40 ms)",
                f"{paced.rate:,.0f}/s achieved, p50 {paced.p50_ms:.1f} ms, p99 {paced.p99_ms:.1f} ms",
                f"bare endpoint {bare.paced.rate:,.0f}/s, p50 {bare.paced.p50_ms:.1f} ms, p99"
                f" {bare.paced.p99_ms:.1f} ms; durable floor {durable.paced.rate:,.0f}/s, p50"
                f" {durable.paced.p50_ms:.1f} ms, p99 {durable.paced.p99_ms:.1f} ms",
                f"p99 ≤ 50 ms at 1,500/s: {verdict(ok)}")
    if not ok:
        rate = round(alone.rate * 0.7, -1)
        with paused(system, DOWNSTREAM):
            held = intake.wrk(url, seconds=seconds, connections=60, rate=rate)
        wait_drained(system)
        results.add(f"intake alone, paced at 70% of its capacity ({rate:,.0f} requests/s)",
                    f"{held.rate:,.0f}/s achieved, p50 {held.p50_ms:.1f} ms, p99 {held.p99_ms:.1f} ms")


def bench_e2e(results: Results, system: System, probes: int, poll_ms: float) -> None:
    print("end to end: probes while 50 requests/s run in the background", flush=True)  # noqa: T201
    done = asyncio.run(e2e.run(system.url("intake"), system.url("routing"), probes=probes, poll_s=poll_ms / 1000))
    p50, p99 = done.percentile(0.5) * 1000, done.percentile(0.99) * 1000
    results.add(f"end to end: POST to the case in routing's API ({len(done.probes)} probes, polled every"
                f" {poll_ms:g} ms)",
                f"p50 {p50:.0f} ms, p99 {p99:.0f} ms",
                f"{done.background_sent / done.background_seconds:.0f} requests/s in the background"
                f" ({done.background_failed} failed)", f"p99 ≤ 250 ms: {verdict(p99 <= GOALS['e2e_p99_ms'])}")


def bench_memory(results: Results, memory: Memory) -> None:
    rest, load = memory.peaks.get("rest", {}), memory.peaks.get("load", {})
    worst = max((load.get(n, 0) for n in SERVICES), default=0) / MB
    for name in SERVICES:
        results.add(f"memory: {name} (RSS at rest / peak under load)",
                    f"{rest.get(name, 0) / MB:.0f} MB / {load.get(name, 0) / MB:.0f} MB")
    results.add("memory: Kafka (RSS, heap -Xmx512m) / PostgreSQL (PSS, all its processes)",
                f"{load.get('kafka', 0) / MB:.0f} MB / {load.get('postgres', 0) / MB:.0f} MB")
    stack = load.get("stack", 0) / MB
    results.add("memory: the whole stack under load (PSS: services, Kafka, PostgreSQL)", f"{stack:.0f} MB", "",
                f"each service ≤ 150 MB: {verdict(worst <= GOALS['service_mb'])}; stack ≤ 2 GiB:"
                f" {verdict(stack <= GOALS['stack_mb'])}")


def bench_replay(results: Results, system: System, events: int) -> None:
    print(f"replay: {events:,} events into routing's and reporting's projections", flush=True)  # noqa: T201
    done = asyncio.run(replay.run(system.dsn, system.kafka.bootstrap, count=events, postgres_pid=postgres_pid(system)))
    results.add("replay: the stream (a demo region-year: requests, staff steps, feedback)",
                f"{done.events / done.cases:.1f} events per case, {done.bytes_per_event:,.0f} bytes per event")
    floor = done.decode_copy
    floor_rate = floor.records / floor.seconds
    for name, rebuilt in (("routing", done.routing), ("reporting", done.reporting)):
        rate = rebuilt.records / rebuilt.seconds
        share = rate / done.raw_per_s
        results.add(f"replay: {name}'s projection rebuilt from {done.events:,} events (~{done.cases:,} cases)",
                    f"{rate:,.0f} events/s: {share:.0%} of raw consume, {rate / floor_rate:.0%} of decode + COPY",
                    f"raw aiokafka consume {done.raw_per_s:,.0f} records/s; decode + COPY {floor_rate:,.0f} events/s",
                    f"≥ 50,000/s and ≥ 50% of raw: {share:.0%}, "
                    f"{verdict(rate >= GOALS['replay_rate'] and share >= GOALS['replay_share'])}")
        results.add(f"replay: {name}: CPU per event (µs), from each process's CPU time during the rebuild",
                    f"rebuild process {rebuilt.per_event_ms(rebuilt.cpu_s) * 1000:.0f},"
                    f" PostgreSQL {rebuilt.per_event_ms(rebuilt.postgres_cpu_s) * 1000:.0f}",
                    f"raw consume {done.raw_cpu_ms * 1000:.1f} per record; decode + COPY: process"
                    f" {floor.per_event_ms(floor.cpu_s) * 1000:.0f}, PostgreSQL"
                    f" {floor.per_event_ms(floor.postgres_cpu_s) * 1000:.0f}",
                    f"50,000/s needs ≤ {2e6 / GOALS['replay_rate']:.0f} in all on 2 cores")
    results.notes.append(
        "Decode + COPY (`bench/decode_copy.py`) reads the same topic with the replay's fetch settings, decodes"
        " every record with the project's codec (`shared.codec.decode`) and COPYs its envelope into a plain table"
        f" in batches of {replay.BATCH:,}, a transaction each, with a worker per partition as the rebuild has: no"
        " replay that reads every event as the projections do and stores it can go faster on this machine, and"
        " what separates a rebuild from it is the projection's own work (its state, upserts into indexed tables,"
        " the offsets).")
    for name in ("routing", "reporting"):  # again under py-spy, which the figures above do not carry
        results.notes.append(replay.profiled(name, system.dsn, system.kafka.bootstrap).summary())


def bench_dashboard(results: Results, system: System, cases: int) -> None:
    print(f"dashboard: every table of every page over {cases:,} cases", flush=True)  # noqa: T201
    done = asyncio.run(dashboard.run(system.dsn, "reporting_replay_projection_next", cases=cases))
    name, slowest = done.slowest
    ok = slowest <= GOALS["dashboard_p95_ms"]
    results.add(f"dashboard: p95 of each table's query over {done.cases:,} cases (slowest)",
                f"{slowest:.0f} ms ({name})", "", f"≤ 100 ms: {verdict(ok)}")
    for page, ms in done.per_page_p95_ms.items():
        results.add(f"dashboard: p95 of the whole /{page} page's queries", f"{ms:.0f} ms")
    results.add("dashboard: p95 of a page that builds the cube first (no cube kept yet; slowest page)",
                f"{max(done.cold_page_p95_ms.values()):.0f} ms")
    results.notes.append("Per table p95 (ms): " + ", ".join(
        f"{k} {v:.0f}" for k, v in sorted(done.per_table_p95_ms.items(), key=lambda kv: -kv[1])))


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return (f"{psutil.cpu_count()} cores ({cpu}), {psutil.virtual_memory().total / 1024**3:.0f} GiB, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    return done.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


def write_docs(results: Results, command: str, seconds: float) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else ""
    marker_start, marker_end = "<!-- bench:start -->", "<!-- bench:end -->"
    block = "\n".join([
        marker_start,
        f"Last run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}, `{command}`, {seconds / 60:.0f} min.",
        f"Machine: {machine()}.",
        "",
        results.table(),
        "",
        *[f"{note}\n" for note in results.notes],
        marker_end,
    ])
    if marker_start in text and marker_end in text:
        text = text[:text.index(marker_start)] + block + text[text.index(marker_end) + len(marker_end):]
    else:
        text = "# Benchmarks\n\n" + block + "\n"
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--events", type=int, default=1_000_000, help="events replayed (default 1,000,000)")
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases the dashboards read (default 1,000,000)")
    parser.add_argument("--seconds", type=int, default=15, help="length of each wrk run")
    parser.add_argument("--probes", type=int, default=300, help="end-to-end probes")
    parser.add_argument("--poll-ms", type=float, default=2.0, help="how often a probe asks routing for its case")
    parser.add_argument("--only", default="intake,e2e,replay,dashboard")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    chosen = set(args.only.split(","))
    started = time.monotonic()
    results = Results()
    quiet = {"APUA_LOG_LEVEL": os.environ.get("APUA_LOG_LEVEL", "INFO")}
    with running_system(quiet) as system, Memory(system).watching() as memory:
        memory.phase = "rest"
        time.sleep(5)
        memory.phase = "load"
        # End to end first: intake's floods leave notify with hours of mail to send, which would compete.
        if "e2e" in chosen:
            bench_e2e(results, system, args.probes, args.poll_ms)
            wait_drained(system, mail=True)
        if "intake" in chosen:
            bench_intake(results, system, args.seconds)
        memory.phase = None
        if chosen & {"intake", "e2e"}:
            bench_memory(results, memory)
        for name in SERVICES:  # the rest measures the projections' code, not the running services
            system.stop(name)
        if "replay" in chosen or "dashboard" in chosen:
            bench_replay(results, system, args.events)
        if "dashboard" in chosen:
            bench_dashboard(results, system, args.cases)
    seconds = time.monotonic() - started
    print("\n" + results.table())  # noqa: T201
    for note in results.notes:
        print(note)  # noqa: T201
    if not args.no_docs:
        write_docs(results, "make bench" if len(sys.argv) == 1 else "python -m bench " + " ".join(sys.argv[1:]),
                   seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
