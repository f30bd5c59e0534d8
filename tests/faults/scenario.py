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
from tests.faults.catchup import Backlog, backlog_at_restart, caught_up
from tests.faults.check import FaultRecord, Report, collect, judge
from tests.faults.links import LinkWork
from tests.faults.load import FamilyLoad, StaffWork
from tests.faults.recorded import RecordedContacts, collect_recorded
from tests.faults.referrals import ReferralWork
from tests.faults.system import SERVICES, Readiness, System

# The last run's table, and every process's log when something was not zero.
OUT = ROOT / ".local" / "faults"
# Due by now and not withdrawn: a call's reminder waits for its time, and one withdrawn is never sent.
PENDING_SQL = """
SELECT count(*) FROM notify_projection.notifications_due n LEFT JOIN notify.deliveries d USING (notification_id)
WHERE n.due_since <= now() AND n.withdrawn_at IS NULL
  AND (d.notification_id IS NULL OR d.status IN ('sending', 'retry'))
"""


# A killed service serves again (/readyz 200, consumer lag 0, outbox empty) within this many seconds of its
# restart, in every run: the suite fails past it. The broker's, the database's and the SMTP server's
# outages are other faults, bound only by the run's recovery timeout.
KILLED_SERVICE_BOUND_S = 15.0


@dataclass(frozen=True)
class Fault:
    name: str
    target: str  # "kafka", "postgres", a service, or "smtp"
    down_s: float

    def bound_s(self, recovery_timeout: float) -> float:
        """The longest recovery allowed: the killed-service bound for a service, else the run's timeout."""
        return KILLED_SERVICE_BOUND_S if self.target in SERVICES else recovery_timeout

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


def judge_recoveries(report: Report, records: list[FaultRecord]) -> None:
    """The row that fails the run when a killed service took longer than its bound to serve again."""
    late = [r for r in records if r.target in SERVICES and r.over_bound]
    report.add(f"killed services serving again later than {KILLED_SERVICE_BOUND_S:g} s after their restart",
               len(late), must_be_zero=True)
    for r in late:
        shown = "never" if r.recovered_s is None else f"{r.recovered_s:.1f} s"
        report.explained.append(f"{r.name}: served again after {shown}, past the bound of {r.bound_s:g} s")


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


async def service_recovered(system: System, readiness: Readiness, service: str, backlog: Backlog, since: float,
                            timeout: float) -> float:
    """Seconds from ``since`` until the restarted ``service`` serves (/readyz 200, consumer assigned) and has
    caught up with what it missed (``tests/faults/catchup.py``)."""
    deadline = time.monotonic() + timeout
    done_at: float | None = None
    while True:
        if done_at is None and await caught_up(system.dsn, service, backlog):
            done_at = time.monotonic()
        serving = next((s.at for s in readiness.since(since, service) if s.serving()), None)
        if done_at is not None and serving is not None:
            return max(done_at, serving) - since
        if time.monotonic() > deadline:
            raise TimeoutError(f"{service} not serving and caught up within {timeout:.0f} s")
        await asyncio.sleep(0.25)


async def inject(system: System, fault: Fault, load: FamilyLoad, readiness: Readiness,
                 recovery_timeout: float) -> FaultRecord:
    record = FaultRecord(name=fault.name, target=fault.target, injected_at=time.monotonic(),
                         injected_wall=time.time(), bound_s=fault.bound_s(recovery_timeout))
    await _break(system, fault)
    record.broken_wall = time.time()
    await asyncio.sleep(fault.down_s)
    await _restore(system, fault)
    record.restored_at = time.monotonic()
    backlog = None
    if fault.target in SERVICES:
        backlog = await backlog_at_restart(system.dsn, system.kafka.bootstrap, fault.target)
    record.down_s = record.restored_at - record.injected_at
    counts = load.counts(record.injected_at, record.restored_at)
    record.accepted_while_down = counts["201"] + counts["200"]
    record.refused_while_down = sum(v for k, v in counts.items() if k not in ("201", "200"))
    try:
        if backlog is not None:
            seconds = await service_recovered(system, readiness, fault.target, backlog, record.restored_at,
                                              recovery_timeout)
        else:
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
                    settle_s: float = 5.0, recovery_timeout: float = 240.0, extra_env: dict[str, str] | None = None,
                    keep_logs: Path | None = None) -> Report:
    """Run ``faults`` one after another under load; ``keep_logs`` gets every process's and the broker's log."""
    root = Path(tempfile.mkdtemp(prefix="apua-faults-"))
    system = System(root, extra_env=dict(extra_env or {}))
    regions = load_regions(ROOT / "deploy" / "regions")
    began = time.monotonic()
    report: Report | None = None
    readiness: Readiness | None = None
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
        recorder = RecordedContacts(system.url("routing"))
        links = LinkWork(system.url("routing"), load)
        referrals = ReferralWork(system.url("routing"), load)
        tasks = [asyncio.create_task(readiness.run(stop_monitor)), asyncio.create_task(load.run(stop_load)),
                 asyncio.create_task(staff.run(stop_load)), asyncio.create_task(recorder.run(stop_load)),
                 asyncio.create_task(links.run(stop_load)), asyncio.create_task(referrals.run(stop_load))]
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
        report = judge(facts, load, staff, records, load_s, (recorder, await collect_recorded(system.dsn)),
                       links=links, referrals=referrals)
        report.add("services that exited by themselves", len(exited), must_be_zero=True)
        report.add("faults not recovered from in time", sum(r.recovered_s is None for r in records), must_be_zero=True)
        judge_recoveries(report, records)
        report.add("wall time of the run (s)", f"{time.monotonic() - began:.0f}")
        report.explained.extend(notes)
        text = report.render(title)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "last-run.txt").write_text(text)
        return report
    finally:
        if keep_logs is not None:
            shutil.rmtree(keep_logs, ignore_errors=True)
            shutil.copytree(system.logs, keep_logs)
            if (system.kafka.data_dir / "server.log").exists():
                shutil.copy(system.kafka.data_dir / "server.log", keep_logs / "kafka-server.log")
            if readiness is not None:
                readiness.dump(keep_logs / "readyz.jsonl")
        if report is None or report.problems:
            logs = OUT / "last-run-logs"
            shutil.rmtree(logs, ignore_errors=True)
            shutil.copytree(system.logs, logs)
            for name in ("smtp.jsonl", "sms.jsonl"):
                if (root / name).exists():
                    shutil.copy(root / name, logs / name)
        await asyncio.to_thread(system.shutdown)
        shutil.rmtree(root, ignore_errors=True)
