"""Only the services' kill -9 faults, several rounds in one run: how long each service takes to serve again.

``python -m tests.faults.recovery --rounds 3`` starts the fault suite's system and load, kills each
service in turn ``rounds`` times (3 s away, as in the suite) and prints the suite's table with each
recovery beside the bound (``scenario.KILLED_SERVICE_BOUND_S``), then one line per service with its
recoveries, for docs/reliability.md. ``--logs DIR`` keeps every process's log and the broker's
(its group coordinator says when each member joined, failed and was given partitions);
``--dynamic`` starts every service without a name in its consumer group, as before static membership.
It exits 1 when a figure that must be zero is not, as the suite would fail.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from tests.faults.check import Report
from tests.faults.scenario import FULL, Fault, run_suite
from tests.faults.system import SERVICES


def service_kills(rounds: int) -> list[Fault]:
    """The suite's own kill -9 faults of the services, in its order, ``rounds`` times over."""
    kills = [fault for fault in FULL if fault.target in SERVICES]
    return [Fault(f"{fault.name} #{n}", fault.target, fault.down_s) for n in range(1, rounds + 1) for fault in kills]


def summary(report: Report) -> list[str]:
    """Per service: each round's recovery in seconds (or "never"), and the slowest."""
    lines = []
    for service in SERVICES:
        times = [f.recovered_s for f in report.faults if f.target == service]
        shown = ", ".join("never" if t is None else f"{t:.1f}" for t in times)
        worst = "never" if None in times else f"{max(t for t in times if t is not None):.1f}"
        lines.append(f"{service}: {shown} (slowest {worst})")
    return lines


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=2.0)
    parser.add_argument("--logs", type=Path, default=None)
    parser.add_argument("--dynamic", action="store_true", help="no group.instance.id: a new member at every start")
    args = parser.parse_args(argv)
    mode = "dynamic membership" if args.dynamic else "static membership"
    title = f"Services killed with kill -9, {args.rounds} rounds under {args.rate:g} requests/s ({mode})"
    report = await run_suite(service_kills(args.rounds), rate=args.rate, title=title,
                             extra_env={"APUA_INSTANCE_ID": ""} if args.dynamic else None, keep_logs=args.logs)
    print(report.render(title))  # noqa: T201 - the table is the point of the run
    print("\n".join(summary(report)))  # noqa: T201
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
