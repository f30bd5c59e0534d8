"""Scale-out under a kill: two instances each of routing and reporting share their groups' partitions.

``run_scale_out`` starts the whole system with a second routing and a second reporting
("routing-2", "reporting-2": the same settings but the port, so the same consumer groups and
schemas) on topics of six partitions, and checks, in each instance's ``/readyz`` and in the
broker's own assignment, that both instances of each service hold partitions and together all of
them. Families and coordinators keep working (one coordinator client on each routing) while one
routing and one reporting instance are killed with SIGKILL; the survivors must take over every
partition. After the load the stream, the tables and the services' logs are read as the fault
suite reads them (``check.py``): nothing accepted lost, nothing applied twice. Then, under a
second round of load, the killed instances start again; the partitions must be shared again, and
everything is checked the same way once more.
"""

from __future__ import annotations

import asyncio
import copy
import json
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from aiokafka.partitioner import DefaultPartitioner

from deploy.local.infra import ROOT
from services.reporting import cells, waits
from shared.regions import load_regions
from shared.topics import cases_topic
from tests.faults.check import Facts, FaultRecord, Report, collect, judge
from tests.faults.groups import TIMEOUT_S, Split, committed_in_kafka, consumer_of, held_all, lag_after, readyz, split
from tests.faults.load import FamilyLoad, StaffCounts, StaffWork
from tests.faults.scenario import OUT, wait_quiet
from tests.faults.system import COORDINATORS, SERVICES, STAFF_PASSWORD, Readiness, System

PREFIX = "scale"
PARTITIONS = 6
# The survivor of each pair keeps the service's own name, so the other services' links still lead to it.
PAIRS = {"routing": "routing-2", "reporting": "reporting-2"}
EVERY = 5  # coordinators work every fifth request: those with n % 5 == 0 on routing, == 2 on routing-2
WARMUP_S = 15.0
AFTER_KILL_S = 25.0  # load after the kill (the takeover waits out the broker's 10-second session timeout)
RESTART_AFTER_S = 3.0  # load before the killed instances start again
AGAIN_S = 10.0  # load after they hold their share again
LEGEND = (
    "  (down: from the kill until the instance was started again, or until this table if it was not yet;",
    "   recovered: from the kill until the survivor's /readyz showed every partition of the group;",
    "   accepted/refused: requests answered while the instance was down)",
)


@dataclass
class Takeover:
    service: str
    victim: str
    before: Split
    victim_partitions: set[str] = field(default_factory=set)  # "topic:partition", from its last /readyz
    victim_applied: int = 0
    seconds: float | None = None  # from the kill until the survivor's /readyz showed every partition
    after: Split | None = None
    restart_seconds: float | None = None  # from the restart until both held partitions again
    again: Split | None = None


@dataclass
class Probe:
    """A command through the surviving routing, on a case of a partition the killed one held."""

    case_id: str = ""
    region: str = ""
    partition: int = -1
    status: int | None = None
    shown: bool = False  # the case view through the survivor shows the command's event


@dataclass
class ScaleRun:
    began: float = field(default_factory=time.monotonic)
    takeovers: dict[str, Takeover] = field(default_factory=dict)
    probe: Probe = field(default_factory=Probe)
    killed_at: float = 0.0  # monotonic
    killed_wall: float = 0.0
    restarted_at: float | None = None
    accepted_while_away: int = 0
    reports: list[tuple[str, Report]] = field(default_factory=list)
    facts: Facts | None = None


def partition_of(case_id: str) -> int:
    """The partition the relays' producer puts a case's records on (key: the case id)."""
    every = list(range(PARTITIONS))
    return int(DefaultPartitioner()(case_id.encode(), every, every))


async def command_through(system: System, name: str, load: FamilyLoad, victim_partitions: set[str],
                          since: float, timeout: float = TIMEOUT_S) -> Probe:
    """Triage, through ``name``, a case accepted after ``since`` on a partition the killed instance held
    (one no coordinator of the load works on), and look until its case view shows it."""
    probe = Probe()
    deadline = time.monotonic() + timeout
    while not probe.case_id:
        for s in load.accepted():
            if (s.case_id and s.accepted_at is not None and s.accepted_at > since and s.n % EVERY not in (0, 2)
                    and f"{cases_topic(system.prefix, s.region)}:{partition_of(s.case_id)}" in victim_partitions):
                probe = Probe(case_id=s.case_id, region=s.region, partition=partition_of(s.case_id))
                break
        else:
            if time.monotonic() > deadline:
                raise AssertionError("no request was accepted on a partition the killed routing held")
            await asyncio.sleep(0.5)
    async with httpx.AsyncClient(base_url=system.url(name), timeout=15.0) as client:
        session = await client.post("/api/v1/session", json={"username": COORDINATORS[probe.region],
                                                               "password": STAFF_PASSWORD})
        assert session.status_code == 200, session.text
        client.headers["X-CSRF-Token"] = session.json()["csrf_token"]

        async def timeline() -> tuple[set[str], int]:
            while True:
                look = await client.get(f"/api/v1/cases/{probe.case_id}")
                if look.status_code == 200:
                    case = look.json()
                    return {e["type"] for e in case["timeline"]}, int(case["command_version"])
                if time.monotonic() > deadline:
                    raise AssertionError(f"{name} does not show case {probe.case_id}: {look.status_code}")
                await asyncio.sleep(0.3)

        _, version = await timeline()
        done = await client.post(f"/api/v1/cases/{probe.case_id}/commands", json={
            "command": "triage", "expected_version": version, "arguments": {"urgency": "urgent"}})
        probe.status = done.status_code
        while probe.status == 200 and not probe.shown:
            probe.shown = "case.triaged" in (await timeline())[0]
            if not probe.shown:
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.3)
    return probe


def met_again(system: System, service: str, facts: Facts) -> int:
    """Events the service's instances skipped as already applied more often than the topic holds extra copies
    of them: records read again after another instance (or the same one) applied them, which the offsets
    stored with the projection and the check before each batch are there to prevent; the event-id dedupe
    caught them."""
    copies = Counter(e.event_id for e in facts.events)
    skipped: Counter[str] = Counter()
    for name in (n for n in system.instances if n == service or n.startswith(f"{service}-")):
        for line in (system.logs / f"{name}.log").read_text(errors="replace").splitlines():
            if '"consumer.duplicate_skipped"' in line:
                try:
                    skipped[json.loads(line)["event_id"]] += 1
                except (ValueError, KeyError):
                    continue  # a line cut short by SIGKILL
    return sum(max(0, n - (copies[event_id] - 1)) for event_id, n in skipped.items())


async def doubled_in_tables(system: System, facts: Facts) -> tuple[int, int]:
    """Routing's cases whose version (one per event evolved into the state) is not their number of events on
    the topic, and reporting's rollup cells and waits' histogram rows unlike those its facts make afresh."""
    events: dict[str, set[str]] = {}
    for e in facts.events:
        events.setdefault(e.case_id, set()).add(e.event_id)
    columns = ", ".join((*cells.KEY, *cells.SUMS))
    conn = await asyncpg.connect(system.dsn, server_settings={"search_path": "reporting_projection"})
    try:
        versions = {str(r["case_id"]): r["version"] for r in await conn.fetch(
            "SELECT case_id, version FROM routing_projection.cases")}
        kept = Counter(tuple(r) for r in await conn.fetch(f"SELECT {columns} FROM fact_cells WHERE n <> 0"))
        fresh = Counter(tuple(r) for r in await conn.fetch(
            f"SELECT {columns} FROM ({cells.cells_of('SELECT 1 AS sign, * FROM case_facts')}) c"))
        kept += Counter(tuple(r) for r in await conn.fetch(
            f"SELECT {', '.join(waits.KEY)}, tenths, n FROM wait_tenths WHERE n <> 0"))
        fresh += Counter(tuple(r) for r in await conn.fetch(
            waits.histogram_of("tenths", "SELECT 1 AS sign, * FROM case_facts")))
    finally:
        await conn.close()
    wrong_versions = sum(1 for case_id, v in versions.items() if v != len(events.get(case_id, ())))
    return wrong_versions, sum(((kept - fresh) + (fresh - kept)).values())


def together(staff: list[StaffWork]) -> StaffWork:
    """One coordinators' record for ``judge`` out of the clients on each routing."""
    merged = copy.copy(staff[0])
    merged.counts = StaffCounts(commands=sum((s.counts.commands for s in staff), Counter()),
                                answers=sum((s.counts.answers for s in staff), Counter()))
    merged.worked = set().union(*(s.worked for s in staff))  # whose calls were meant to move: every client's
    merged.done = set().union(*(s.done for s in staff))
    return merged


async def _judged(system: System, run: ScaleRun, load: FamilyLoad, staff: list[StaffWork], regions: list[str],
                  load_s: float, *, after_restart: bool) -> Report:
    facts = await collect(system, regions)
    run.facts = facts
    back = run.restarted_at if run.restarted_at is not None else time.monotonic()
    counts = load.counts(run.killed_at, back)
    faults = [FaultRecord(name=f"kill -9 {t.victim} (of 2)", target=t.victim, injected_at=run.killed_at,
                          injected_wall=run.killed_wall, down_s=back - run.killed_at, recovered_s=t.seconds,
                          accepted_while_down=counts["201"] + counts["200"],
                          refused_while_down=sum(v for k, v in counts.items() if k not in ("201", "200")))
              for t in run.takeovers.values()]
    report = judge(facts, load, together(staff), faults, load_s)
    report.legend = LEGEND
    for service, t in run.takeovers.items():
        report.add(f"{service}: partitions per instance before the kill", t.before.render())
        report.add(f"{service}: events {t.victim} had applied when it was killed", t.victim_applied)
        report.add(f"{service}: partitions the survivor held after the kill",
                   t.after.render() if t.after is not None else "never all")
        report.add(f"{service}: seconds from the kill until the survivor held all",
                   f"{t.seconds:.1f}" if t.seconds is not None else "never")
        if after_restart:
            report.add(f"{service}: partitions per instance after {t.victim} started again",
                       t.again.render() if t.again is not None else "never shared")
            report.add(f"{service}: seconds from the restart until they were shared again",
                       f"{t.restart_seconds:.1f}" if t.restart_seconds is not None else "never")
        report.add(f"{service}: events met again beyond their copies on the topic", met_again(system, service, facts),
                   must_be_zero=True)
        lag, lagging = await lag_after(system, (service, t.victim) if after_restart else (service,))
        report.add(f"{service}: partitions in the /readyz lag of {'both' if after_restart else 'the survivor'}",
                   f"{lagging} of {t.before.total}")
        report.add(f"{service}: consumer lag after the load", lag, must_be_zero=True)
        report.add(f"{service}: offsets its group committed to Kafka (they live with the projection)",
                   await committed_in_kafka(system.kafka.bootstrap, f"{system.prefix}.{service}"), must_be_zero=True)
    versions, cells_off = await doubled_in_tables(system, facts)
    report.add("routing: cases whose version is not their number of events", versions, must_be_zero=True)
    report.add("reporting: rollup cells and histogram rows unlike those its facts make afresh", cells_off,
               must_be_zero=True)
    report.add("requests accepted while the killed instances were away", run.accepted_while_away)
    probe = run.probe
    report.add("command through the surviving routing after the kill",
               f"{probe.status}, {'shown' if probe.shown else 'not shown'}")
    report.add("wall time of the run so far (s)", f"{time.monotonic() - run.began:.0f}")
    return report


async def _load_for(load: FamilyLoad, staff: list[StaffWork], seconds: float, then: asyncio.Event) -> None:
    """Families and coordinators for ``seconds`` (or until ``then`` is set), then every request accepted."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(load.run(stop)), *(asyncio.create_task(s.run(stop)) for s in staff)]
    try:
        try:
            await asyncio.wait_for(then.wait(), seconds)
        except TimeoutError:
            pass
        stop.set()
        await asyncio.gather(*tasks)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _kill_under_load(system: System, run: ScaleRun, readiness: Readiness, load: FamilyLoad,
                           staff: list[StaffWork]) -> None:
    """The load; after the warm-up one instance of each pair is killed, and the survivors must take over."""
    enough = asyncio.Event()
    loading = asyncio.create_task(_load_for(load, staff, 3600.0, then=enough))
    try:
        await asyncio.sleep(WARMUP_S)
        async with httpx.AsyncClient(timeout=5.0) as client:
            for t in run.takeovers.values():
                for _ in range(20):  # its /readyz names the partitions it holds when it could count their lag
                    consumer = consumer_of(await readyz(client, system, t.victim))
                    lag, applied = consumer.get("lag_by_partition"), consumer.get("applied")
                    t.victim_partitions = set(lag) if isinstance(lag, dict) else set()
                    t.victim_applied = applied if isinstance(applied, int) else 0
                    if t.victim_partitions:
                        break
                    await asyncio.sleep(0.5)
        at = run.killed_at = time.monotonic()
        run.killed_wall = time.time()
        for t in run.takeovers.values():
            await asyncio.to_thread(system.kill, t.victim)
        for service, t in run.takeovers.items():
            t.seconds = await held_all(readiness, service, t.before.total, since=at)
            t.after = await split(system, service, (service,))
        routing = run.takeovers["routing"]
        run.probe = await command_through(system, "routing", load, routing.victim_partitions,
                                          since=at + routing.seconds if routing.seconds else at)
        await asyncio.sleep(max(0.0, at + AFTER_KILL_S - time.monotonic()))
        run.accepted_while_away = sum(1 for s in load.accepted() if s.accepted_at and s.accepted_at >= at)
    finally:
        enough.set()
        await loading


async def _restart_under_load(system: System, run: ScaleRun, load: FamilyLoad, staff: list[StaffWork]) -> None:
    """The load again; a few seconds in, the killed instances start again and must be given their share back.

    The rebalance happens while batches are being applied, so a survivor may still be applying one of a
    partition that has just gone to the restarted instance: the offset check before each batch fences it.
    """
    enough = asyncio.Event()
    loading = asyncio.create_task(_load_for(load, staff, 3600.0, then=enough))
    try:
        await asyncio.sleep(RESTART_AFTER_S)
        restarted = run.restarted_at = time.monotonic()
        for t in run.takeovers.values():
            await asyncio.to_thread(system.start, t.victim)
        for service, t in run.takeovers.items():
            t.again = await split(system, service, (service, t.victim))
            t.restart_seconds = time.monotonic() - restarted
        await asyncio.sleep(AGAIN_S)
    finally:
        enough.set()
        await loading


async def run_scale_out(*, rate: float) -> ScaleRun:
    root = Path(tempfile.mkdtemp(prefix="apua-scale-"))
    system = System(root, prefix=PREFIX, extra_env={"APUA_TOPIC_PARTITIONS": str(PARTITIONS)},
                    replicas={service: 2 for service in PAIRS})
    regions = load_regions(ROOT / "deploy" / "regions")
    region_ids = [r.id for r in regions]
    run = ScaleRun()
    try:
        await asyncio.to_thread(system.start_infra)
        system.start("smtp")
        system.start("sms")
        await asyncio.to_thread(system.add_staff)
        for name in system.instances:
            system.start(name)
        await asyncio.to_thread(system.wait_ready)
        for service, victim in PAIRS.items():
            run.takeovers[service] = Takeover(service, victim, await split(system, service, (service, victim)))
        readiness = Readiness(system)
        stop_monitor = asyncio.Event()
        monitor = asyncio.create_task(readiness.run(stop_monitor))
        try:
            load = FamilyLoad(system.url("intake"), regions, rate)
            staff = [StaffWork(system.url(name), load, regions, every=EVERY, first=first)
                     for name, first in (("routing", 0), ("routing-2", 2))]
            load_began = time.monotonic()
            await _kill_under_load(system, run, readiness, load, staff)
            load_s = time.monotonic() - load_began
            await wait_quiet(system, readiness, timeout=180.0, services=SERVICES)
            run.reports.append(("after the kill, the survivors alone", await _judged(
                system, run, load, staff, region_ids, load_s, after_restart=False)))

            again = time.monotonic()
            await _restart_under_load(system, run, load, staff)
            load_s += time.monotonic() - again
            await wait_quiet(system, readiness, timeout=180.0, services=system.instances)
            run.reports.append(("after the killed instances started again and shared the load", await _judged(
                system, run, load, staff, region_ids, load_s, after_restart=True)))
        finally:
            stop_monitor.set()
            await asyncio.gather(monitor, return_exceptions=True)
        return run
    finally:
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "scale-out-last-run.txt").write_text("".join(report.render(title) for title, report in run.reports))
        if len(run.reports) < 2 or any(report.problems for _, report in run.reports):
            logs = OUT / "scale-out-logs"
            shutil.rmtree(logs, ignore_errors=True)
            shutil.copytree(system.logs, logs)
            if (system.kafka.data_dir / "server.log").exists():
                shutil.copy(system.kafka.data_dir / "server.log", logs / "kafka.log")
        await asyncio.to_thread(system.shutdown)
        shutil.rmtree(root, ignore_errors=True)
