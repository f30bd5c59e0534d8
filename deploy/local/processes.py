"""Ports and processes, as the local Kafka and PostgreSQL (and the tests' own servers) need them.

Free ports outside the kernel's ephemeral range, a wait for a part to answer, and stopping a process by its pid.
Standard library only, like everything :mod:`deploy.local.infra` runs before the project's dependencies exist.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time
from pathlib import Path


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


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def signal_and_wait(pid: int, sig: int, proc: subprocess.Popen[bytes] | None, timeout: float = 30) -> None:
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
