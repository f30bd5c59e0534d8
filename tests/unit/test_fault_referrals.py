"""The fault suite's referrals: which requests are referred and how answered, and how the check counts them."""

from __future__ import annotations

import uuid

from shared.regions import Regions
from tests.faults.check import Event, Report
from tests.faults.load import FamilyLoad
from tests.faults.referrals import ReferralWork, expected_referral_notifications, judge_referrals
from tests.unit.test_fault_links import accepted


def ev(kind: str, case_id: str, referral_id: str, **payload: object) -> Event:
    return Event(event_id=str(uuid.uuid4()), type=kind, case_id=case_id,
                 payload={"referral_id": referral_id, "service_id": "perheneuvola", **payload}, topic="cases",
                 partition=0, offset=0)


def test_the_plan_refers_nines_accepting_some_and_declining_the_others() -> None:
    load = FamilyLoad("http://intake", Regions([]), rate=1.0)
    subs = {n: accepted(load, n) for n in range(40)}
    work = ReferralWork("http://routing", load)
    plan = {r.case_id: r for r in work.planned()}
    assert set(plan) == {subs[n].case_id for n in (9, 19, 29, 39)}
    assert [plan[subs[n].case_id].answer for n in (9, 19, 29, 39)] == ["accept", "decline", "accept", "decline"]
    plan[subs[19].case_id].answered = ["decline"]
    assert subs[19].case_id not in {r.case_id for r in work.planned()}


def test_the_check_finds_an_answer_lost_or_recorded_twice_and_a_referral_sent_twice() -> None:
    load = FamilyLoad("http://intake", Regions([]), rate=1.0)
    subs = {n: accepted(load, n) for n in (9, 19, 29)}
    work = ReferralWork("http://routing", load)
    work.planned()
    ids = {n: str(uuid.uuid4()) for n in subs}
    for n, s in subs.items():
        r = work.referrals[s.case_id]  # type: ignore[index]
        r.referral_id = ids[n]
        r.answered = ["accept", "complete"] if r.answer == "accept" else ["decline"]
    c = {n: s.case_id or "" for n, s in subs.items()}
    events = [ev("referral.sent", c[n], ids[n], electronic=True) for n in subs]
    events += [ev("referral.accepted", c[9], ids[9]), ev("referral.completed", c[9], ids[9]),
               ev("referral.declined", c[19], ids[19])]
    report = Report()
    judge_referrals(report, events, work)
    assert report.problems == ["referral answers lost: answered, not on the case's stream: 2"]  # 29's two answers

    events += [ev("referral.accepted", c[29], ids[29]), ev("referral.completed", c[29], ids[29]),
               ev("referral.declined", c[9], ids[9]), ev("referral.sent", c[9], ids[9], electronic=True)]
    report = Report()
    judge_referrals(report, events, work)
    assert sorted(report.problems) == ["referrals both accepted and declined: 1",
                                       "referrals sent twice to one case: 1"]
    events.append(ev("referral.completed", c[29], ids[29]))
    report = Report()
    judge_referrals(report, events, work)
    assert "referral answers recorded twice: 1" in report.problems
    assert len(expected_referral_notifications(events)) == 4
