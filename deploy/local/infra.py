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
import shutil
import subprocess
import sys
from pathlib import Path

from deploy.local.kafka_broker import LocalKafka, kafka_libs
from deploy.local.postgres import LocalPostgres
from deploy.local.processes import InfraError, free_port, free_ports, port_open, wait_until

# The names the scripts and the tests take from here: the parts live in kafka_broker.py, postgres.py and
# processes.py, this module is their one door and the command line.
__all__ = ["ROOT", "STATE", "InfraError", "LocalKafka", "LocalPostgres", "free_port", "free_ports", "local_kafka",
           "local_postgres", "port_open", "wait_until"]

ROOT = Path(__file__).resolve().parents[2]
STATE = Path(os.environ.get("APUA_STATE_DIR", ROOT / ".local"))


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
