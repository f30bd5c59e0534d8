"""The fault suite's links: which requests the coordinators link, and how the check counts what became of them."""

from __future__ import annotations

import uuid

from shared.regions import Regions
from tests.faults.check import Report
from tests.faults.links import LinkWork, alerts_after_closing, judge_links
from tests.faults.load import FamilyLoad, Submission
from tests.unit.test_fault_followups import event, facts, rows


def accepted(load: FamilyLoad, n: int, region: str = "varsinais-suomi") -> Submission:
    s = Submission(n=n, body={}, region=region, created_at=0.0, accepted_at=1.0, case_id=str(uuid.uuid4()),
                   reference=f"REF{n:05d}")
    load.submissions.append(s)
    return s


def test_the_plan_links_threes_as_duplicates_and_some_sevens_as_related_to_the_latest_one_of_the_region() -> None:
    load = FamilyLoad("http://intake", Regions([]), rate=1.0)
    subs = {n: accepted(load, n) for n in range(30)}
    other = accepted(load, 31, region="pohjois-pohjanmaa")  # a one of the other region, after the others
    work = LinkWork("http://routing", load)
    plan = {link.case_id: link for link in work.planned()}
    assert {c for c in plan} == {subs[n].case_id for n in (3, 13, 23, 7, 27)}
    assert plan[subs[13].case_id].other_case_id == subs[11].case_id and plan[subs[13].case_id].kind == "duplicate"
    assert plan[subs[27].case_id].other_reference == subs[21].reference and plan[subs[27].case_id].kind == "related"
    assert other.case_id not in {link.other_case_id for link in plan.values()}
    assert all(s.n % 5 for s in subs.values() if s.case_id in plan or s.case_id in
               {link.other_case_id for link in plan.values()})  # none of the cases StaffWork works
    plan[subs[3].case_id].done = True
    assert subs[3].case_id not in {link.case_id for link in work.planned()}


def test_the_check_finds_a_link_lost_doubled_a_late_alert_and_a_duplicate_counted() -> None:
    load = FamilyLoad("http://intake", Regions([]), rate=1.0)
    for n in (1, 3, 11, 13):
        accepted(load, n)
    work = LinkWork("http://routing", load)
    for link in work.planned():
        link.done = True
    a, b = (work.links[s.case_id] for s in load.submissions if s.n in (3, 13))
    events = [event("case.linked", a.case_id, {"other_case_id": a.other_case_id, "side": "duplicate"}),
              event("case.linked", a.other_case_id, {"other_case_id": a.case_id, "side": "kept"}),
              event("case.closed", a.case_id, {"outcome": "duplicate"}),
              event("deadline.missed", a.case_id, {"followup": 0}),
              event("case.linked", b.case_id, {"other_case_id": b.other_case_id, "side": "duplicate"}),
              event("case.linked", b.case_id, {"other_case_id": b.other_case_id, "side": "duplicate"}),
              event("case.closed", b.case_id, {"outcome": "duplicate"})]
    report = Report()
    judge_links(report, facts(events, reporting_rows=["x"] * 4, reporting_counted=3, reporting_merged=2), work)
    found = rows(report)
    assert found["links made by coordinators: duplicates / related"] == "2/0"
    assert found["links lost: not on both cases' streams"] == "1"  # b's kept case never heard of it
    assert found["links applied twice: a case.linked twice on a stream"] == "1"
    assert found["deadline alerts on a duplicate after its closing"] == "1"
    assert found["reporting: duplicates counted as contacts"] == "1"
    assert found["reporting: merged count minus duplicates linked"] == "0"
    assert len(report.problems) == 4
    assert alerts_after_closing(events, {b.case_id}) == []
