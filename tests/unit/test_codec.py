"""The event codec: round trips, tolerant reads, upcasters, and what counts as undecodable."""

from __future__ import annotations

import json
import uuid

import pytest

from shared.codec import Upcasters, decode, encode
from shared.errors import UndecodableEvent
from shared.events import RequestSubmitted
from tests.support import request_event


def test_round_trip() -> None:
    event = request_event()
    assert decode(encode(event)) == event


def test_wire_name_is_stable_not_a_class_name() -> None:
    raw = json.loads(encode(request_event()))
    assert raw["type"] == "request.submitted"
    assert raw["schema_version"] == 1


def test_unknown_fields_are_ignored_for_rolling_deploys() -> None:
    raw = json.loads(encode(request_event()))
    raw["added_by_a_newer_producer"] = True
    raw["payload"]["also_new"] = {"x": 1}
    assert isinstance(decode(json.dumps(raw).encode()), RequestSubmitted)


def test_unknown_type_is_not_poison() -> None:
    raw = json.loads(encode(request_event()))
    raw["type"] = "case.something_new"
    assert decode(json.dumps(raw).encode()) is None


@pytest.mark.parametrize("value,reason", [
    (b"\xff\xfe", "not JSON"),
    (b"[1, 2]", "not an object"),
    (b'{"schema_version": 1}', "no 'type'"),
    (b'{"type": "request.submitted", "schema_version": 9}', "newer than"),
    (b'{"type": "request.submitted", "schema_version": 1}', "invalid request.submitted"),
])
def test_undecodable_records_say_why(value: bytes, reason: str) -> None:
    with pytest.raises(UndecodableEvent, match=reason):
        decode(value)


def test_upcasters_run_in_order_on_the_raw_dict() -> None:
    upcasters = Upcasters({"demo.happened": 3})

    @upcasters.register("demo.happened", 1)
    def rename(raw: dict) -> dict:
        raw["payload"]["who"] = raw["payload"].pop("name")
        return raw

    @upcasters.register("demo.happened", 2)
    def add_default(raw: dict) -> dict:
        raw["payload"].setdefault("count", 1)
        return raw

    stored_v1 = {"type": "demo.happened", "schema_version": 1, "payload": {"name": "x"}}
    assert upcasters.upcast(stored_v1) == {"type": "demo.happened", "schema_version": 3,
                                           "payload": {"who": "x", "count": 1}}
    with pytest.raises(UndecodableEvent, match="no upcaster"):
        Upcasters({"demo.happened": 2}).upcast({"type": "demo.happened", "schema_version": 1})


def test_caused_event_inherits_correlation() -> None:
    cause = request_event()
    from shared.events import new_event

    effect = new_event(RequestSubmitted, case_id=cause.case_id, region=cause.region,
                       municipality=cause.municipality, actor="routing", payload=cause.payload, causation=cause)
    assert effect.correlation_id == cause.correlation_id
    assert effect.causation_id == cause.event_id
    assert effect.event_id != cause.event_id
    assert isinstance(effect.event_id, uuid.UUID)
