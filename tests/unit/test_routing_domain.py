"""Staff decisions: every command's events, the state they lead to, and what is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.routing.accounts import Account
from services.routing.decisions import (
    AddInternalNote,
    AssignCase,
    CloseCase,
    HandOffCase,
    RecordChildWelfareNotification,
    RecordContactAttempt,
    ReferCase,
    ReopenCase,
    SendReply,
    TriageCase,
    decide,
)
from services.routing.domain import CaseState, evolve, initial_state
from services.routing.permissions import may_administer, may_open_case, may_see_queue, may_see_statistics
from services.routing.queries import risk_of
from shared.businessdays import HELSINKI, business_hours_left
from shared.errors import InvalidCommand
from shared.events import new_event
from shared.places import SEALED_FIELDS
from shared.regions import load_regions
from shared.sealing import Sealed
from shared.settings import ROOT
from tests.support import request_event

REGION = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
TEAMS = {t.id for t in REGION.teams}
PROS = {"maija": "family-guidance", "ville": "family-work"}
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def sealer(text: str, event_type: str, field: str) -> Sealed:
    # decide seals each text for the field of the event it goes into, as readers will open it.
    assert SEALED_FIELDS[event_type] == field
    return Sealed(nonce="bm9uY2U=", ciphertext=text[::-1])


def run(state: CaseState, command: object) -> CaseState:
    for cls, payload in decide(state, command, region=REGION, teams=TEAMS, seal=sealer, team_of=PROS.get):
        event = new_event(cls, case_id=state.case_id, region=state.region, municipality=state.municipality,
                          actor="staff:test", payload=payload, occurred_at=NOW)
        state = evolve(state, event)
    return state


@pytest.fixture
def new_case() -> CaseState:
    return initial_state(request_event())


def test_triage_sets_topic_urgency_and_concern(new_case: CaseState) -> None:
    state = run(new_case, TriageCase(topic="family_change", urgency="urgent", child_welfare_concern=True))
    assert (state.status, state.topic, state.urgency) == ("triaged", "family_change", "urgent")
    assert state.child_welfare_concern and state.child_welfare_flagged_at == NOW
    assert state.version == new_case.version + 1


def test_assign_to_professional_or_team(new_case: CaseState) -> None:
    to_maija = run(new_case, AssignCase(assignee_kind="professional", assignee_id="maija"))
    assert (to_maija.status, to_maija.assignee_id, to_maija.team_id) == ("assigned", "maija", "family-guidance")
    to_team = run(new_case, AssignCase(assignee_kind="team", assignee_id="family-work"))
    assert (to_team.assignee_kind, to_team.team_id) == ("team", "family-work")
    with pytest.raises(InvalidCommand, match="no professional 'nobody'"):
        run(new_case, AssignCase(assignee_kind="professional", assignee_id="nobody"))
    with pytest.raises(InvalidCommand, match="no team 'astronauts'"):
        run(new_case, AssignCase(assignee_kind="team", assignee_id="astronauts"))


def test_hand_off_needs_an_assigned_case_and_carries_a_sealed_note(new_case: CaseState) -> None:
    with pytest.raises(InvalidCommand, match="assign it first"):
        run(new_case, HandOffCase(assignee_kind="professional", assignee_id="ville", note="x"))
    assigned = run(new_case, AssignCase(assignee_kind="professional", assignee_id="maija"))
    decision = decide(assigned, HandOffCase(assignee_kind="professional", assignee_id="ville", note="Soita iltaisin"),
                      region=REGION, teams=TEAMS, seal=sealer, team_of=PROS.get)
    (cls, payload), = decision
    assert cls.__name__ == "CaseHandedOff" and payload.note.ciphertext == "nisiatli atioS"  # type: ignore[attr-defined]
    handed = run(assigned, HandOffCase(assignee_kind="professional", assignee_id="ville", note="x"))
    assert handed.team_id == "family-work"


def test_first_response_is_the_first_reached_contact_or_reply(new_case: CaseState) -> None:
    missed = run(new_case, RecordContactAttempt(result="no_answer"))
    assert missed.first_response_at is None
    reached = run(missed, RecordContactAttempt(result="reached"))
    assert reached.first_response_at == NOW
    replied = run(new_case, SendReply(text="Hei"))
    assert replied.first_response_at == NOW


def test_refer_and_close(new_case: CaseState) -> None:
    with pytest.raises(InvalidCommand, match="directory"):
        run(new_case, ReferCase(service_id="moon-clinic", consent="spoken", note="Perhe toivoo soittoa"))
    referred = run(new_case, ReferCase(service_id="perheneuvola", consent="spoken", note="Perhe toivoo soittoa"))
    closed = run(referred, CloseCase(outcome="referred"))
    assert (closed.status, closed.outcome, closed.referred_to) == ("closed", "referred", "perheneuvola")
    with pytest.raises(InvalidCommand, match="directory"):
        run(new_case, CloseCase(outcome="referred"))


def test_closed_case_only_reopens_or_takes_notes(new_case: CaseState) -> None:
    closed = run(new_case, CloseCase(outcome="guidance_enough"))
    for command in (TriageCase(), SendReply(text="x"), RecordContactAttempt(result="reached"), CloseCase(
            outcome="not_reached")):
        with pytest.raises(InvalidCommand, match="closed"):
            run(closed, command)
    assert run(closed, AddInternalNote(text="muistiin")).closed
    reopened = run(closed, ReopenCase())
    assert (reopened.status, reopened.reopened, reopened.outcome) == ("new", 1, None)
    with pytest.raises(InvalidCommand, match="open"):
        run(reopened, ReopenCase())


def test_child_welfare_notification_needs_the_concern(new_case: CaseState) -> None:
    with pytest.raises(InvalidCommand, match="child welfare"):
        run(new_case, RecordChildWelfareNotification())
    flagged = run(new_case, TriageCase(child_welfare_concern=True))
    assert run(flagged, RecordChildWelfareNotification(how="contacted_together")).child_welfare_notified_at == NOW


def account(role: str, team: str | None = None, region: str = "varsinais-suomi", ident: str = "me") -> Account:
    return Account(id=ident, username=ident, display_name=ident, role=role, region=region, team_id=team,  # type: ignore[arg-type]
                   language="fi")


def test_permissions() -> None:
    case = {"region": "varsinais-suomi", "assignee_kind": "team", "assignee_id": "family-work",
            "team_id": "family-work"}
    assert may_open_case(account("coordinator"), **case)
    assert not may_open_case(account("coordinator", region="pohjois-pohjanmaa"), **case)
    assert may_open_case(account("professional", "family-work"), **case)
    assert not may_open_case(account("professional", "family-guidance"), **case)
    mine = {**case, "assignee_kind": "professional", "assignee_id": "me", "team_id": "family-guidance"}
    assert may_open_case(account("professional", "family-work"), **mine)
    for role in ("manager", "admin"):
        assert not may_open_case(account(role), **case) and not may_see_queue(account(role))
    assert may_see_statistics(account("manager")) and not may_see_statistics(account("professional", "x"))
    assert may_administer(account("admin")) and not may_administer(account("coordinator"))


def test_business_hours_and_risk() -> None:
    monday_10 = datetime(2026, 11, 23, 10, 0, tzinfo=HELSINKI)
    assert business_hours_left(monday_10, date(2026, 11, 24)) == 14.0
    assert business_hours_left(datetime(2026, 11, 24, 13, 0, tzinfo=HELSINKI), date(2026, 11, 24)) == 3.0
    assert business_hours_left(datetime(2026, 11, 21, 10, 0, tzinfo=HELSINKI), date(2026, 11, 23)) == 8.0
    assert business_hours_left(datetime(2026, 12, 24, 10, 0, tzinfo=HELSINKI), date(2026, 12, 28)) == 8.0
    assert business_hours_left(datetime(2026, 11, 25, 10, 0, tzinfo=HELSINKI), date(2026, 11, 24)) == -2.0
    due_at = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
    assert risk_of(status="new", first_response_at=None, due_at=due_at, hours_left=14, now=NOW) == "ok"
    assert risk_of(status="new", first_response_at=None, due_at=due_at, hours_left=3, now=NOW) == "at_risk"
    assert risk_of(status="new", first_response_at=None, due_at=due_at, hours_left=-1,
                   now=datetime(2026, 11, 25, 8, 0, tzinfo=UTC)) == "overdue"
    assert risk_of(status="assigned", first_response_at=NOW, due_at=due_at, hours_left=-1, now=NOW) == "answered"


def test_state_is_json_round_trippable(new_case: CaseState) -> None:
    state = run(new_case, TriageCase(topic="other"))
    assert CaseState.model_validate_json(state.model_dump_json()) == state
    assert isinstance(state.case_id, uuid.UUID)
