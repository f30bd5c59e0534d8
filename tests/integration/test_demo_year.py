"""A small demo year through running intake and routing (real ports, Kafka, PostgreSQL), demo clock on: the
requests, the staff's work, and the services' answers to the referrals, behind their links and recorded by staff."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import httpx
import pytest

from deploy.demo.contacts import as_recorded, recordable, written_again
from deploy.demo.drive import drive
from deploy.demo.model import plan_year
from deploy.demo.plan import PlannedCase
from deploy.demo.referrals import LINK_ANSWER, RECORD, with_referral_answers
from deploy.local.infra import free_port
from services.routing.accounts import add_account
from shared.businessdays import HELSINKI
from shared.regions import load_regions
from shared.settings import ROOT
from tests.support import APPS, LiveServer, eventually, settings_for

pytestmark = pytest.mark.integration
REGION = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
PASSWORD = "demo year password"
STAFF = {"family-guidance": ["ohjaaja"], "family-work": ["perhetyo"], "family-counselling": ["perheneuvoja"]}


def sample(plans: list[PlannedCase], size: int = 15) -> list[PlannedCase]:
    """A few cases of every kind: feedback, hand-off, reopening, not reached, referred, and still open."""
    kinds = [lambda p: p.feedback is not None, lambda p: p.hand_off is not None, lambda p: p.reopening is not None,
             lambda p: p.final_closing is not None and p.final_closing.outcome == "not_reached",
             lambda p: p.referral is not None, lambda p: p.final_closing is None and p.triage is not None,
             lambda p: p.triage is None]
    chosen: list[PlannedCase] = []
    for kind in kinds:
        chosen += [p for p in plans if kind(p) and p not in chosen][:2]
    chosen += [p for p in plans if p not in chosen][: size - len(chosen)]
    return sorted(chosen[:size], key=lambda p: p.received_at)


def with_other_contacts(plans: list[PlannedCase], stop: datetime) -> list[PlannedCase]:
    """The sample with one phone call the coordinator recorded and one family who wrote a second time."""
    called = next(p for p in plans if recordable(p))
    wrote_again = next(again for p in plans if p is not called and p.triage is not None
                       for seed in range(50) if (again := written_again(p, random.Random(seed), stop)).again)
    return [as_recorded(p, "phone", answered=True) if p is called else
            wrote_again if p.submission_id == wrote_again.submission_id else p for p in plans]


def with_answers(plans: list[PlannedCase], stop: datetime) -> list[PlannedCase]:
    """The sample's referrals answered: the first draw that has a service accept, report done and decline behind
    its link (and the family referred on) and a worker record an answer given by phone."""
    wanted = {(LINK_ANSWER, "accept"), (LINK_ANSWER, "complete"), (LINK_ANSWER, "decline"), (RECORD, "accept"),
              ("refer", None)}
    for seed in range(1000):
        answered = with_referral_answers(plans, random.Random(seed), REGION, stop)
        if wanted <= {(s.command, s.arguments.get("answer")) for p in answered for s in p.referral_steps}:
            return answered
    raise AssertionError("no draw answers the sample's referrals in every way")


def final_statuses(plan: PlannedCase) -> list[str]:
    """Each referral's status after the plan's answers, in the order they were sent."""
    statuses: dict[str, str] = {}
    if plan.referral is not None:
        statuses[plan.referral[1]] = "sent"
    for step in plan.referral_steps:
        if step.command == "refer":
            statuses[str(step.arguments["service_id"])] = "sent"
        elif step.command in (LINK_ANSWER, RECORD):
            answer = str(step.arguments["answer"])
            statuses[str(step.arguments["service_id"])] = {"accept": "accepted", "complete": "completed",
                                                          "decline": "declined"}[answer]
    return list(statuses.values())


def expected_status(plan: PlannedCase) -> str:
    if plan.final_closing is not None:
        return "closed"
    if plan.assignment is not None:
        return "assigned"
    return "triaged" if plan.triage is not None else "new"


async def test_a_planned_year_lands_in_routing_at_its_own_times(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap, "demo_clock": True}
    intake_app = APPS["intake"](settings_for("intake", **env))
    routing_app = APPS["routing"](settings_for("routing", **env, deadline_check_s=3600))
    today = datetime.now(HELSINKI).date()
    plans = with_other_contacts(sample(plan_year(REGION, end=today, rng=random.Random(5), per_1000_children=2,
                                                 professionals=STAFF)), datetime.now(HELSINKI))
    plans = with_answers(plans, datetime.combine(today, datetime.min.time(), HELSINKI))
    links = sum(s.command == LINK_ANSWER for p in plans for s in p.steps())
    async with LiveServer(intake_app, free_port()) as intake, LiveServer(routing_app, free_port()) as routing:
        runtime = routing_app.state.runtime
        async with runtime.pool.acquire() as conn:
            people = [("koordinaattori", "coordinator", None)] + [(p, "professional", t) for t, ps in STAFF.items()
                                                                 for p in ps]
            for username, role, team in people:
                await add_account(conn, username=username, display_name=username, role=role, region=REGION.id,
                                  team_id=team, password=PASSWORD)
        keyring = runtime.settings.keyring  # the services' links are signed as notify signs them
        loaded = await drive(plans, intake=intake.url, routing=routing.url, coordinator="koordinaattori",
                             password=PASSWORD, concurrency=4, keyring=keyring, link_days=REGION.referrals.link_days)
        assert (loaded.cases, loaded.new) == (15, 15)
        assert loaded.referral_answers == links >= 3
        assert loaded.commands == sum(len(p.steps()) for p in plans) - links
        assert loaded.feedback == sum(p.feedback is not None for p in plans) > 0

        async with httpx.AsyncClient(base_url=routing.url) as staff:
            signed_in = await staff.post("/api/v1/session", json={"username": "koordinaattori",
                                                                 "password": PASSWORD})
            assert signed_in.status_code == 200

            async def settled() -> dict[str, dict[str, Any]] | None:
                # The queue is routing's read model: its last events may still be on their way when the load ends.
                queue = (await staff.get("/api/v1/cases", params={"status": "all", "limit": 100})).json()
                by_id = {c["case_id"]: c for c in queue}
                done = len(by_id) == 16 and all(  # and the second request, closed as a duplicate
                    by_id.get(str(loaded.case_ids[p.submission_id]), {}).get("status") == expected_status(p)
                    for p in plans)
                return by_id if done else None

            by_id = await eventually(settled, what="the queue to hold the year's 16 cases in their statuses")
            for plan in plans:
                case = by_id[str(loaded.case_ids[plan.submission_id])]
                assert datetime.fromisoformat(case["received_at"]) == plan.received_at
                assert case["answer_due"] == plan.answer_due.isoformat()
                assert case["status"] == expected_status(plan), plan
                if plan.answered_in_contact:  # answered in the call itself
                    assert datetime.fromisoformat(case["first_response_at"]) == plan.received_at
                elif plan.first_response is not None:
                    assert datetime.fromisoformat(case["first_response_at"]) == plan.first_response.at
            called = next(p for p in plans if p.channel == "phone")
            view = (await staff.get(f"/api/v1/cases/{loaded.case_ids[called.submission_id]}")).json()
            assert view["timeline"][0]["type"] == "request.recorded"
            assert datetime.fromisoformat(view["timeline"][0]["at"]) == called.received_at
            kept = next(p for p in plans if p.again is not None)
            view = (await staff.get(f"/api/v1/cases/{loaded.case_ids[kept.submission_id]}")).json()
            assert [(x["relation"], x["status"], x["outcome"]) for x in view["links"]] == [
                ("duplicate", "closed", "duplicate")]
            rich = next(p for p in plans if p.feedback is not None)
            view = (await staff.get(f"/api/v1/cases/{loaded.case_ids[rich.submission_id]}")).json()
            times = [(e["type"], datetime.fromisoformat(e["at"])) for e in view["timeline"]]
            assert times[0] == ("request.submitted", rich.received_at)
            assert [t for _, t in times[1:-1]] == [s.at for s in rich.steps()]
            assert times[-1] == ("feedback.given", rich.feedback.at)

            # The services' answers, at their own times; the access log has who opened each one behind its link.
            for plan in (p for p in plans if p.referral is not None):
                view = (await staff.get(f"/api/v1/cases/{loaded.case_ids[plan.submission_id]}")).json()
                assert [r["status"] for r in view["referrals"]] == final_statuses(plan), plan.referral_steps
                accepts = [s.at for s in plan.referral_steps if s.arguments.get("answer") == "accept"]
                assert [datetime.fromisoformat(r["accepted_at"]) for r in view["referrals"]
                        if r["accepted_at"]] == accepts
                if any(s.arguments.get("answer") == "decline" for s in plan.referral_steps):
                    declined = view["referrals"][0]
                    case_id = str(loaded.case_ids[plan.submission_id])
                    assert declined["reason"] and by_id[case_id]["status"] == "closed"  # referred on, closed again
            opened = await runtime.pool.fetch("SELECT at FROM access_log WHERE action = 'referral_disclosed'"
                                              " ORDER BY at")
            first_answers = [s.at for p in plans for s in p.steps()
                             if s.command == LINK_ANSWER and s.arguments["answer"] != "complete"]
            assert [r["at"] for r in opened] == sorted(first_answers)

        again = await drive(plans, intake=intake.url, routing=routing.url, coordinator="koordinaattori",
                            password=PASSWORD, concurrency=4, keyring=keyring, link_days=REGION.referrals.link_days)
        assert (again.cases, again.new, again.commands, again.feedback) == (15, 0, 0, 0)  # a second run resumes
        assert again.referral_answers == 0
