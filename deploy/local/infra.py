"""Local Apache Kafka (KRaft, one node) and PostgreSQL, started by the project itself.

No Docker engine is needed: Kafka runs from the jars Maven Central serves (cached in
``.cache/kafka``), PostgreSQL from Debian's packages in a private cluster made with initdb.
``python -m deploy.local.infra up|down|status`` serves ``make infra-up`` / ``make infra-down``;
the tests use :class:`LocalKafka` and :class:`LocalPostgres` on free ports of their own.
Standard library only, so it runs before the project's own dependencies are installed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
KAFKA_DIR = Path(__file__).resolve().parent / "kafka"
CACHE = Path(os.environ.get("APUA_CACHE_DIR", ROOT / ".cache"))
STATE = Path(os.environ.get("APUA_STATE_DIR", ROOT / ".local"))
PG_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class InfraError(RuntimeError):
    """A local part could not be installed, started or reached."""


def _ephemeral_ports() -> range:
    """The ports the kernel hands out as the local end of outgoing connections."""
    try:
        low, high = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return range(low, high + 1)


# Ports this process has handed out already, so that two parts never get the same one.
_handed_out: set[int] = set()


def free_ports(count: int) -> list[int]:
    """``count`` different TCP ports on loopback that nothing listens on, outside the ephemeral range.

    A server on an ephemeral port is fragile while it is down: any outgoing connection may take
    that port as its local end, and a client retrying the dead server may even connect to itself
    (TCP's simultaneous open), so the server cannot bind again when it restarts. Ports below the
    ephemeral range are never handed out that way.
    """
    ephemeral = _ephemeral_ports()
    candidates = [p for p in range(10000, ephemeral.start) if p not in _handed_out]
    random.shuffle(candidates)
    chosen: list[int] = []
    for port in candidates:
        if len(chosen) == count:
            break
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        chosen.append(port)
    while len(chosen) < count:  # a machine whose ephemeral range covers nearly everything
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _handed_out and port not in chosen:
            chosen.append(port)
    _handed_out.update(chosen)
    return chosen


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now (see :func:`free_ports`)."""
    return free_ports(1)[0]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def wait_until(check: object, timeout: float, what: str) -> float:
    """Poll ``check()`` until true; return the seconds it took or raise InfraError."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():  # type: ignore[operator]
            return time.monotonic() - start
        time.sleep(0.1)
    raise InfraError(f"{what} did not answer within {timeout:.0f} s")


def _kafka_version() -> str:
    text = (KAFKA_DIR / "pom.xml").read_text()
    return text.split("<kafka.version>")[1].split("</kafka.version>")[0]


def kafka_libs() -> Path:
    """The broker's jars, fetched from Maven Central once into the cache."""
    libs = CACHE / "kafka" / _kafka_version() / "libs"
    marker = libs / ".complete"
    if marker.exists():
        return libs
    if shutil.which("mvn") is None:
        raise InfraError("Maven (mvn) is needed once to fetch Kafka's jars: apt-get install maven")
    libs.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mvn", "-q", "-B", "-f", str(KAFKA_DIR / "pom.xml"), "dependency:copy-dependencies",
         f"-DoutputDirectory={libs}"],
        check=True,
    )
    marker.touch()
    return libs


@dataclass
class LocalKafka:
    """One KRaft broker+controller on loopback, its data in ``data_dir``."""

    port: int
    data_dir: Path
    controller_port: int = 0
    heap: str = "512m"
    log_flush_every_message: bool = True
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.controller_port:
            self.controller_port = free_port()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "kafka.pid"

    def _settings(self) -> dict[str, str]:
        """The broker's server.properties (a broker with other listeners or security extends them)."""
        logs = self.data_dir / "log"
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(logs),
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
            "log.retention.ms": "-1",
        }
        if self.log_flush_every_message:
            # One broker has no replicas: fsync every write so an acknowledged event survives a crash.
            props["log.flush.interval.messages"] = "1"
        return props

    def _format_arguments(self) -> list[str]:
        """More arguments for formatting the storage (SCRAM users of a secured broker, say)."""
        return []

    def _answers(self) -> bool:
        """Whether the broker answers on its client port (an ApiVersions request in plain text)."""
        return port_open(self.port) and _kafka_metadata_ok(self.port)

    def _properties(self) -> Path:
        path = self.data_dir / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in self._settings().items()))
        return path

    def start(self, timeout: float = 90.0) -> float:
        """Format on first use, start the broker, return seconds until it accepts connections."""
        if port_open(self.port):
            raise InfraError(f"port {self.port} is taken; set another Kafka port")
        libs = kafka_libs()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        props = self._properties()
        classpath = f"{libs}/*"
        if not (self.data_dir / "log" / "meta.properties").exists():
            cluster_id = subprocess.run(
                ["java", "-cp", classpath, "kafka.tools.StorageTool", "random-uuid"],
                check=True, capture_output=True, text=True,
            ).stdout.strip()
            subprocess.run(
                ["java", "-cp", classpath, "kafka.tools.StorageTool", "format", "--standalone",
                 "--ignore-formatted", "-t", cluster_id, "-c", str(props), *self._format_arguments()],
                check=True, capture_output=True,
            )
        started = time.monotonic()
        with open(self.data_dir / "stdout.log", "ab") as out:  # the child keeps its own copy of the descriptor
            self.proc = self._spawn(classpath, props, out)
        self.pid_file.write_text(str(self.proc.pid))

        def ready() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise InfraError(f"Kafka exited with {self.proc.returncode}; see {self.data_dir}/server.log")
            return self._answers()

        wait_until(ready, timeout, f"Kafka on port {self.port}")
        return time.monotonic() - started

    def _spawn(self, classpath: str, props: Path, out: IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            ["java", f"-Xms{self.heap}", f"-Xmx{self.heap}", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
             "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
             "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
             f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.properties'}",
             f"-Dkafka.logs.dir={self.data_dir}", "-cp", classpath, "kafka.Kafka", str(props)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def stop(self, kill: bool = False) -> None:
        """Stop the broker (SIGTERM, or SIGKILL when ``kill``) and wait for it to go."""
        pid = self.proc.pid if self.proc else _read_pid(self.pid_file)
        if pid is None:
            return
        _signal_and_wait(pid, signal.SIGKILL if kill else signal.SIGTERM, self.proc)
        self.proc = None
        self.pid_file.unlink(missing_ok=True)


def _kafka_metadata_ok(port: int) -> bool:
    """True once the broker answers an ApiVersions request (v0), not just accepts TCP."""
    request = (b"\x00\x12" + b"\x00\x00" + b"\x00\x00\x00\x01" + b"\x00\x05" + b"infra")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(len(request).to_bytes(4, "big") + request)
            head = s.recv(4)
            return len(head) == 4
    except OSError:
        return False


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _signal_and_wait(pid: int, sig: int, proc: subprocess.Popen[bytes] | None, timeout: float = 30) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None:
            if proc.poll() is not None:
                return
        else:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def pg_bin(name: str) -> str:
    for directory in PG_BIN_CANDIDATES:
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if found is None:
        raise InfraError(f"PostgreSQL's {name} is missing: apt-get install postgresql")
    return found


@dataclass
class LocalPostgres:
    """A private PostgreSQL cluster on loopback with trust auth for the superuser ``apua``."""

    port: int
    data_dir: Path
    user: str = "apua"

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.user}"

    def _as_owner(self, argv: list[str]) -> list[str]:
        # initdb and postgres refuse to run as root; Debian's package brings the 'postgres' user.
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *argv]
        return argv

    def start(self, timeout: float = 60.0) -> float:
        if port_open(self.port):
            raise InfraError(f"port {self.port} is taken; set another PostgreSQL port")
        started = time.monotonic()
        pgdata = self.data_dir / "pgdata"
        if not (pgdata / "PG_VERSION").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.data_dir, "postgres", "postgres")
            subprocess.run(
                self._as_owner([pg_bin("initdb"), "-D", str(pgdata), "-U", self.user, "--auth=trust",
                                "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                check=True, capture_output=True,
            )
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='' "
                   "-c max_connections=200 -c shared_buffers=128MB -c fsync=on")
        subprocess.run(
            self._as_owner([pg_bin("pg_ctl"), "-D", str(pgdata), "-l", str(self.data_dir / "postgres.log"),
                            "-o", options, "-w", "-t", str(int(timeout)), "start"]),
            check=True, capture_output=True,
        )
        wait_until(lambda: port_open(self.port), timeout, f"PostgreSQL on port {self.port}")
        self.create_database(self.user)
        return time.monotonic() - started

    def create_database(self, name: str) -> None:
        """Create database ``name`` unless it exists (the services' schemas live in it)."""
        exists = subprocess.run(
            [pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", "postgres", "-tAc",
             f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        if not exists:
            subprocess.run([pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name],
                           check=True, capture_output=True)

    def stop(self, kill: bool = False) -> None:
        pgdata = self.data_dir / "pgdata"
        pid_file = pgdata / "postmaster.pid"
        if not pid_file.exists():
            return
        if kill:
            pid = int(pid_file.read_text().splitlines()[0])
            _signal_and_wait(pid, signal.SIGKILL, None)
            return
        subprocess.run(self._as_owner([pg_bin("pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"]),
                       check=False, capture_output=True)


def local_kafka() -> LocalKafka:
    return LocalKafka(port=int(os.environ.get("APUA_KAFKA_PORT", "19092")), data_dir=STATE / "kafka",
                      controller_port=int(os.environ.get("APUA_KAFKA_CONTROLLER_PORT", "19093")))


def local_postgres() -> LocalPostgres:
    return LocalPostgres(port=int(os.environ.get("APUA_PG_PORT", "55432")), data_dir=STATE / "postgres")


# What each command does (make infra-up, infra-down, infra-status, infra-reset; install.sh runs fetch).
COMMANDS = {
    "up": "start the local PostgreSQL and Kafka (each skipped when its port already answers)",
    "down": "stop both",
    "status": "whether each answers on its port",
    "fetch": "download Kafka's jars into the cache once (Maven), and print where they are",
    "reset": "stop both and delete their data",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local.infra", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, text in COMMANDS.items():
        sub.add_parser(name, help=text, description=text)
    args = parser.parse_args(argv)
    kafka, pg = local_kafka(), local_postgres()
    if args.command == "fetch":
        print(kafka_libs())  # noqa: T201 - command-line output
    elif args.command == "up":
        for name, part, port in (("PostgreSQL", pg, pg.port), ("Kafka", kafka, kafka.port)):
            if port_open(port):
                print(f"{name} already answers on port {port}")  # noqa: T201
                continue
            took = part.start()
            print(f"{name} up on 127.0.0.1:{port} in {took:.1f} s")  # noqa: T201
    elif args.command == "down":
        kafka.stop()
        pg.stop()
        print("Kafka and PostgreSQL stopped")  # noqa: T201
    elif args.command == "reset":
        kafka.stop()
        pg.stop()
        shutil.rmtree(STATE, ignore_errors=True)
        print(f"removed {STATE}")  # noqa: T201
    else:
        for name, port in (("PostgreSQL", pg.port), ("Kafka", kafka.port)):
            print(f"{name} {'up' if port_open(port) else 'down'} on port {port}")  # noqa: T201
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except InfraError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        sys.exit(1)
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr
        print(f"error: {' '.join(map(str, exc.cmd))} failed: {detail}", file=sys.stderr)  # noqa: T201
        sys.exit(1)
