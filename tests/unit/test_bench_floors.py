"""make bench's two floors: decode + COPY under the replays, one insert and commit under intake."""

from __future__ import annotations

import json
from typing import Any

from aiokafka import ConsumerRecord

from bench import bare
from bench.__main__ import Floor
from bench.bare_insert import create_app
from bench.decode_copy import COLUMNS, DDL, rows
from bench.intake import WrkRun
from shared.codec import encode
from shared.events import EventBase
from tests.support import request_event


def record(value: bytes | None) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic="t", partition=0, offset=0, timestamp=0, timestamp_type=0, key=None, value=value,
                          checksum=None, serialized_key_size=0, serialized_value_size=0, headers=[])


def test_each_known_event_becomes_a_row_of_its_whole_envelope() -> None:
    event = request_event()
    unknown = json.loads(encode(event))
    unknown["type"] = "case.something_new"
    decoded = rows([record(encode(event)), record(json.dumps(unknown).encode()), record(None)])
    assert decoded == [tuple(getattr(event, column) for column in COLUMNS)]
    assert set(COLUMNS) == set(EventBase.model_fields)
    assert all(f"{column} " in DDL for column in COLUMNS)


def test_the_durable_floor_takes_and_answers_what_the_bare_endpoint_does() -> None:
    def operation(schema: dict[str, Any]) -> dict[str, Any]:
        post = schema["paths"]["/api/v1/requests"]["post"]
        return {"body": post["requestBody"], "answer": post["responses"]["201"]}

    assert operation(create_app("postgresql://nowhere/none").openapi()) == operation(bare.app.openapi())


def test_a_figure_is_a_share_of_the_floors_closed_loop_rate() -> None:
    def run(requests: int) -> WrkRun:
        return WrkRun(requests=requests, seconds=10, p50_ms=1, p90_ms=2, p99_ms=3, max_ms=4, non_2xx=0, errors=0)

    floor = Floor(closed=run(20_000), paced=run(15_000), cpu_ms={})
    assert floor.share(run(5_000)) == 0.25
    assert Floor(closed=run(0), paced=run(0), cpu_ms={}).share(run(5_000)) == 0.0
