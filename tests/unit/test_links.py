"""Linking cases: what a link and an unlink decide on both cases, the states they lead to, what is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.routing.decisions import (
    COMMANDS,
    CloseCase,
    LinkCase,
    ReopenCase,
    ScheduleCallback,
    UnlinkCase,
    decide,
)
from services.routing.domain import CaseState, evolve, initial_state
from services.routing.link_queries import links_of
from services.routing.links import LinkDecision, LinkRefused, decide_link, relation
from shared.errors import InvalidCommand
from shared.events import CaseClosed, CaseLinked, CaseUnlinked, PersonalDataErased, PersonalDataErasedPayload, new_event
from shared.regions import load_regions
from shared.settings import ROOT
from tests.support import request_event

REGION = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
DUPLICATE = LinkCase(kind="duplicate", other_reference="ABCD-2345")
RELATED = LinkCase(kind="related", other_reference="ABCD-2345")
UNLINK = UnlinkCase(other_reference="ABCD-2345")


def case(region: str = "varsinais-suomi") -> CaseState:
    return initial_state(request_event(region=region, municipality="raisio" if region == "varsinais-suomi"
                                       else "oulu"))


def applied(state: CaseState, decision: list[tuple[type, object]]) -> CaseState:
    for cls, payload in decision:
        state = evolve(state, new_event(cls, case_id=state.case_id, region=state.region,
                                        municipality=state.municipality, actor="staff:k", payload=payload,  # type: ignore[arg-type]
                                        occurred_at=NOW))
    return state


def link(this: CaseState, other: CaseState, command: LinkCase | UnlinkCase) -> tuple[CaseState, CaseState]:
    d = decide_link(this, other, command)
    return applied(this, d.this), applied(other, d.other)


def staff_command(state: CaseState, command: object) -> CaseState:
    return applied(state, decide(state, command, region=REGION, teams=set(), seal=lambda *a: None,  # type: ignore[arg-type]
                                 team_of=lambda _: None, now=NOW))


def test_a_duplicate_goes_on_both_streams_and_closes_as_a_duplicate() -> None:
    dup, kept = case(), case()
    d = decide_link(dup, kept, DUPLICATE)
    assert [cls for cls, _ in d.this] == [CaseLinked, CaseClosed]
    assert [cls for cls, _ in d.other] == [CaseLinked]
    linked, closing = d.this[0][1], d.this[1][1]
    assert (linked.kind, linked.side, linked.other_case_id) == ("duplicate", "duplicate", kept.case_id)  # type: ignore[attr-defined]
    assert closing.outcome == "duplicate"  # type: ignore[attr-defined]
    mirror = d.other[0][1]
    assert (mirror.kind, mirror.side, mirror.other_case_id) == ("duplicate", "kept", dup.case_id)  # type: ignore[attr-defined]
    dup, kept = link(dup, kept, DUPLICATE)
    assert (dup.status, dup.outcome, dup.duplicate_of) == ("closed", "duplicate", kept.case_id)
    assert kept.duplicates == (dup.case_id,) and kept.status == "new"
    assert relation(dup, kept) == "duplicate" and relation(kept, dup) == "kept"


def test_linking_again_is_idempotent() -> None:
    dup, kept = link(case(), case(), DUPLICATE)
    assert decide_link(dup, kept, DUPLICATE) == LinkDecision()
    one, two = link(case(), case(), RELATED)
    assert decide_link(one, two, RELATED) == LinkDecision()
    assert decide_link(two, one, RELATED) == LinkDecision()
    assert decide_link(one, two, UNLINK).this  # it is linked, so unlinking does something
    free_one, free_two = case(), case()
    assert decide_link(free_one, free_two, UNLINK) == LinkDecision()


def test_related_cases_both_go_on_and_list_each_other() -> None:
    one, two = link(case(), case(), RELATED)
    assert one.related == (two.case_id,) and two.related == (one.case_id,)
    assert one.status == two.status == "new" and one.outcome is None
    assert links_of(one) == [(two.case_id, "related")]


def test_a_related_link_may_reach_a_closed_case() -> None:
    closed = staff_command(case(), CloseCase(outcome="guidance_enough"))
    one, two = link(case(), closed, RELATED)
    assert one.related == (closed.case_id,) and two.related == (one.case_id,)


@pytest.mark.parametrize("reason", ["itself", "region", "erased"])
def test_what_no_link_may_join(reason: str) -> None:
    this = case()
    other = {"itself": this, "region": case("pohjois-pohjanmaa"), "erased": applied(case(), [
        (PersonalDataErased, PersonalDataErasedPayload(reason="family_request"))])}[reason]
    for command in (DUPLICATE, RELATED):
        with pytest.raises(LinkRefused) as refused:
            decide_link(this, other, command)
        assert refused.value.key == reason


def test_a_duplicate_needs_both_cases_open() -> None:
    closed = staff_command(case(), CloseCase(outcome="guidance_enough"))
    for this, other in ((case(), closed), (closed, case())):
        with pytest.raises(LinkRefused, match="both cases are open"):
            decide_link(this, other, DUPLICATE)


def test_no_cycle_of_duplicates_can_form() -> None:
    a, b = link(case(), case(), DUPLICATE)  # a is a duplicate of b
    a = staff_command(a, ReopenCase())  # open again, still linked as b's duplicate
    with pytest.raises(LinkRefused) as refused:
        decide_link(b, a, DUPLICATE)  # b a duplicate of a: a cycle of two
    assert refused.value.key == "linked_otherwise"
    c = case()
    with pytest.raises(LinkRefused) as refused:
        decide_link(c, a, DUPLICATE)  # onto a duplicate: a chain that ends nowhere open
    assert refused.value.key == "other_is_duplicate"
    with pytest.raises(LinkRefused) as refused:
        decide_link(b, c, DUPLICATE)  # the kept case becoming a duplicate itself
    assert refused.value.key == "kept_for_others"
    with pytest.raises(LinkRefused) as refused:
        decide_link(a, c, DUPLICATE)  # a duplicate of two cases
    assert refused.value.key == "already_duplicate"


def test_a_reopened_duplicate_linked_again_closes_again() -> None:
    dup, kept = link(case(), case(), DUPLICATE)
    dup = staff_command(dup, ReopenCase())
    d = decide_link(dup, kept, DUPLICATE)
    assert [cls for cls, _ in d.this] == [CaseClosed] and d.other == []
    assert applied(dup, d.this).outcome == "duplicate"


def test_a_scheduled_call_is_settled_before_closing_as_a_duplicate() -> None:
    phone = initial_state(request_event()).model_copy(update={"contact_method": "phone"})
    called = staff_command(phone, ScheduleCallback(day=NOW.date(), start=datetime(2026, 11, 23, 14).time(),
                                                   end=datetime(2026, 11, 23, 16).time()))
    with pytest.raises(LinkRefused, match="call to the family"):
        decide_link(called, case(), DUPLICATE)


def test_a_related_link_is_not_made_a_duplicate_without_unlinking() -> None:
    one, two = link(case(), case(), RELATED)
    with pytest.raises(LinkRefused, match="other way"):
        decide_link(one, two, DUPLICATE)
    dup, kept = link(case(), case(), DUPLICATE)
    with pytest.raises(LinkRefused, match="other way"):
        decide_link(kept, dup, RELATED)


def test_unlinking_a_duplicate_needs_both_open_and_clears_both_ends() -> None:
    dup, kept = link(case(), case(), DUPLICATE)
    for this, other in ((dup, kept), (kept, dup)):
        with pytest.raises(LinkRefused, match="both cases are open"):
            decide_link(this, other, UNLINK)
    dup = staff_command(dup, ReopenCase())
    d = decide_link(kept, dup, UNLINK)  # from either end
    assert [cls for cls, _ in d.this] == [CaseUnlinked] == [cls for cls, _ in d.other]
    assert d.this[0][1].side == "kept" and d.other[0][1].side == "duplicate"  # type: ignore[attr-defined]
    kept, dup = applied(kept, d.this), applied(dup, d.other)
    assert kept.duplicates == () and dup.duplicate_of is None and dup.status != "closed"


def test_unlinking_related_cases() -> None:
    one, two = link(case(), case(), RELATED)
    one, two = link(one, two, UNLINK)
    assert one.related == () == two.related


def test_the_close_command_offers_no_duplicate_outcome_and_decide_leaves_links_to_links() -> None:
    with pytest.raises(ValueError, match="outcome"):
        CloseCase.model_validate({"outcome": "duplicate"})
    with pytest.raises(InvalidCommand, match="both cases"):
        decide(case(), DUPLICATE, region=REGION, teams=set(), seal=lambda *a: None,  # type: ignore[arg-type]
               team_of=lambda _: None, now=NOW)
    assert COMMANDS["link"] is LinkCase and COMMANDS["unlink"] is UnlinkCase


def test_a_link_command_names_its_fields() -> None:
    with pytest.raises(ValueError, match="kind"):
        LinkCase.model_validate({"kind": "twin", "other_reference": "ABCD-2345"})
    with pytest.raises(ValueError, match="other_reference"):
        LinkCase.model_validate({"kind": "related", "other_reference": ""})
    with pytest.raises(ValueError, match="extra"):
        UnlinkCase.model_validate({"other_reference": "ABCD-2345", "case_id": str(uuid.uuid4())})


def test_a_state_stored_before_links_reads_without_them() -> None:
    stored = case().model_dump(mode="json")
    for name in ("duplicate_of", "duplicates", "related"):
        stored.pop(name)
    state = CaseState.model_validate(stored)
    assert state.duplicate_of is None and state.duplicates == () == state.related
