"""Static membership against a real broker: a consumer killed with SIGKILL and started again under its name gets
its partitions back at once; without a name it waits out the dead member's session (the cause of the slow
recoveries in docs/reliability.md); a consumer that stops on purpose hands its partitions over at once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest

from shared.consumer import SESSION_TIMEOUT_MS, ProjectionConsumer
from shared.settings import ROOT
from shared.topics import cases_topic, dead_letter_topic
from tests.integration.test_consumer import PROJECTION, REGION, setup

pytestmark = pytest.mark.integration
PARTITIONS = 3  # setup() makes the region's topics with three partitions
# Well under the session (10 s), well over a join that does not wait for anybody (about a second).
AT_ONCE_S = 5.0

# A member of the group in a process of its own, with the consumer's own settings, to be killed with SIGKILL.
MEMBER = """
import asyncio, sys
from shared.applier import Projection
from shared.consumer import ProjectionConsumer

async def main(bootstrap: str, group: str, topic: str, instance: str) -> None:
    projection = Projection(name="p", migrations=[], tables=[], event_handlers={})
    consumer = ProjectionConsumer(pool=None, bootstrap=bootstrap, group_id=group, topics=[topic],
                                  projection=projection, dead_letter_topic=lambda t: t,
                                  instance_id=instance or None)._new_consumer()
    await consumer.start()
    consumer.subscribe([topic])
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=200)
    print("assigned", len(consumer.assignment()), flush=True)
    while True:
        await consumer.getmany(timeout_ms=500)

asyncio.run(main(*sys.argv[1:]))
"""


def member(pool, kafka, prefix: str, instance_id: str | None) -> ProjectionConsumer:
    return ProjectionConsumer(pool=pool, bootstrap=kafka.bootstrap, group_id=f"{prefix}.routing",
                              topics=[cases_topic(prefix, REGION)], projection=PROJECTION,
                              dead_letter_topic=lambda topic: dead_letter_topic(prefix, REGION),
                              instance_id=instance_id)


async def holds(consumer: ProjectionConsumer, count: int, timeout: float) -> float:
    """Seconds until ``consumer`` holds ``count`` partitions."""
    started = time.monotonic()
    while consumer.status()["partitions"] != count:
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{consumer.instance_id} held {consumer.status()['partitions']} partitions, "
                                 f"not {count}, after {timeout:.0f} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def start_member_process(kafka, prefix: str, instance_id: str | None) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", MEMBER, kafka.bootstrap, f"{prefix}.routing",
                             cases_topic(prefix, REGION), instance_id or ""],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    assert proc.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 60)
    assert line.strip() == f"assigned {PARTITIONS}", line
    return proc


@pytest.mark.parametrize("instance_id", ["routing-slot-1", None], ids=["static", "dynamic"])
async def test_a_killed_member_started_again_under_its_name_gets_its_partitions_at_once(
        postgres, kafka, prefix, instance_id):
    pool = await setup(postgres, kafka, prefix)
    proc = await start_member_process(kafka, prefix, instance_id)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    again = member(pool, kafka, prefix, instance_id)
    task = asyncio.create_task(again.run())
    try:
        seconds = await holds(again, PARTITIONS, timeout=SESSION_TIMEOUT_MS / 1000 + 20)
        if instance_id is not None:
            # It took the dead member's place: no rebalance, nothing to wait for.
            assert seconds < AT_ONCE_S, f"static member got its partitions back after {seconds:.1f} s"
        else:
            # A new member: the rebalance waits until the dead member's session has run out.
            assert seconds >= AT_ONCE_S, f"dynamic member got the partitions after {seconds:.1f} s"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pool.close()


async def test_a_member_that_stops_on_purpose_hands_its_partitions_over_at_once(postgres, kafka, prefix):
    pool = await setup(postgres, kafka, prefix)
    first, second = member(pool, kafka, prefix, "routing-a"), member(pool, kafka, prefix, "routing-b")
    tasks = [asyncio.create_task(first.run())]
    try:
        await holds(first, PARTITIONS, timeout=30)
        tasks.append(asyncio.create_task(second.run()))

        async def shared() -> None:
            while not (first.status()["partitions"] and second.status()["partitions"]):
                await asyncio.sleep(0.05)
        await asyncio.wait_for(shared(), 30)
        tasks[0].cancel()  # a scale-down: the service stops cleanly
        await asyncio.gather(tasks[0], return_exceptions=True)
        seconds = await holds(second, PARTITIONS, timeout=SESSION_TIMEOUT_MS / 1000 + 20)
        assert seconds < AT_ONCE_S, f"the other member took over after {seconds:.1f} s, not at once"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await pool.close()
