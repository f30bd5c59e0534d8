"""Intake: accepted, durably stored requests per second and latency, beside the bare endpoint and the durable floor.

All three run under the same load tool (wrk from Debian's packages, ``bench/post.lua``), in the same run:

* *capacity*: closed loop, ``connections`` clients each sending as soon as its last answer came;
* *sustained*: each connection paced to one request every ``connections / rate`` seconds, so the
  offered rate is ``rate`` a second whatever the answers do (wrk's ``delay()``). Latency is from
  sending to the answer. If the service cannot keep up, the achieved rate falls below the offered
  one and the table shows it.

"Durably stored" is counted, not assumed: the rows in intake's ``requests`` table before and after.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class WrkRun:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(url: str, *, seconds: int, connections: int, rate: float | None = None) -> WrkRun:
    env = {"PATH": "/usr/bin:/bin"}
    if rate:
        env["BENCH_INTERVAL_MS"] = str(max(1, round(connections / rate * 1000)))
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(HERE / "post.lua"),
            "--latency", url]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("BENCH "))
    data = json.loads(line[len("BENCH "):])
    return WrkRun(requests=data["requests"], seconds=data["seconds"], p50_ms=data["p50_ms"], p90_ms=data["p90_ms"],
                  p99_ms=data["p99_ms"], max_ms=data["max_ms"], non_2xx=data["non_2xx"],
                  errors=data["connect_errors"] + data["read_errors"] + data["timeouts"])


async def stored(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM intake.requests"))
    finally:
        await conn.close()


async def synchronous_commit(dsn: str) -> str:
    """The server's ``synchronous_commit``: whether a commit waits for its WAL to reach the disk."""
    conn = await asyncpg.connect(dsn)
    try:
        return str(await conn.fetchval("SHOW synchronous_commit"))
    finally:
        await conn.close()
