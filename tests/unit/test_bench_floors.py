"""make bench's floor under the replays: decode + COPY."""

from __future__ import annotations

import json

from aiokafka import ConsumerRecord

from bench.decode_copy import COLUMNS, DDL, rows
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
