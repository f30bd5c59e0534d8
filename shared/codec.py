"""JSON on the wire: encode events, decode them tolerantly, upcast old versions first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from shared.errors import UndecodableEvent
from shared.event_base import Envelope
from shared.events import CURRENT_VERSIONS, Event, EventBase

RawEvent = dict[str, Any]
Upcaster = Callable[[RawEvent], RawEvent]


class Upcasters:
    """Numbered upcasters per event type, run on the raw dict before validation."""

    def __init__(self, current_versions: dict[str, int]) -> None:
        self.current_versions = current_versions
        self._steps: dict[tuple[str, int], Upcaster] = {}

    def register(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorate ``fn(raw) -> raw`` that turns ``from_version`` into ``from_version + 1``."""

        def decorator(fn: Upcaster) -> Upcaster:
            self._steps[(event_type, from_version)] = fn
            return fn

        return decorator

    def upcast(self, raw: RawEvent) -> RawEvent:
        event_type = raw.get("type")
        version = raw.get("schema_version", 1)
        if not isinstance(event_type, str) or not isinstance(version, int):
            raise UndecodableEvent("the envelope has no 'type' string or no integer 'schema_version'")
        current = self.current_versions.get(event_type)
        if current is None:
            return raw
        if version > current:
            raise UndecodableEvent(f"{event_type} v{version} is newer than this service reads (v{current})")
        while version < current:
            step = self._steps.get((event_type, version))
            if step is None:
                raise UndecodableEvent(f"no upcaster for {event_type} v{version}")
            raw = step(dict(raw))
            version += 1
            raw["schema_version"] = version
        return raw


UPCASTERS = Upcasters(CURRENT_VERSIONS)


@UPCASTERS.register("deadline.warning", 1)
@UPCASTERS.register("deadline.missed", 1)
def deadline_v1_to_v2(raw: RawEvent) -> RawEvent:
    """Before follow-ups had promised days of their own, every deadline alert was about the first request."""
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        return raw  # validation says what is wrong with it
    return {**raw, "payload": {**payload, "followup": 0}}


@UPCASTERS.register("case.closed", 1)
def case_closed_v1_to_v2(raw: RawEvent) -> RawEvent:
    """Version 2 only widened the outcomes (by "duplicate"): a version 1 closing reads as it was."""
    return raw


_EVENT: TypeAdapter[EventBase] = TypeAdapter(Event)


def encode(event: Envelope) -> bytes:
    return event.model_dump_json().encode()


def decode_with(raw: bytes, adapter: TypeAdapter[Any], upcasters: Upcasters) -> Any:
    """Another stream's events (the network's, shared/network_events.py) read by the same rules as a case's."""
    return _decode_raw(raw, upcasters, adapter)


def decode(raw: bytes, upcasters: Upcasters = UPCASTERS) -> EventBase | None:
    """Read one record's value; ``None`` for a well-formed event of a type this code does not know.

    Nearly every record is a current version of a known type, which pydantic reads straight from
    the bytes; anything else (an old version to upcast, an unknown type, a broken record) takes the
    careful path through the raw dict, which also says what is wrong.
    """
    try:
        event: EventBase = _EVENT.validate_json(raw)
    except ValidationError:
        pass
    else:
        if event.schema_version == upcasters.current_versions.get(event.type):
            return event
    found: EventBase | None = _decode_raw(raw, upcasters)
    return found


def _decode_raw(raw: bytes, upcasters: Upcasters, adapter: TypeAdapter[Any] = _EVENT) -> Any:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise UndecodableEvent(f"not JSON: {exc.msg} at position {exc.pos}") from exc
    if not isinstance(data, dict):
        raise UndecodableEvent("the record is JSON but not an object")
    data = upcasters.upcast(data)
    if data["type"] not in upcasters.current_versions:
        return None
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise UndecodableEvent(f"invalid {data['type']}: {problems}") from exc
