"""case.closed v1 (stored before duplicates) reads as v2 unchanged; v2 may close a case as a duplicate."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from shared.codec import decode, encode
from shared.errors import UndecodableEvent
from shared.events import CaseClosed, CaseClosedPayload, new_event

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "events"


def test_a_stored_v1_closing_reads_as_v2_with_its_outcome_and_service() -> None:
    raw = (FIXTURES / "case_closed_v1.json").read_bytes()
    assert json.loads(raw)["schema_version"] == 1
    event = decode(raw)
    assert isinstance(event, CaseClosed)
    assert event.schema_version == 2
    assert event.payload.outcome == "referred"
    assert event.payload.referred_to == "raisio-perheneuvola"
    assert event.event_id == uuid.UUID(json.loads(raw)["event_id"])


def test_v2_closes_as_a_duplicate_and_round_trips() -> None:
    event = new_event(CaseClosed, case_id=uuid.uuid4(), region="varsinais-suomi", municipality="raisio",
                      actor="staff:k", payload=CaseClosedPayload(outcome="duplicate"))
    raw = json.loads(encode(event))
    assert raw["schema_version"] == 2 and raw["payload"]["outcome"] == "duplicate"
    assert decode(encode(event)) == event


def test_an_unknown_outcome_is_undecodable_in_either_version() -> None:
    raw = json.loads((FIXTURES / "case_closed_v1.json").read_text())
    raw["payload"]["outcome"] = "merged"
    with pytest.raises(UndecodableEvent, match="outcome"):
        decode(json.dumps(raw).encode())


def test_a_v3_closing_is_newer_than_this_code_reads() -> None:
    raw = json.loads((FIXTURES / "case_closed_v1.json").read_text())
    raw["schema_version"] = 3
    with pytest.raises(UndecodableEvent, match="newer"):
        decode(json.dumps(raw).encode())
