"""The fault suite's run: start everything, keep the load going, inject faults one after another, check.

``run_suite`` returns the report (its table is written to ``.local/faults/last-run.txt``); the
tests assert on its zeros. Each fault is a SIGKILL of a part (or a stop of the SMTP server),
a few seconds of absence while families keep sending, and a start on the same port with the
same data; the time to recover is measured from that start until the part's ``/readyz`` (every
service's, after the broker or PostgreSQL) has been 200 with consumer lag 0 and an empty outbox.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from deploy.local.infra import ROOT
from shared.regions import load_regions
from tests.faults.check import FaultRecord, Report, collect, judge
from tests.faults.links import LinkWork
from tests.faults.load import FamilyLoad, StaffWork
from tests.faults.system import SERVICES, Readiness, System

# The last run's table, and every process's log when something was not zero.
OUT = ROOT / ".local" / "faults"
# Due by now and not withdrawn: a call's reminder waits for its time, and one withdrawn is never sent.
PENDING_SQL = """
SELECT count(*) FROM notify_projection.notifications_due n LEFT JOIN notify.deliveries d USING (notification_id)
WHERE n.due_since <= now() AND n.withdrawn_at IS NULL
  AND (d.notification_id IS NULL OR d.status IN ('sending', 'retry'))
"""


@dataclass(frozen=True)
class Fault:
    name: str
    target: str  # "kafka", "postgres", a service, or "smtp"
    down_s: float

    @property
    def watched(self) -> tuple[str, ...]:
        """Whose recovery is timed: every service after the broker or the database, else the part itself
        (notify for the SMTP server). The others are noted too, but their lag under the steady load is
        noise, not recovery."""
        if self.target in ("kafka", "postgres"):
            return SERVICES
        return ("notify",) if self.target == "smtp" else (self.target,)


FULL = [
    Fault("kill -9 Kafka broker", "kafka", 8.0),
    Fault("kill -9 PostgreSQL (postmaster)", "postgres", 5.0),
    Fault("kill -9 intake", "intake", 3.0),
    Fault("kill -9 routing", "routing", 3.0),
    Fault("kill -9 notify", "notify", 3.0),
    Fault("kill -9 reporting", "reporting", 3.0),
    Fault("SMTP server stopped", "smtp", 10.0),
]


async def pending_notifications(system: System) -> int:
    conn = await asyncpg.connect(system.dsn, timeout=5)
    try:
        return int(await conn.fetchval(PENDING_SQL))
    finally:
        await conn.close()


async def retries_waiting(system: System) -> int:
    conn = await asyncpg.connect(system.dsn, timeout=5)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM notify.deliveries WHERE status = 'retry'"))
    finally:
        await conn.close()


async def _break(system: System, fault: Fault) -> None:
    if fault.target == "kafka":
        await asyncio.to_thread(system.kill_kafka)
    elif fault.target == "postgres":
        await asyncio.to_thread(system.kill_postgres)
    elif fault.target == "smtp":
        await asyncio.to_thread(system.stop, "smtp")
    else:
        await asyncio.to_thread(system.kill, fault.target)


async def _restore(system: System, fault: Fault) -> None:
    if fault.target == "kafka":
        await asyncio.to_thread(system.start_kafka)
    elif fault.target == "postgres":
        await asyncio.to_thread(system.start_postgres)
    else:
        await asyncio.to_thread(system.start, fault.target)


async def inject(system: System, fault: Fault, load: FamilyLoad, readiness: Readiness,
                 recovery_timeout: float) -> FaultRecord:
    record = FaultRecord(name=fault.name, target=fault.target, injected_at=time.monotonic(),
                         injected_wall=time.time())
    await _break(system, fault)
    record.broken_wall = time.time()
    await asyncio.sleep(fault.down_s)
    await _restore(system, fault)
    record.restored_at = time.monotonic()
    record.down_s = record.restored_at - record.injected_at
    counts = load.counts(record.injected_at, record.restored_at)
    record.accepted_while_down = counts["201"] + counts["200"]
    record.refused_while_down = sum(v for k, v in counts.items() if k not in ("201", "200"))
    try:
        seconds = await readiness.recovered(record.restored_at, recovery_timeout, fault.watched)
        if fault.target == "smtp":  # and the e-mails that waited for it have gone
            deadline = time.monotonic() + recovery_timeout
            while await retries_waiting(system) and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            seconds = max(seconds, time.monotonic() - record.restored_at)
        record.recovered_s = seconds
    except TimeoutError as exc:
        record.notes.append(str(exc))
    record.unavailable_while_down = counts["503"]
    followups = load.counts(record.injected_at, record.restored_at, followups=True)
    if followups:
        record.notes.append("follow-ups answered while down: " + ", ".join(
            f"{kind} {n}" for kind, n in sorted(followups.items())))
    down = readiness.between(record.injected_at + 3, record.restored_at)
    intake = [s for s in down if s.service == "intake"]
    record.kafka_down_seen = sum(s.body.get("kafka") == "down" for s in intake)
    record.outbox_depth_seen = max((s.outbox_depth for s in intake), default=0)
    after = readiness.between(record.restored_at, record.restored_at + (record.recovered_s or recovery_timeout))
    record.lag_seen = {name: max((s.lag for s in after if s.service == name), default=0) for name in SERVICES}
    firsts = readiness.first_healthy(record.restored_at)
    record.notes.append("healthy again after " + ", ".join(
        f"{name} {firsts[name]:.1f} s" if name in firsts else f"{name} not yet" for name in SERVICES))
    slowest = max(firsts, key=lambda name: firsts[name], default=None)
    if slowest is not None and firsts[slowest] > 10:
        reasons = Counter(s.why_not() for s in readiness.since(record.restored_at, slowest)
                          if s.at < record.restored_at + firsts[slowest])
        record.notes.append(f"{slowest} was not healthy because: " + ", ".join(
            f"{why} ({n} times)" for why, n in reasons.most_common()))
    if fault.target == "kafka":
        record.notes.append(
            f"while the broker was away intake's /readyz said kafka down {record.kafka_down_seen} times and its "
            f"outbox held up to {record.outbox_depth_seen} records; after the broker came back /readyz showed "
            "consumer lag up to " + ", ".join(f"{name} {lag}" for name, lag in record.lag_seen.items()))
    return record


async def wait_quiet(system: System, readiness: Readiness, timeout: float,
                     services: tuple[str, ...] = SERVICES) -> float:
    """Until ``services`` are ready with lag 0 and empty outboxes, and notify has nothing left to send."""
    started = time.monotonic()
    deadline = started + timeout
    calm = 0
    while calm < 2:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the system did not settle within {timeout:.0f} s after the load stopped")
        await asyncio.sleep(2.0)
        recent = {s.service: s for s in readiness.since(time.monotonic() - 1.5) if s.service in services}
        healthy = len(recent) == len(services) and all(s.healthy() for s in recent.values())
        try:
            pending = await pending_notifications(system)
        except (OSError, asyncpg.PostgresError):
            pending = -1
        calm = calm + 1 if healthy and pending == 0 else 0
    return time.monotonic() - started


async def run_suite(faults: list[Fault], *, rate: float, title: str, warmup_s: float = 15.0,
                    settle_s: float = 5.0, recovery_timeout: float = 240.0) -> Report:
    root = Path(tempfile.mkdtemp(prefix="apua-faults-"))
    system = System(root)
    regions = load_regions(ROOT / "deploy" / "regions")
    began = time.monotonic()
    report: Report | None = None
    try:
        await asyncio.to_thread(system.start_infra)
        system.start("smtp")
        system.start("sms")
        await asyncio.to_thread(system.add_staff)
        for name in SERVICES:
            system.start(name)
        await asyncio.to_thread(system.wait_ready)
        readiness = Readiness(system)
        stop_monitor, stop_load = asyncio.Event(), asyncio.Event()
        load = FamilyLoad(system.url("intake"), regions, rate)
        staff = StaffWork(system.url("routing"), load, regions)
        links = LinkWork(system.url("routing"), load)
        tasks = [asyncio.create_task(readiness.run(stop_monitor)), asyncio.create_task(load.run(stop_load)),
                 asyncio.create_task(staff.run(stop_load)), asyncio.create_task(links.run(stop_load))]
        try:
            load_began = time.monotonic()
            await asyncio.sleep(warmup_s)
            await readiness.recovered(time.monotonic(), recovery_timeout)
            records = []
            for fault in faults:
                records.append(await inject(system, fault, load, readiness, recovery_timeout))
                await asyncio.sleep(settle_s)
            stop_load.set()
            await asyncio.gather(tasks[1], tasks[2], tasks[3])
            load_s = time.monotonic() - load_began
            notes = []
            try:
                settled = await wait_quiet(system, readiness, timeout=300.0)
                notes.append(f"settled {settled:.0f} s after the load stopped")
            except TimeoutError as exc:
                notes.append(str(exc))
        finally:
            stop_load.set()
            stop_monitor.set()
            for task in tasks:
                if not task.done():
                    task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        exited = [name for name in SERVICES if not system.procs[name].alive()]
        facts = await collect(system, [r.id for r in regions])
        report = judge(facts, load, staff, records, load_s, links)
        report.add("services that exited by themselves", len(exited), must_be_zero=True)
        report.add("faults not recovered from in time", sum(r.recovered_s is None for r in records), must_be_zero=True)
        report.add("wall time of the run (s)", f"{time.monotonic() - began:.0f}")
        report.explained.extend(notes)
        text = report.render(title)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "last-run.txt").write_text(text)
        return report
    finally:
        if report is None or report.problems:
            logs = OUT / "last-run-logs"
            shutil.rmtree(logs, ignore_errors=True)
            shutil.copytree(system.logs, logs)
            for name in ("smtp.jsonl", "sms.jsonl"):
                if (root / name).exists():
                    shutil.copy(root / name, logs / name)
        await asyncio.to_thread(system.shutdown)
        shutil.rmtree(root, ignore_errors=True)
