"""The demo year's model: deterministic, shaped like the pilots, and every step one routing accepts."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import date, timedelta

import pytest
from pydantic import TypeAdapter

from deploy.demo.calendar import after_hours, business_days_before, office_closing
from deploy.demo.model import plan_year
from deploy.demo.plan import COORDINATOR, PlannedCase
from services.routing.accounts import Account
from services.routing.decisions import COMMANDS, decide
from services.routing.domain import CaseState, evolve
from services.routing.permissions import may_open_case
from shared.businessdays import HELSINKI, end_of_day_utc
from shared.events import new_event
from shared.regions import load_regions
from shared.sealing import Sealed
from shared.settings import ROOT

REGIONS = load_regions(ROOT / "deploy" / "regions")
VS = REGIONS.by_id["varsinais-suomi"]
PP = REGIONS.by_id["pohjois-pohjanmaa"]
END = date(2026, 3, 2)  # a Monday
SEED = 2026
STAFF = {"family-guidance": ["ohjaaja", "ohjaaja2"], "family-work": ["perhetyo"],
         "child-health-clinic": ["neuvola"], "family-counselling": ["perheneuvoja"]}


@pytest.fixture(scope="module")
def year() -> list[PlannedCase]:
    return plan_year(VS, end=END, rng=random.Random(SEED), professionals=STAFF)


def local(plan: PlannedCase) -> date:
    return plan.received_at.astimezone(HELSINKI).date()


def test_one_seed_gives_the_same_year() -> None:
    again = plan_year(VS, end=END, rng=random.Random(2026), professionals=STAFF)
    assert again == plan_year(VS, end=END, rng=random.Random(2026), professionals=STAFF)
    assert again != plan_year(VS, end=END, rng=random.Random(2027), professionals=STAFF)


def test_about_twelve_a_year_per_thousand_children(year: list[PlannedCase]) -> None:
    children = sum(m.population.children_0_17 for m in VS.municipalities if m.population)
    assert len(year) == round(12 * children / 1000)
    assert 950 <= len(year) <= 1150
    assert len(plan_year(VS, end=END, rng=random.Random(1), per_1000_children=3)) == round(3 * children / 1000)
    assert all(END - timedelta(days=365) <= local(p) < END for p in year)
    assert [p.received_at for p in year] == sorted(p.received_at for p in year)


def test_municipalities_weigh_by_their_children(year: list[PlannedCase]) -> None:
    counts = Counter(p.municipality for p in year)
    assert counts["turku"] > 10 * max(counts["kustavi"], 1)
    assert counts["salo"] > 3 * counts["sauvo"]
    turku = VS.municipality("turku").population
    assert turku is not None
    share = turku.children_0_17 / sum(m.population.children_0_17 for m in VS.municipalities if m.population)
    assert abs(counts["turku"] / len(year) - share) < 0.05


def test_seasons_weekdays_and_hours(year: list[PlannedCase]) -> None:
    months = Counter(local(p).month for p in year)
    assert months[9] > 2 * months[7]
    assert months[9] == max(months.values())
    weekdays = Counter(local(p).weekday() for p in year)
    assert min(weekdays[0], weekdays[1]) > max(weekdays[d] for d in range(3, 7))
    assert weekdays[0] + weekdays[1] > weekdays[2] + weekdays[3]
    assert 0 < weekdays[5] < weekdays[0] / 2
    hours = Counter(p.received_at.astimezone(HELSINKI).hour for p in year)
    assert sum(hours[h] for h in (20, 21, 22)) > sum(hours[h] for h in (17, 18, 19))  # the evening peak
    assert 0 < sum(hours[h] for h in range(0, 6)) < len(year) * 0.05
    share = sum(after_hours(p.received_at) for p in year) / len(year)
    assert 0.33 <= share <= 0.42


def test_who_asks_how_and_in_which_language(year: list[PlannedCase]) -> None:
    roles = Counter(p.requester_role for p in year)
    assert roles["parent"] / len(year) > 0.7
    anonymous = sum(p.contact_method == "anonymous" for p in year) / len(year)
    assert 0.15 <= anonymous <= 0.27
    assert Counter(p.contact_method for p in year).most_common(1)[0][0] == "phone"
    swedish = [p for p in year if p.municipality in ("parainen", "kemionsaari")]
    assert sum(p.language == "sv" for p in swedish) / len(swedish) > 0.6
    assert 0 < sum(p.language == "en" for p in year) < len(year) * 0.08
    assert all(p.language in ("fi", "en") for p in plan_year(PP, end=END, rng=random.Random(3)))


def test_every_staff_time_follows_the_request_in_order(year: list[PlannedCase]) -> None:
    stop = office_closing(END) - timedelta(hours=16)  # the start of END in Helsinki
    for plan in year:
        previous = plan.received_at
        for step in plan.steps():
            assert previous < step.at < stop, (plan.submission_id, step)
            previous = step.at
        if plan.feedback:
            assert plan.final_closing is not None and plan.final_closing.at < plan.feedback.at < stop


def test_staff_answer_in_office_hours_mostly_on_time(year: list[PlannedCase]) -> None:
    answered = [p for p in year if p.first_response and p.assignment]
    for plan in answered:
        assert plan.first_response is not None
        assert 8 <= plan.first_response.at.astimezone(HELSINKI).hour < 16
    late = sum(p.first_response.at >= end_of_day_utc(p.answer_due) for p in answered if p.first_response)
    assert 0.02 <= late / len(answered) <= 0.09


def test_outcomes_hand_offs_reopenings_and_feedback(year: list[PlannedCase]) -> None:
    closed = [p for p in year if p.final_closing]
    outcomes = Counter(p.final_closing.outcome for p in closed if p.final_closing)
    shares = {outcome: n / len(closed) for outcome, n in outcomes.items()}
    assert 0.49 <= shares["guidance_enough"] <= 0.61
    assert 0.20 <= shares["referred"] <= 0.30
    assert 0.06 <= shares["same_worker_continues"] <= 0.14
    assert 0.03 <= shares["not_reached"] <= 0.09
    assert 0.02 <= shares["not_a_request"] <= 0.07
    referred = [p for p in closed if p.final_closing and p.final_closing.outcome == "referred"]
    services = {s.id for s in VS.local_services}
    assert all(p.referral and p.referral[1] in services for p in referred)
    assert 0.06 <= sum(p.hand_off is not None for p in year) / len(year) <= 0.14
    assert 0.01 <= sum(p.reopening is not None for p in year) / len(year) <= 0.06
    asked = [p for p in closed if p.contact_method != "anonymous"]
    given = [p.feedback.score for p in asked if p.feedback]
    assert 0.22 <= len(given) / len(asked) <= 0.40
    assert sum(s >= 4 for s in given) / len(given) > 0.7


def test_the_last_business_days_are_live_work(year: list[PlannedCase]) -> None:
    recent = [p for p in year if local(p) >= business_days_before(END, 1)]
    assert recent and all(p.final_closing is None and p.first_response is None for p in recent)
    assert any(p.triage is None for p in recent) and any(p.assignment is not None for p in recent)
    assert len([p for p in year if p.final_closing is None]) >= 5
    older = [p for p in year if local(p) < END - timedelta(days=30)]
    assert all(p.final_closing is not None for p in older)


@pytest.mark.parametrize("region,staff", [(VS, STAFF), (PP, {})])
def test_routing_accepts_every_step_from_whoever_takes_it(region, staff) -> None:
    """Replays each plan through routing's decide/evolve and permissions, as the driver will over HTTP."""
    team_of = {person: team for team, people in staff.items() for person in people}
    teams = {t.id for t in region.teams}
    for plan in plan_year(region, end=END, rng=random.Random(11), per_1000_children=4, professionals=staff):
        state = CaseState(case_id=uuid.uuid4(), region=region.id, municipality=plan.municipality,
                          received_at=plan.received_at, answer_due=plan.answer_due,
                          contact_method=plan.contact_method, topic=plan.topic, version=1)
        for step in plan.steps():
            account = Account(id=step.by, username=step.by, display_name=step.by, language="fi", region=region.id,
                              role="coordinator" if step.by == COORDINATOR else "professional",
                              team_id=team_of.get(step.by))
            assert may_open_case(account, region=state.region, assignee_kind=state.assignee_kind,
                                 assignee_id=state.assignee_id, team_id=state.team_id), (plan, step)
            command = TypeAdapter(COMMANDS[step.command]).validate_python(dict(step.arguments))
            for cls, payload in decide(state, command, region=region, teams=teams, team_of=team_of.get,
                                       seal=lambda text, _type, _field: Sealed(nonce="bm9uY2U=", ciphertext=text)):
                state = evolve(state, new_event(cls, case_id=state.case_id, region=state.region,
                                                municipality=state.municipality, actor=f"staff:{account.id}",
                                                payload=payload, occurred_at=step.at))
        assert state.closed == (plan.final_closing is not None)
        if plan.first_response:
            assert state.first_response_at == plan.first_response.at


def test_phone_families_tick_a_few_of_the_forms_call_windows(year: list[PlannedCase]) -> None:
    from services.intake.models import Contact, windows_outside

    by_phone = [p for p in year if p.contact_method in ("phone", "sms")]
    ticked = [p.contact["call_windows"] for p in by_phone if "call_windows" in p.contact]
    assert 0.55 < len(ticked) / len(by_phone) < 0.85
    assert all(1 < len(w) <= 5 and windows_outside(w, VS.callbacks.bands) == [] for w in ticked)
    assert all(Contact.model_validate(p.contact).call_windows == p.contact.get("call_windows") for p in by_phone)
    assert not any("call_windows" in p.contact for p in year if p.contact_method in ("email", "anonymous"))
    assert len({tuple(w) for w in ticked}) > 20  # drawn, not one pattern for all
