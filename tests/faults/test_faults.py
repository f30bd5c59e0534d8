"""Nothing accepted is lost, nothing is applied twice, every notification goes once: under faults.

The whole system runs as separate processes (``tests/faults/system.py``) under a steady load of
families and coordinators while the broker, PostgreSQL and each service are killed with
SIGKILL and the SMTP server is stopped, one after another. ``make test-faults`` runs it; the
table of the last run is in ``.local/faults/last-run.txt`` (with every process's log when a figure
that must be zero was not).
"""

from __future__ import annotations

import os

import pytest

from tests.faults.check import Report
from tests.faults.scenario import FULL, run_suite

pytestmark = pytest.mark.faults
RATE = float(os.environ.get("APUA_FAULTS_RATE", "2"))


def assert_zeros(report: Report, title: str) -> None:
    table = report.render(title)
    print("\n" + table)  # noqa: T201 - the table is the point of the run
    assert not report.problems, "a zero is not a zero:\n" + table
    kafka = next((f for f in report.faults if f.target == "kafka"), None)
    if kafka is not None:
        # Intake is built to accept while the broker is away: the outbox holds the events.
        assert kafka.accepted_while_down > 0 and kafka.unavailable_while_down == 0, table
        assert kafka.kafka_down_seen > 0 and kafka.outbox_depth_seen > 0, table
        assert max(kafka.lag_seen.values()) > 0, "no /readyz showed the consumers catching up\n" + table


async def test_nothing_is_lost_under_faults() -> None:
    title = f"Fault suite: {len(FULL)} faults under {RATE:g} requests/s"
    assert_zeros(await run_suite(FULL, rate=RATE, title=title), title)
