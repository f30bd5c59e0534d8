"""The roll helper both routing and the network use: a marker in every partition, and a loop that outlives Kafka."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.keyroll import MARKER_KEY, mark_partitions, run_roll_markers
from shared.settings import ServiceSettings


class FakeProducer:
    """Records what it is asked to send; fails to start while ``down`` is true."""

    def __init__(self, partitions: dict[str, set[int]], down: list[bool]) -> None:
        self.partitions = partitions
        self.down = down
        self.sent: list[tuple[str, bytes | None, bytes | None, int, list[tuple[str, bytes]]]] = []
        self.started = self.stopped = False

    async def start(self) -> None:
        if self.down and self.down.pop(0):
            raise ConnectionError("no broker")
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def partitions_for(self, topic: str) -> set[int]:
        return self.partitions[topic]

    async def send(self, topic: str, *, key: bytes | None, value: bytes | None, partition: int,
                   headers: list[tuple[str, bytes]]) -> asyncio.Future[None]:
        self.sent.append((topic, key, value, partition, headers))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def test_a_marker_goes_to_every_partition_of_every_topic() -> None:
    producer = FakeProducer({"a.keys": {2, 0, 1}, "b.keys": {0}}, [])
    count = await mark_partitions(producer, ["a.keys", "b.keys"])  # type: ignore[arg-type]
    assert count == 4
    assert [(t, p) for t, _, _, p, _ in producer.sent] == [("a.keys", 0), ("a.keys", 1), ("a.keys", 2), ("b.keys", 0)]
    # A tombstone of the nil UUID: no case's or agent's key, so no key table deletes anything on it.
    assert {(k, v) for _, k, v, _, _ in producer.sent} == {(b"00000000-0000-0000-0000-000000000000", None)}
    assert MARKER_KEY == b"00000000-0000-0000-0000-000000000000"
    assert all(h == [("type", b"keys.roll_marker")] for *_, h in producer.sent)


async def test_the_loop_starts_a_fresh_producer_after_kafka_was_away_and_stops_it_at_the_end() -> None:
    made: list[FakeProducer] = []
    down = [True, False]  # the first producer cannot start; the second can

    def factory() -> Any:
        made.append(FakeProducer({"k": {0, 1}}, down))
        return made[-1]

    task = asyncio.create_task(run_roll_markers(ServiceSettings(), ["k"], 0.01, "test-roll", producer_factory=factory))
    for _ in range(200):
        await asyncio.sleep(0.01)
        if len(made) == 2 and len(made[1].sent) >= 4:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(made) == 2, "after a failed start the next round tries a new producer"
    assert made[0].stopped and not made[0].sent
    assert len(made[1].sent) >= 4 and made[1].sent[:2] == [("k", MARKER_KEY, None, 0, [("type", b"keys.roll_marker")]),
                                                           ("k", MARKER_KEY, None, 1, [("type", b"keys.roll_marker")])]
    assert made[1].stopped, "a cancelled loop stops its producer"
