"""The whole system as separate processes on free ports: Kafka, PostgreSQL, the four services, two sinks.

Everything lives under one temporary folder (data, logs, the sinks' journals). Each part can be
killed with SIGKILL and started again on the same port with the same data, which is what the
fault suite does to it. Blocking work (starting Kafka, PostgreSQL) is meant to run in a thread
(``asyncio.to_thread``) so that the load keeps going meanwhile.

A service may run as more than one instance (``replicas``): the second routing is "routing-2",
on a port of its own and with the same settings otherwise, so it joins the same consumer group
and uses the same schemas, as a second replica behind a load balancer would.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from deploy.local.infra import ROOT, InfraError, LocalKafka, LocalPostgres, free_ports, port_open

SERVICES = ("intake", "routing", "notify", "reporting")
PREFIX = "faults"
STAFF_PASSWORD = "vikasietoinen salasana 2026"
# The coordinator of each region: they see the region's queue and act on its cases.
COORDINATORS = {"varsinais-suomi": "koordinaattori-vs", "pohjois-pohjanmaa": "koordinaattori-pp"}


def service_of(instance: str) -> str:
    """The service an instance runs: "routing-2" runs routing."""
    service = instance.rsplit("-", 1)[0] if instance[-1:].isdigit() else instance
    if service not in SERVICES:
        raise ValueError(f"{instance} is not an instance of a service")
    return service


def sockets_on(port: int) -> str:
    """What ``ss`` says holds ``port``, for the error when a part cannot have its port back."""
    try:
        return subprocess.run(["ss", "-tanp", f"sport = :{port}"], capture_output=True, text=True).stdout
    except OSError as exc:
        return f"(ss: {exc})"


@dataclass
class Process:
    argv: list[str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self, env: dict[str, str]) -> None:
        with open(self.log, "ab") as out:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(self.argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing of the process gets to run."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)
        self.proc = None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it does not go within ``timeout``."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class System:
    root: Path
    prefix: str = PREFIX
    extra_env: dict[str, str] = field(default_factory=dict)
    # Instances per service beyond the default of one: {"routing": 2} adds "routing-2".
    replicas: dict[str, int] = field(default_factory=dict)
    kafka: LocalKafka = field(init=False)
    pg: LocalPostgres = field(init=False)
    ports: dict[str, int] = field(init=False)
    procs: dict[str, Process] = field(init=False)
    instances: tuple[str, ...] = field(init=False)  # every service instance: SERVICES, then the replicas

    def __post_init__(self) -> None:
        unknown = set(self.replicas) - set(SERVICES)
        if unknown or any(n < 1 for n in self.replicas.values()):
            raise ValueError(f"replicas: one or more instances of {SERVICES}, not {self.replicas}")
        self.instances = (*SERVICES, *(f"{service}-{i}" for service in SERVICES
                                       for i in range(2, self.replicas.get(service, 1) + 1)))
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)  # PostgreSQL runs as 'postgres' when the suite runs as root
        self.logs = self.root / "logs"
        self.logs.mkdir(exist_ok=True)
        names = (*self.instances, "smtp", "sms")
        # All different: two parts given one port would answer for each other.
        kafka_port, controller_port, pg_port, *ports = free_ports(3 + len(names))
        self.kafka = LocalKafka(port=kafka_port, controller_port=controller_port, data_dir=self.root / "kafka")
        self.pg = LocalPostgres(port=pg_port, data_dir=self.root / "postgres")
        self.ports = dict(zip(names, ports, strict=True))
        self.mail_journal = self.root / "smtp.jsonl"
        self.sms_journal = self.root / "sms.jsonl"
        self.procs = {name: Process([sys.executable, "-m", f"services.{service_of(name)}"],
                                    self.logs / f"{name}.log")
                      for name in self.instances}
        self.procs["smtp"] = Process([sys.executable, "-m", "tests.faults.sinks", "smtp", str(self.ports["smtp"]),
                                      str(self.mail_journal)], self.logs / "smtp.log")
        self.procs["sms"] = Process([sys.executable, "-m", "tests.faults.sinks", "sms", str(self.ports["sms"]),
                                     str(self.sms_journal)], self.logs / "sms.log")

    # Addresses and settings

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    @property
    def dsn(self) -> str:
        return self.pg.dsn

    def env(self, instance: str | None = None) -> dict[str, str]:
        """What every service is started with: this system's parts, and limits a test client needs.

        A replica (``instance`` "routing-2") gets the same, but its own port.
        """
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("APUA_")}
        return {
            **inherited,
            "PYTHONPATH": str(ROOT),
            "APUA_ENVIRONMENT": "test",
            "APUA_LOG_LEVEL": "INFO",
            "APUA_KAFKA_BOOTSTRAP": self.kafka.bootstrap,
            "APUA_DATABASE_URL": self.pg.dsn,
            "APUA_TOPIC_PREFIX": self.prefix,
            "APUA_TOPIC_PARTITIONS": "3",
            **{f"APUA_{name.upper()}_PORT": str(self.ports[name]) for name in SERVICES},
            # Every family of the load comes from this one machine.
            "APUA_SUBMIT_LIMIT": "10000000",
            "APUA_STATUS_LIMIT": "10000000",
            "APUA_SMTP_PORT": str(self.ports["smtp"]),
            "APUA_SMS_URL": f"http://127.0.0.1:{self.ports['sms']}/sms",
            # Retries soon enough that a 10-second SMTP outage is over within a few attempts.
            "APUA_RETRY_BASE_S": "1",
            "APUA_SEND_ATTEMPTS": "12",
            "APUA_SENDER_INTERVAL_S": "0.1",
            "APUA_ROUTING_URL": self.url("routing"),
            "APUA_REPORTING_URL": self.url("reporting"),
            "APUA_STAFF_URL": self.url("routing"),
            # Each instance's own name in its consumer group, kept across its restarts (as a pod keeps its
            # name): "routing" and "routing-2" are two members, a restarted "routing" the same one again.
            **({"APUA_INSTANCE_ID": instance} if instance is not None else {}),
            **self.extra_env,
            **({f"APUA_{service_of(instance).upper()}_PORT": str(self.ports[instance])}
               if instance in self.instances and instance not in SERVICES else {}),
        }

    # Starting and stopping

    def start_infra(self) -> None:
        self.pg.start()
        self.kafka.start()

    def start_postgres(self, timeout: float = 90.0) -> None:
        """Start PostgreSQL again; after a SIGKILL its old backends may need a moment to go."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.pg.start()
                return
            except (subprocess.CalledProcessError, InfraError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)

    def kill_postgres(self) -> int:
        """SIGKILL the postmaster (read from its pid file); returns its pid."""
        pid = int((self.pg.data_dir / "pgdata" / "postmaster.pid").read_text().splitlines()[0])
        self.pg.stop(kill=True)
        return pid

    def kill_kafka(self) -> int:
        assert self.kafka.proc is not None
        pid = self.kafka.proc.pid
        self.kafka.stop(kill=True)
        return pid

    def start_kafka(self) -> None:
        self.kafka.start()

    def add_staff(self) -> None:
        """A coordinator for each region, through routing's own admin command."""
        for region, username in COORDINATORS.items():
            done = subprocess.run(
                [sys.executable, "-m", "services.routing", "users", "add", "--username", username,
                 "--name", username.title(), "--role", "coordinator", "--region", region,
                 "--email", f"{username}@example.fi"],
                env={**self.env(), "APUA_NEW_PASSWORD": STAFF_PASSWORD}, cwd=ROOT, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"could not add {username}: {done.stderr.strip()}")

    def start(self, name: str) -> None:
        port = self.ports[name]
        deadline = time.monotonic() + 30
        while port_open(port):  # the killed process's socket is gone at once, but be sure
            if time.monotonic() > deadline:
                raise InfraError(f"port {port} of {name} is still taken:\n{sockets_on(port)}")
            time.sleep(0.1)
        self.procs[name].start(self.env(name))

    def kill(self, name: str) -> int:
        pid = self.procs[name].pid
        assert pid is not None, f"{name} is not running"
        self.procs[name].kill()
        return pid

    def stop(self, name: str) -> None:
        self.procs[name].stop()

    def shutdown(self) -> None:
        for name in (*self.instances, "smtp", "sms"):
            self.procs[name].stop()
        self.kafka.stop(kill=True)
        self.pg.stop(kill=True)

    def wait_ready(self, services: tuple[str, ...] | None = None, timeout: float = 120.0) -> None:
        """Until each of ``services`` (every instance by default) answers /readyz with 200."""
        deadline = time.monotonic() + timeout
        for name in services if services is not None else self.instances:
            while True:
                if not self.procs[name].alive():
                    raise RuntimeError(f"{name} exited; see {self.procs[name].log}")
                try:
                    if httpx.get(f"{self.url(name)}/readyz", timeout=3).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not become ready within {timeout:.0f} s")
                time.sleep(0.3)


@dataclass(frozen=True)
class Sample:
    at: float
    service: str
    code: int | None
    body: dict[str, Any]

    def healthy(self) -> bool:
        """Ready, both PostgreSQL and Kafka answering, nothing waiting in the outbox or behind the consumer."""
        return self.why_not() is None

    def serving(self) -> bool:
        """Ready, both PostgreSQL and Kafka answering, the consumer running with its partitions."""
        consumer = self.body.get("consumer") or {}
        return (self.code == 200 and self.body.get("postgres") == "up" and self.body.get("kafka") == "up"
                and bool(consumer.get("running")) and bool(consumer.get("partitions")))

    def why_not(self) -> str | None:
        if self.code is None:
            return "no answer"
        if self.code != 200:
            return f"{self.code}"
        for part in ("postgres", "kafka"):
            if self.body.get(part) != "up":
                return f"{part} {self.body.get(part)}"
        outbox = self.body.get("outbox")
        if outbox is not None and outbox.get("depth") != 0:
            return "outbox not empty"
        consumer = self.body.get("consumer")
        if consumer is None:
            return "no consumer yet"  # every service here consumes; intake only once its topics exist
        if not consumer.get("running") or not consumer.get("partitions"):
            return "consumer not assigned"
        if consumer.get("lag") != 0:
            return "lag" if "lag" in consumer else "lag unknown"
        return None

    @property
    def lag(self) -> int:
        consumer = self.body.get("consumer") or {}
        value = consumer.get("lag")
        return int(value) if isinstance(value, int) else 0

    @property
    def outbox_depth(self) -> int:
        outbox = self.body.get("outbox") or {}
        value = outbox.get("depth")
        return int(value) if isinstance(value, int) else 0


class Readiness:
    """Polls every service instance's /readyz twice a second and keeps what it saw."""

    def __init__(self, system: System, interval: float = 0.5) -> None:
        self.system = system
        self.interval = interval
        self.samples: list[Sample] = []

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=4.0) as client:
            while not stop.is_set():
                await asyncio.gather(*(self._poll(client, name) for name in self.system.instances))
                try:
                    await asyncio.wait_for(stop.wait(), self.interval)
                except TimeoutError:
                    pass

    async def _poll(self, client: httpx.AsyncClient, name: str) -> None:
        at = time.monotonic()
        try:
            response = await client.get(f"{self.system.url(name)}/readyz")
            body = response.json()
            self.samples.append(Sample(at, name, response.status_code, body if isinstance(body, dict) else {}))
        except (httpx.HTTPError, ValueError):
            self.samples.append(Sample(at, name, None, {}))

    def dump(self, path: Path) -> None:
        """Every sample as a JSON line with its wall-clock time, to set beside the services' logs."""
        offset = time.time() - time.monotonic()
        with path.open("w") as out:
            for s in self.samples:
                out.write(json.dumps({"at": s.at + offset, "service": s.service, "code": s.code,
                                      "why_not": s.why_not(), "lag": s.lag, "outbox": s.outbox_depth}) + "\n")

    def since(self, t: float, service: str | None = None) -> list[Sample]:
        return [s for s in self.samples if s.at >= t and (service is None or s.service == service)]

    def between(self, t0: float, t1: float) -> list[Sample]:
        return [s for s in self.samples if t0 <= s.at <= t1]

    def first_healthy(self, since: float) -> dict[str, float]:
        """Per service, seconds from ``since`` until it was first seen healthy."""
        firsts: dict[str, float] = {}
        for sample in self.since(since):
            if sample.service not in firsts and sample.healthy():
                firsts[sample.service] = sample.at - since
        return firsts

    async def recovered(self, since: float, timeout: float, services: tuple[str, ...] = SERVICES) -> float:
        """Seconds from ``since`` until each of ``services`` has been seen healthy (ready, lag 0, outbox 0)."""
        deadline = time.monotonic() + timeout
        while True:
            firsts = {name: t for name, t in self.first_healthy(since).items() if name in services}
            if len(firsts) == len(services):
                return max(firsts.values())
            if time.monotonic() > deadline:
                missing = sorted(set(services) - set(firsts))
                last = {name: self.since(since, name)[-1:] for name in missing}
                raise TimeoutError(f"not recovered within {timeout:.0f} s: {missing}; last seen {last}")
            await asyncio.sleep(0.25)
