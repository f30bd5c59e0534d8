"""Deadline alerts v1 (stored before follow-ups) read as v2 about follow-up 0; v2 carries the follow-up."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from shared.codec import decode, encode
from shared.errors import UndecodableEvent
from shared.events import DeadlineMissed, DeadlineWarning, FollowUpDeadlinePayload, new_event

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "events"


@pytest.mark.parametrize("name,cls", [("deadline_warning_v1.json", DeadlineWarning),
                                      ("deadline_missed_v1.json", DeadlineMissed)])
def test_a_stored_v1_alert_reads_as_v2_about_the_first_request(name: str, cls: type) -> None:
    raw = (FIXTURES / name).read_bytes()
    assert json.loads(raw)["schema_version"] == 1
    event = decode(raw)
    assert isinstance(event, cls)
    assert event.schema_version == 2
    assert event.payload.followup == 0
    assert event.payload.answer_due == date(2026, 11, 30)
    assert event.payload.due_at == datetime(2026, 11, 30, 22, tzinfo=UTC)
    assert event.event_id == uuid.UUID(json.loads(raw)["event_id"])


def test_v2_round_trips_with_its_follow_up_number() -> None:
    event = new_event(DeadlineMissed, case_id=uuid.uuid4(), region="varsinais-suomi", municipality="raisio",
                      actor="routing.deadlines", payload=FollowUpDeadlinePayload(
                          answer_due=date(2026, 12, 8), due_at=datetime(2026, 12, 8, 22, tzinfo=UTC), followup=2))
    raw = json.loads(encode(event))
    assert raw["schema_version"] == 2 and raw["payload"]["followup"] == 2
    assert decode(encode(event)) == event


def test_a_v2_alert_without_its_follow_up_is_undecodable() -> None:
    raw = json.loads((FIXTURES / "deadline_warning_v1.json").read_text())
    raw["schema_version"] = 2
    with pytest.raises(UndecodableEvent, match="followup"):
        decode(json.dumps(raw).encode())


def test_a_v1_alert_with_a_broken_payload_is_undecodable_not_a_crash() -> None:
    raw = json.loads((FIXTURES / "deadline_missed_v1.json").read_text())
    raw["payload"] = "not an object"
    with pytest.raises(UndecodableEvent, match="invalid deadline.missed"):
        decode(json.dumps(raw).encode())
