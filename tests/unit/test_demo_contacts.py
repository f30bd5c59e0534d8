"""The demo year's other contacts: calls, visits and letters the coordinator records, and second requests."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime

import pytest
from pydantic import TypeAdapter

from deploy.demo.calendar import after_hours
from deploy.demo.contacts import with_other_contacts
from deploy.demo.model import plan_year
from deploy.demo.plan import AGAIN, COORDINATOR, PlannedCase
from services.routing.accounts import Account
from services.routing.decisions import COMMANDS, decide
from services.routing.domain import CaseState, evolve
from shared.events import new_event
from shared.regions import load_regions
from shared.sealing import Sealed
from shared.settings import ROOT

VS = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
END = date(2026, 11, 30)
STOP = datetime(2026, 11, 29, 22, tzinfo=UTC)
STAFF = {"family-guidance": ["ohjaaja"], "family-work": ["perhetyo"], "family-counselling": ["perheneuvoja"]}


@pytest.fixture(scope="module")
def button() -> list[PlannedCase]:
    return plan_year(VS, end=END, rng=random.Random(3), per_1000_children=12, professionals=STAFF)


@pytest.fixture(scope="module")
def year(button: list[PlannedCase]) -> list[PlannedCase]:
    return with_other_contacts(button, random.Random(4), STOP)


def test_the_buttons_year_stays_and_some_contacts_come_otherwise(button, year) -> None:
    assert len(year) == len(button)
    recorded = [p for p in year if p.channel != "button"]
    again = [p for p in year if p.again is not None]
    assert 0.04 < len(recorded) / len(year) < 0.15 and 0.005 < len(again) / len(year) < 0.05
    assert {p.channel for p in recorded} == {"phone", "in_person", "letter"}
    kept = [(b, p) for b, p in zip(button, year, strict=True) if p.channel == "button" and p.again is None]
    assert all(b == p for b, p in kept)
    assert with_other_contacts(button, random.Random(4), STOP) == year  # one seed, one year


def test_a_recorded_contact_comes_in_office_hours_and_is_answered_by_phone(year) -> None:
    for plan in (p for p in year if p.channel != "button"):
        assert not after_hours(plan.received_at)
        assert plan.feedback is None and set(plan.contact) == {"method", "phone"}
        assert all(step.command != "reply" for step in plan.steps())
        assert not (plan.channel == "letter" and plan.answered_in_contact)
        _replay(plan)  # routing takes every step of a recorded case


def test_a_second_request_is_linked_while_the_first_is_open(year) -> None:
    for plan in (p for p in year if p.again is not None):
        again = plan.again
        assert plan.received_at < again.received_at < again.linked_at < STOP
        assert plan.closing is None or again.linked_at < plan.closing.at
        steps = plan.steps()
        assert [s.command for s in steps].count(AGAIN) == 1
        assert [s.at for s in steps] == sorted(s.at for s in steps)
        assert again.submission_id != plan.submission_id and plan.message in again.message


def _replay(plan: PlannedCase) -> None:
    team_of = {person: team for team, people in STAFF.items() for person in people}
    state = CaseState(case_id=uuid.uuid4(), region=VS.id, municipality=plan.municipality, received_at=plan.received_at,
                      answer_due=plan.answer_due, contact_method=plan.contact_method, topic=plan.topic, version=1,
                      channel=plan.channel)
    for step in plan.steps():
        account = Account(id=step.by, username=step.by, display_name=step.by, language="fi", region=VS.id,
                          role="coordinator" if step.by == COORDINATOR else "professional",
                          team_id=team_of.get(step.by))
        command = TypeAdapter(COMMANDS[step.command]).validate_python(dict(step.arguments))
        for cls, payload in decide(state, command, region=VS, teams={t.id for t in VS.teams}, team_of=team_of.get,
                                   seal=lambda text, _type, _field: Sealed(nonce="bm9uY2U=", ciphertext=text)):
            state = evolve(state, new_event(cls, case_id=state.case_id, region=state.region,
                                            municipality=state.municipality, actor=f"staff:{account.id}",
                                            payload=payload, occurred_at=step.at))
    assert state.closed == (plan.final_closing is not None)
