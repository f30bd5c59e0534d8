"""A local PostgreSQL: a private cluster made with Debian's initdb, on loopback, trust auth for its superuser."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from deploy.local.processes import InfraError, port_open, signal_and_wait, wait_until

PG_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


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
            signal_and_wait(pid, signal.SIGKILL, None)
            return
        subprocess.run(self._as_owner([pg_bin("pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"]),
                       check=False, capture_output=True)
