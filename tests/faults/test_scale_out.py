"""Scale out: two routing and two reporting instances share the partitions; kill one of each, the other takes over.

The whole system runs as processes (``tests/faults/system.py`` with ``replicas``), as in the
fault suite, but this test is not marked ``faults``: plain ``pytest`` (``make test``) runs it. It
takes about two minutes; its tables are also in ``.local/faults/scale-out-last-run.txt``.
"""

from __future__ import annotations

import os

import pytest

from tests.faults.scale import PAIRS, run_scale_out

pytestmark = pytest.mark.integration
RATE = float(os.environ.get("APUA_FAULTS_RATE", "2"))


async def test_the_other_instance_takes_over_what_a_killed_one_held_and_nothing_is_lost_or_doubled() -> None:
    run = await run_scale_out(rate=RATE)
    tables = "".join(report.render(f"Scale-out, {title} ({RATE:g} requests/s)") for title, report in run.reports)
    print("\n" + tables)  # noqa: T201 - the tables are the point of the run
    assert len(run.reports) == 2 and all(not report.problems for _, report in run.reports), tables
    for service, t in run.takeovers.items():
        assert t.victim == PAIRS[service]
        # Before: both instances held some of the partitions, together all of them (split() waited for it).
        assert min(t.before.held.values()) > 0 and sum(t.before.held.values()) == t.before.total, tables
        assert t.before.members == sorted(t.before.held.values()), tables
        # The killed one was doing real work: what it held had to be taken over from where it stopped.
        assert t.victim_partitions and t.victim_applied > 0, tables
        # After: the survivor alone, with every partition, in its /readyz and in the broker's assignment.
        assert t.seconds is not None and t.after is not None, tables
        assert t.after.held == {service: t.before.total} and t.after.members == [t.before.total], tables
        # Started again: shared again.
        assert t.again is not None and min(t.again.held.values()) > 0, tables
        assert sum(t.again.held.values()) == t.before.total and len(t.again.members) == 2, tables
    assert run.accepted_while_away > 0, tables
    # A command through the survivor on a case whose partition the killed routing had held works, and shows.
    probe = run.probe
    assert probe.status == 200 and probe.shown, tables
    assert run.facts is not None
    on_topic = {(e.topic, e.partition) for e in run.facts.events if e.case_id == probe.case_id}
    assert {f"{topic}:{partition}" for topic, partition in on_topic} <= run.takeovers["routing"].victim_partitions
    assert {e.type for e in run.facts.events if e.case_id == probe.case_id} >= {"request.submitted", "case.triaged"}
