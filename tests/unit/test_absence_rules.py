"""Who may get a case while away: assigning asks for a confirmation, a hand-off is refused, a team is unaffected;
and a staff record tells on which days its person is away."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.routing.decisions import AssignCase, AssigneeAbsent, HandOffCase, decide
from services.routing.domain import initial_state
from shared.staff import Absence
from tests.support import request_event
from tests.unit.test_routing_domain import NOW, PROS, REGION, TEAMS, run, sealer

AWAY = {"ville": Absence(absence_id=uuid.uuid4(), starts=date(2026, 11, 20), ends=date(2026, 11, 27),
                         substitute_kind="professional", substitute_id="maija")}


def decided(state, command):  # type: ignore[no-untyped-def]
    return decide(state, command, region=REGION, teams=TEAMS, seal=sealer, team_of=PROS.get, now=NOW,
                  absent_of=AWAY.get)


def test_assigning_to_someone_away_needs_a_confirmation() -> None:
    state = initial_state(request_event())
    with pytest.raises(AssigneeAbsent) as refused:
        decided(state, AssignCase(assignee_kind="professional", assignee_id="ville"))
    assert refused.value.context["until"] == "2026-11-27" and refused.value.context["substitute"] == \
        "professional:maija"
    assert decided(state, AssignCase(assignee_kind="professional", assignee_id="ville", confirm_absent=True))
    assert decided(state, AssignCase(assignee_kind="professional", assignee_id="maija"))
    assert decided(state, AssignCase(assignee_kind="team", assignee_id="family-work"))


def test_a_hand_off_to_someone_away_is_refused_even_when_confirmed() -> None:
    state = run(initial_state(request_event()), AssignCase(assignee_kind="professional", assignee_id="maija"))
    with pytest.raises(AssigneeAbsent):
        decided(state, HandOffCase(assignee_kind="professional", assignee_id="ville", note="Tuntee perheen",
                                   confirm_absent=True))
    assert decided(state, HandOffCase(assignee_kind="team", assignee_id="family-work", note="Tiimille"))


def test_an_absence_covers_its_days_inclusive() -> None:
    absence = AWAY["ville"]
    assert [absence.covers(date(2026, 11, d)) for d in (19, 20, 27, 28)] == [False, True, True, False]
