"""The demo year's referrals answered: most behind the services' links, some recorded by staff, a few of the last
weeks left unanswered past the region's limit; every answer at a business-day time after its referral and before
the year's end; a decline after the closing, followed by the next referral; the same seed gives the same answers."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import date, datetime

import pytest

from deploy.demo.calendar import in_office
from deploy.demo.contacts import with_other_contacts
from deploy.demo.drive import plan_demo_year, staff_of
from deploy.demo.model import plan_year
from deploy.demo.plan import PlannedCase
from deploy.demo.referrals import LINK_ANSWER, OVERDUE_WINDOW, RECORD
from deploy.local.run import DEMO_ACCOUNTS, DEMO_SEED
from services.routing.deadlines import DEMO_HISTORY, REFERRAL_DEMO_HISTORY
from shared.businessdays import HELSINKI
from shared.regions import load_regions
from shared.settings import ROOT

REGION = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
END = date(2026, 12, 7)
STOP = datetime.combine(END, datetime.min.time(), HELSINKI)
ANSWERS = (LINK_ANSWER, RECORD)


@pytest.fixture(scope="module")
def plans() -> list[PlannedCase]:
    _, teams = staff_of(DEMO_ACCOUNTS, REGION.id)
    return plan_demo_year(REGION, end=END, seed=DEMO_SEED, teams=teams, per_1000_children=12.0)


def by_link(service_id: str) -> bool:
    return any(s.id == service_id and s.electronic_referrals for s in REGION.local_services)


def test_the_same_seed_answers_the_same_and_the_rest_of_the_year_stays(plans: list[PlannedCase]) -> None:
    _, teams = staff_of(DEMO_ACCOUNTS, REGION.id)
    again = plan_demo_year(REGION, end=END, seed=DEMO_SEED, teams=teams, per_1000_children=12.0)
    assert [p.referral_steps for p in again] == [p.referral_steps for p in plans]
    assert [p.steps() for p in again] == [p.steps() for p in plans]
    # Without the answers, every case is as it was: the answers come from a generator of their own.
    rng = random.Random(DEMO_SEED)
    year = with_other_contacts(plan_year(REGION, end=END, rng=rng, per_1000_children=12.0, professionals=teams),
                               random.Random(rng.getrandbits(64)), STOP)
    assert [replace(p, referral_steps=()) for p in plans] == year


def test_most_referrals_are_answered_behind_the_link_and_some_by_phone(plans: list[PlannedCase]) -> None:
    kinds = Counter((s.command, s.arguments.get("answer")) for p in plans for s in p.referral_steps)
    links = sum(n for (command, _), n in kinds.items() if command == LINK_ANSWER)
    recorded = sum(n for (command, _), n in kinds.items() if command == RECORD)
    assert links > 2 * recorded > 0
    assert kinds[(LINK_ANSWER, "accept")] > kinds[(LINK_ANSWER, "decline")] > 0
    assert kinds[(LINK_ANSWER, "complete")] > 0 and kinds[("refer", None)] == kinds[(LINK_ANSWER, "decline")]
    referred = [p for p in plans if p.referral is not None]
    answered = [p for p in referred if p.referral_steps]
    assert len(answered) > len(referred) / 2


def test_every_answer_is_in_office_hours_after_its_referral_and_before_the_years_end(plans: list[PlannedCase]) -> None:
    for plan in plans:
        assert plan.referral is not None or not plan.referral_steps
        sent_at = plan.referral[0] if plan.referral else None
        accepted: dict[str, datetime] = {}
        for step in plan.referral_steps:
            assert sent_at is not None and sent_at < step.at < STOP
            assert in_office(step.at) == step.at, step
            service = str(step.arguments.get("service_id"))
            if step.arguments.get("answer") == "accept":
                accepted[service] = step.at
            if step.arguments.get("answer") == "complete":
                assert accepted[service] < step.at
                if step.command == LINK_ANSWER:  # the link still holds; past it the service phones
                    assert (step.at - accepted[service]).days < REGION.referrals.link_days
            if step.command == LINK_ANSWER:
                assert by_link(service) and step.arguments["reader"]
        times = [s.at for s in plan.steps()]
        assert times == sorted(times)


def test_a_decline_comes_after_the_closing_and_the_family_is_referred_on(plans: list[PlannedCase]) -> None:
    declined = [p for p in plans if any(s.arguments.get("answer") == "decline" for s in p.referral_steps)]
    assert declined
    known = {s.id for s in REGION.local_services}
    for plan in declined:
        closing = plan.final_closing
        assert closing is not None and plan.feedback is None and plan.reopening is None
        decline, refer, close = plan.referral_steps[:3]
        assert closing.at < decline.at < refer.at < close.at
        assert refer.command == "refer" and close.command == "close"
        assert close.arguments == {"outcome": "referred", "referred_to": refer.arguments["service_id"]}
        assert refer.arguments["service_id"] != decline.arguments["service_id"]
        if decline.arguments["reason"] == "better_elsewhere":
            assert decline.arguments["better_service_id"] == refer.arguments["service_id"] in known


def test_the_last_weeks_referrals_past_the_limit_stay_unanswered_for_routing_to_raise_overdue(
        plans: list[PlannedCase]) -> None:
    assert OVERDUE_WINDOW < REFERRAL_DEMO_HISTORY and DEMO_HISTORY <= REFERRAL_DEMO_HISTORY
    left = []
    for plan in plans:
        if plan.referral is None or not by_link(plan.referral[1]):
            continue
        sent_at = plan.referral[0]
        past_limit = REGION.referrals.answer_by(sent_at, REGION.working_day) <= STOP
        if sent_at >= STOP - OVERDUE_WINDOW and past_limit:
            assert plan.referral_steps == ()
            left.append(plan)
        elif past_limit:
            assert plan.referral_steps, "an older referral by link is answered"
    assert 0 < len(left) < 25
