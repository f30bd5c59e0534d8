"""The fault suite's bookkeeping knows what notify owes for a family's follow-up: one e-mail, to whoever has the
case (the assignee, else the team's mailbox, else the coordinators')."""

from __future__ import annotations

import uuid
from typing import Any

from services.notify.projection import notification_id
from tests.faults.check import Event, expected_notifications


def event(kind: str, case_id: str, payload: dict[str, Any]) -> Event:
    return Event(event_id=str(uuid.uuid4()), type=kind, case_id=case_id, payload=payload, topic="t", partition=0,
                 offset=0)


def test_a_follow_up_is_owed_to_whoever_has_the_case_at_that_moment() -> None:
    case = str(uuid.uuid4())
    request = event("request.submitted", case, {"contact_method": "anonymous"})
    first = event("family.message_added", case, {})
    to_team = event("case.assigned", case, {"assignee_kind": "team", "assignee_id": "family-work",
                                             "team_id": "family-work"})
    second = event("family.message_added", case, {})
    to_sanna = event("case.handed_off", case, {"assignee_kind": "professional", "assignee_id": "sanna",
                                               "team_id": "family-work"})
    third = event("family.message_added", case, {})
    expected = expected_notifications([request, first, to_team, second, to_sanna, third, third])
    owed = {nid for nid, label in expected.items() if label == "the family wrote again, to staff"}
    assert owed == {str(notification_id(uuid.UUID(e.event_id), who, "family_wrote_again"))
                    for e, who in ((first, "coordinators"), (second, "team:family-work"), (third, "staff:sanna"))}
