"""A local Apache Kafka: one KRaft node (broker and controller) from the jars Maven Central serves.

The jars are fetched once into ``.cache/kafka/<version>`` (the version is the one ``deploy/local/kafka/pom.xml``
pins); the node's data lives in the directory it is given. See docs/kafka-local.md.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from deploy.local.processes import InfraError, free_port, port_open, read_pid, signal_and_wait, wait_until

ROOT = Path(__file__).resolve().parents[2]
KAFKA_DIR = Path(__file__).resolve().parent / "kafka"
CACHE = Path(os.environ.get("APUA_CACHE_DIR", ROOT / ".cache"))


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
        pid = self.proc.pid if self.proc else read_pid(self.pid_file)
        if pid is None:
            return
        signal_and_wait(pid, signal.SIGKILL if kill else signal.SIGTERM, self.proc)
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
