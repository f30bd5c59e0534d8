"""Properties of the event codec: every event type round-trips, old versions upcast, nothing else escapes.

The strategies are derived from the pydantic models themselves (field by field, with their
constraints), so a new event type or field is covered the day it is added. Sealed values are
real: sealed with a fresh data key and bound to the event's case id, as the services make them.
"""

from __future__ import annotations

import types
import typing
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Literal, Union

import annotated_types
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel

from shared.codec import Upcasters, decode, encode
from shared.errors import UndecodableEvent
from shared.events import ALL_EVENTS, CURRENT_VERSIONS, EVENT_TYPES, EventBase
from shared.sealing import KeyUnavailable, Place, Sealed, new_data_key, seal, unseal

PROPERTIES = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.too_slow])

# Fixed offsets in whole minutes, ±18 h: pydantic writes an offset as ±HH:MM, so an offset with seconds
# (zoneinfo's local mean time before 1921) would lose them. The services write UTC.
OFFSETS = st.integers(min_value=-18 * 60 + 1, max_value=18 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
AWARE = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 30),
                     timezones=st.one_of(st.just(UTC), OFFSETS))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


def sealed(case_id: uuid.UUID) -> st.SearchStrategy[Sealed]:
    """A value sealed as the services seal it: with a case's data key, bound to the case id."""
    return st.builds(lambda value: seal(new_data_key(), case_id, value, Place("any.event", "field")), JSON_VALUES)


def for_annotation(annotation: Any, metadata: list[Any], case_id: uuid.UUID) -> st.SearchStrategy[Any]:
    """A strategy for one field's type, honouring ``Ge``/``Le``/``MinLen``/``MaxLen`` constraints."""
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return st.sampled_from(typing.get_args(annotation))
    if origin in (Union, types.UnionType):
        return st.one_of(*(for_annotation(arg, metadata, case_id) for arg in typing.get_args(annotation)))
    if annotation is type(None):
        return st.none()
    if annotation is Sealed:
        return sealed(case_id)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return for_model(annotation, case_id)
    if annotation is uuid.UUID:
        return st.uuids()
    if annotation is AwareDatetime:
        return AWARE
    if annotation is datetime:
        return AWARE
    if annotation is date:
        return st.dates()
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        low = next((int(m.ge) for m in metadata if isinstance(m, annotated_types.Ge)), -(2**53))  # type: ignore[call-overload]
        high = next((int(m.le) for m in metadata if isinstance(m, annotated_types.Le)), 2**53)  # type: ignore[call-overload]
        return st.integers(min_value=low, max_value=high)
    if annotation is str:
        low = next((m.min_length for m in metadata if isinstance(m, annotated_types.MinLen)), 0)
        high = next((m.max_length for m in metadata if isinstance(m, annotated_types.MaxLen)), 200)
        return st.text(min_size=low, max_size=min(high, 200))
    raise NotImplementedError(f"no strategy for {annotation!r}: add one to tests/fuzz/test_codec_properties.py")


def for_model(model: type[BaseModel], case_id: uuid.UUID) -> st.SearchStrategy[Any]:
    """The model built from its fields; a field with a default is sometimes left out."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, field in model.model_fields.items():
        if name in ("type", "schema_version"):
            continue  # the class's own literals: the wire name and the current version
        strategy = for_annotation(field.annotation, list(field.metadata), case_id)
        (fields if field.is_required() else optional)[name] = strategy
    return st.fixed_dictionaries(fields, optional=optional).map(model.model_validate)


@st.composite
def events(draw: st.DrawFn, cls: type[EventBase] | None = None) -> EventBase:
    """Any event of ``cls`` (any type when None); its sealed fields bound to its own case id."""
    chosen = cls if cls is not None else draw(st.sampled_from(ALL_EVENTS))
    case_id = draw(st.uuids())
    event: EventBase = draw(for_model(chosen, case_id).map(lambda e: e.model_copy(update={"case_id": case_id})))
    return event


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=[c.model_fields["type"].default for c in ALL_EVENTS])
@PROPERTIES
@given(data=st.data())
def test_every_event_type_round_trips(cls: type[EventBase], data: st.DataObject) -> None:
    event = data.draw(events(cls))
    wire = encode(event)
    back = decode(wire)
    assert type(back) is cls
    assert back == event
    assert encode(back) == wire  # byte for byte: a relayed or replayed event reads the same
    assert back.schema_version == CURRENT_VERSIONS[event.type]


def sealed_fields(cls: type[EventBase]) -> list[str]:
    payload: type[BaseModel] = cls.model_fields["payload"].annotation  # type: ignore[assignment]
    return [name for name, f in payload.model_fields.items()
            if Sealed in (f.annotation, *typing.get_args(f.annotation))]


WITH_SEALED = [cls for cls in ALL_EVENTS if sealed_fields(cls)]


@PROPERTIES
@given(data=st.data(), value=JSON_VALUES, other_case=st.uuids())
def test_sealed_fields_survive_the_wire_and_stay_bound_to_their_case(data: st.DataObject, value: Any,
                                                                     other_case: uuid.UUID) -> None:
    event = data.draw(events(data.draw(st.sampled_from(WITH_SEALED))))
    name = data.draw(st.sampled_from(sealed_fields(type(event))))
    # Reseal one field under a key of our own, then read it back after the wire.
    key = new_data_key()
    place = Place(event.type, name)
    payload = {**event.payload.model_dump(), name: seal(key, event.case_id, value, place).model_dump()}  # type: ignore[attr-defined]
    back = decode(encode(type(event).model_validate({**event.model_dump(), "payload": payload})))
    assert back is not None
    opened = getattr(back.payload, name)  # type: ignore[attr-defined]
    assert unseal(key, event.case_id, opened, place) == orjson.loads(orjson.dumps(value))
    if other_case != event.case_id:
        with pytest.raises(KeyUnavailable):  # the case id is the associated data: no other case opens it
            unseal(key, other_case, opened, place)


@PROPERTIES
@given(event=events(), extra=st.dictionaries(st.text(min_size=1, max_size=10), JSON_VALUES, max_size=3))
def test_unknown_fields_from_a_newer_producer_are_ignored(event: EventBase, extra: dict[str, Any]) -> None:
    raw = orjson.loads(encode(event))
    raw["payload"].update({f"new_{k}": v for k, v in extra.items()})
    raw.update({f"new_{k}": v for k, v in extra.items()})
    assert decode(orjson.dumps(raw)) == event


# Every version below the current one of every type, each with a strategy for its old shape below.
OLD_VERSIONS = [(name, version) for name, current in CURRENT_VERSIONS.items() for version in range(1, current)]
# (type, old version) -> a strategy of the raw dict a producer of that version wrote. A new version of an
# event type needs its upcaster in shared/codec.py and its old shape here; the test below says which is missing.
def deadline_v1(cls: type[EventBase]) -> st.SearchStrategy[dict[str, Any]]:
    """A deadline alert as version 1 wrote it: the first request's day only, no follow-up number."""
    def written(event: EventBase) -> dict[str, Any]:
        raw: dict[str, Any] = orjson.loads(encode(event))
        raw["payload"].pop("followup")
        return {**raw, "schema_version": 1}

    return events(cls).map(written)


def case_closed_v1() -> st.SearchStrategy[dict[str, Any]]:
    """A closing as version 1 wrote it: the same shape, with one of the outcomes before duplicates."""
    def written(event: EventBase) -> dict[str, Any]:
        raw: dict[str, Any] = orjson.loads(encode(event))
        return {**raw, "schema_version": 1}

    return events(EVENT_TYPES["case.closed"]).filter(
        lambda e: e.payload.outcome != "duplicate").map(written)  # type: ignore[attr-defined]


OLD_SHAPES: dict[tuple[str, int], st.SearchStrategy[dict[str, Any]]] = {
    ("deadline.warning", 1): deadline_v1(EVENT_TYPES["deadline.warning"]),
    ("deadline.missed", 1): deadline_v1(EVENT_TYPES["deadline.missed"]),
    ("case.closed", 1): case_closed_v1(),
}


def test_every_old_version_has_an_old_shape_to_fuzz_its_upcasters_with() -> None:
    assert sorted(OLD_SHAPES) == sorted(OLD_VERSIONS), (
        "add a strategy of the old event's raw dict to OLD_SHAPES for each version below the current one")


@pytest.mark.parametrize("event_type,version", OLD_VERSIONS or [
    pytest.param(None, None, marks=pytest.mark.skip(reason="every event type is still at its first version"))])
@PROPERTIES
@given(data=st.data())
def test_every_upcaster_chain_yields_a_valid_current_event(event_type: str, version: int,
                                                           data: st.DataObject) -> None:
    old = data.draw(OLD_SHAPES[(event_type, version)])
    assert old["type"] == event_type and old["schema_version"] == version
    event = decode(orjson.dumps(old))
    assert isinstance(event, EVENT_TYPES[event_type])
    assert event.schema_version == CURRENT_VERSIONS[event_type]
    if event_type.startswith("deadline."):
        assert event.payload.followup == 0  # type: ignore[attr-defined]  # before follow-ups: the first request


@PROPERTIES
@given(event=events(), data=st.data())
def test_a_chain_of_upcasters_ends_at_the_current_shape(event: EventBase, data: st.DataObject) -> None:
    """The machinery itself, on a real event: pretend it is at v3 and its v1 and v2 were written differently."""
    current = dict(CURRENT_VERSIONS, **{event.type: 3})
    upcasters = Upcasters(current)

    @upcasters.register(event.type, 1)
    def v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
        raw["occurred_at"] = raw.pop("at")
        return raw

    @upcasters.register(event.type, 2)
    def v2_to_v3(raw: dict[str, Any]) -> dict[str, Any]:
        raw["actor"] = raw.pop("who", "unknown")
        return raw

    new = orjson.loads(encode(event))
    start = data.draw(st.sampled_from([1, 2, 3]))
    old = dict(new, schema_version=start)
    if start == 1:
        old["at"] = old.pop("occurred_at")
    if start <= 2:
        old["who"] = old.pop("actor")
    upcast = upcasters.upcast(old)
    assert upcast == {**new, "schema_version": 3}


@PROPERTIES
@given(raw=st.binary(max_size=300))
def test_decode_of_arbitrary_bytes_raises_only_undecodable(raw: bytes) -> None:
    try:
        decode(raw)
    except UndecodableEvent:
        pass


def envelopes() -> st.SearchStrategy[Any]:
    """Arbitrary JSON, and records that look like events: a known type, any version, any fields."""
    known = st.sampled_from(sorted(EVENT_TYPES))
    version = st.one_of(st.integers(min_value=-3, max_value=5), st.booleans(), st.none(), st.text(max_size=3),
                        st.floats(allow_nan=False))
    near_miss = st.builds(lambda event, changes: {**orjson.loads(encode(event)), **changes}, events(),
                          st.dictionaries(st.sampled_from(["type", "schema_version", "payload", "event_id",
                                                           "occurred_at", "case_id", "actor"]),
                                          st.one_of(JSON_VALUES, known, version), max_size=3))
    shaped = st.fixed_dictionaries({"type": st.one_of(known, st.text(max_size=20), JSON_VALUES)},
                                   optional={"schema_version": version,
                                             "payload": st.dictionaries(st.text(max_size=10), JSON_VALUES)})
    return st.one_of(JSON_VALUES, shaped, near_miss)


@PROPERTIES
@given(value=envelopes())
def test_decode_of_arbitrary_json_raises_only_undecodable(value: Any) -> None:
    try:
        event = decode(orjson.dumps(value))
    except UndecodableEvent:
        return
    # What decodes is either a current event of a known type or None for a type this code does not know.
    if event is None:
        assert isinstance(value, dict) and value.get("type") not in CURRENT_VERSIONS
    else:
        assert isinstance(event, EVENT_TYPES[value["type"]])
        assert event.schema_version == CURRENT_VERSIONS[event.type]
