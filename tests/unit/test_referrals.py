"""Referrals: the consent and the sealed note, the service's answers (each once), the signed link, the region's rule."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from services.routing.decisions import CloseCase, ReferCase, decide
from services.routing.domain import CaseState, evolve, initial_state
from services.routing.referral_domain import AcceptReferral, Answer, CompleteReferral, DeclineReferral, decide_answer
from services.routing.referral_targets import referral_target
from shared.businessdays import HELSINKI
from shared.errors import ConfigurationError, Conflict, InvalidCommand
from shared.events import CaseReferred, CaseReferredPayload, EventBase, ReferralSent, new_event
from shared.referral_links import LinkRefused, ReferralLink, open_link, sign_link
from shared.regions import ReferralPolicy, Region, load_regions
from shared.sealing import Keyring, Sealed
from shared.settings import ROOT
from tests.support import request_event

REGION = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday
ANSWER: TypeAdapter[Answer] = TypeAdapter(Answer)
KEYRING = Keyring(current="k2", keks={"k1": b"\x01" * 32, "k2": b"\x02" * 32})


def sealer(text: str, event_type: str, field: str) -> Sealed:
    assert (event_type, field) == ("referral.sent", "note")
    return Sealed(nonce="bm9uY2U=", ciphertext=text[::-1])


def step(state: CaseState, cls: type[EventBase], payload: BaseModel, at: datetime = NOW,
         actor: str = "staff:maija") -> CaseState:
    event = new_event(cls, case_id=state.case_id, region=state.region, municipality=state.municipality,
                      actor=actor, payload=payload, occurred_at=at)
    return evolve(state, event)


def refer(state: CaseState, service: str = "perheneuvola") -> CaseState:
    for cls, payload in decide(state, ReferCase(service_id=service, consent="spoken", note="Soittakaa iltaisin"),
                               region=REGION, teams=set(), seal=sealer, team_of=lambda _: None, now=NOW):
        state = step(state, cls, payload)
    return state


def answer(state: CaseState, raw: dict[str, object], region: Region = REGION) -> CaseState:
    referral = state.referrals[-1]
    cls, payload = decide_answer(referral, ANSWER.validate_python(raw), erased=state.erased_at is not None,
                                 known_service=lambda s: referral_target(region, s) is not None)
    return step(state, cls, payload, actor=f"service:{referral.service_id}")


@pytest.fixture
def case() -> CaseState:
    return initial_state(request_event())


def test_a_referral_needs_consent_and_a_note() -> None:
    for missing in ({"note": "x"}, {"consent": "spoken"}, {"consent": "maybe", "note": "x"}):
        with pytest.raises(ValidationError) as caught:
            ReferCase.model_validate({"service_id": "perheneuvola", **missing})
        assert {e["loc"][0] for e in caught.value.errors()} <= {"consent", "note"}


def test_sent_carries_the_consent_the_sealed_note_and_an_id(case: CaseState) -> None:
    ((cls, payload),) = decide(case, ReferCase(service_id="perheneuvola", consent="written", note="Iltaisin"),
                               region=REGION, teams=set(), seal=sealer, team_of=lambda _: None, now=NOW)
    assert cls is ReferralSent
    assert payload.consent == "written" and payload.note.ciphertext == "nisiatlI"  # type: ignore[attr-defined]
    assert payload.electronic and isinstance(payload.referral_id, uuid.UUID)  # type: ignore[attr-defined]
    with pytest.raises(InvalidCommand, match="directory"):
        decide(case, ReferCase(service_id="moon-clinic", consent="spoken", note="x"), region=REGION, teams=set(),
               seal=sealer, team_of=lambda _: None, now=NOW)


def test_a_service_without_a_mailbox_is_referred_without_a_link(case: CaseState) -> None:
    assert referral_target(REGION, "neuvola") is not None
    state = refer(case, "neuvola")
    assert state.referrals[0].electronic is False and state.referred_to == "neuvola"


def test_accept_then_done_each_once(case: CaseState) -> None:
    state = answer(refer(case), {"answer": "accept"})
    assert state.referrals[0].status == "accepted" and state.referrals[0].accepted_at == NOW
    with pytest.raises(Conflict):
        answer(state, {"answer": "accept"})
    with pytest.raises(Conflict):
        answer(state, {"answer": "decline", "reason": "no_capacity"})
    done = answer(state, {"answer": "complete", "outcome": "service_given"})
    assert (done.referrals[0].status, done.referrals[0].outcome) == ("completed", "service_given")
    with pytest.raises(Conflict):
        answer(done, {"answer": "complete", "outcome": "service_given"})


def test_done_only_after_accepting(case: CaseState) -> None:
    with pytest.raises(InvalidCommand, match="accept it first"):
        answer(refer(case), {"answer": "complete", "outcome": "service_given"})


def test_decline_with_a_reason_and_a_better_service(case: CaseState) -> None:
    state = refer(case)
    with pytest.raises(ValidationError):
        ANSWER.validate_python({"answer": "decline", "reason": "better_elsewhere"})
    with pytest.raises(ValidationError):
        ANSWER.validate_python({"answer": "decline", "reason": "no_capacity", "better_service_id": "neuvola"})
    with pytest.raises(InvalidCommand, match="another service"):
        answer(state, {"answer": "decline", "reason": "better_elsewhere", "better_service_id": "perheneuvola"})
    declined = answer(state, {"answer": "decline", "reason": "better_elsewhere", "better_service_id": "neuvola"})
    r = declined.referrals[0]
    assert (r.status, r.reason, r.better_service_id) == ("declined", "better_elsewhere", "neuvola")
    assert declined.referred_to is None  # a case closed as referred no longer names the service that declined


def test_an_erased_case_takes_no_answer(case: CaseState) -> None:
    state = refer(case).model_copy(update={"erased_at": NOW})
    with pytest.raises(InvalidCommand, match="erased"):
        decide_answer(state.referrals[0], AcceptReferral(answer="accept"), erased=True,
                      known_service=lambda _: True)
    assert DeclineReferral(answer="decline", reason="no_capacity").reason == "no_capacity"
    assert CompleteReferral(answer="complete", outcome="family_did_not_come").outcome == "family_did_not_come"


def test_the_old_case_referred_still_counts_for_closing(case: CaseState) -> None:
    old = step(case, CaseReferred, CaseReferredPayload(service_id="perheneuvola", service_kind="county"))
    closed = old
    for cls, payload in decide(old, CloseCase(outcome="referred"), region=REGION, teams=set(), seal=sealer,
                               team_of=lambda _: None, now=NOW):
        closed = step(closed, cls, payload)
    assert (closed.referred_to, closed.referrals) == ("perheneuvola", ())


def test_the_region_rule_counts_business_days_to_the_end_of_the_working_day() -> None:
    policy = ReferralPolicy()
    assert policy.answer_business_days == 3
    due = policy.answer_by(NOW, REGION.working_day).astimezone(HELSINKI)
    assert (due.date().isoformat(), due.hour) == ("2026-11-26", 16)  # Monday → Thursday, at closing
    friday = datetime(2026, 12, 4, 12, tzinfo=UTC)  # 6.12. is Independence Day, a Sunday this year
    assert policy.answer_by(friday, REGION.working_day).astimezone(HELSINKI).date().isoformat() == "2026-12-09"
    with pytest.raises(ValidationError):
        ReferralPolicy(answer_business_days=0)


def test_electronic_referrals_need_a_mailbox(tmp_path: Path) -> None:
    source = (ROOT / "deploy" / "regions" / "varsinais-suomi.yaml").read_text(encoding="utf-8")
    broken = source.replace("  referral_mailbox: perheneuvola@varha.example.org\n", "", 1)
    bad_mail = source.replace("perheneuvola@varha.example.org", "not-an-address", 1)
    for text, problem in ((broken, "names no referral_mailbox"), (bad_mail, "referral_mailbox")):
        folder = tmp_path / problem.replace(" ", "_")
        folder.mkdir()
        (folder / "varsinais-suomi.yaml").write_text(text, encoding="utf-8")
        with pytest.raises(ConfigurationError, match=problem):
            load_regions(folder)


def _link(expires: datetime = NOW + timedelta(days=30)) -> ReferralLink:
    return ReferralLink(referral_id=uuid.uuid4(), case_id=uuid.uuid4(), service_id="perheneuvola",
                        expires_at=expires.replace(microsecond=0))


def test_a_signed_link_opens_until_it_runs_out() -> None:
    link = _link()
    token = sign_link(KEYRING, link)
    assert open_link(KEYRING, token, now=NOW) == link
    with pytest.raises(LinkRefused):
        open_link(KEYRING, token, now=link.expires_at)


def test_an_altered_link_or_another_keyring_is_refused() -> None:
    token = sign_link(KEYRING, _link())
    kek, body, mac = token.split(".")
    for altered in (f"{kek}.{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{mac}",
                    f"{kek}.{body}.{mac[::-1]}", token + "x", token.replace(".", "", 1), "", "a.b.c"):
        with pytest.raises(LinkRefused):
            open_link(KEYRING, altered, now=NOW)
    with pytest.raises(LinkRefused):
        open_link(Keyring(current="k2", keks={"k2": b"\x03" * 32}), token, now=NOW)


def test_a_link_signed_before_a_kek_rotation_opens_while_the_old_kek_is_held() -> None:
    link = _link()
    old = sign_link(Keyring(current="k1", keks={"k1": b"\x01" * 32}), link)
    assert open_link(KEYRING, old, now=NOW) == link


def test_the_statistics_count_each_case_by_its_latest_referrals_answer() -> None:
    from services.reporting.referral_facts import evolve_referral
    from shared.events import ReferralAccepted, ReferralDeclined
    from shared.events_referrals import ReferralAcceptedPayload, ReferralDeclinedPayload

    state = initial_state(request_event())
    facts: dict[str, object] = {"referrals": 0, "referred_service": None, "referred_kind": None,
                                "referral_sent_at": None}
    sent = refer(state)
    referral = sent.referrals[0]

    def event(cls: type[EventBase], payload: BaseModel, at: datetime) -> EventBase:
        return new_event(cls, case_id=state.case_id, region=state.region, municipality=state.municipality,
                         actor="service:perheneuvola", payload=payload, occurred_at=at)

    ((cls, payload),) = decide(state, ReferCase(service_id="perheneuvola", consent="spoken", note="x"),
                               region=REGION, teams=set(), seal=sealer, team_of=lambda _: None, now=NOW)
    assert evolve_referral(facts, event(cls, payload, NOW), REGION.working_day)
    assert (facts["referrals"], facts["referral_answer"], facts["referred_kind"]) == (1, "waiting", "county")
    ids = {"referral_id": referral.referral_id, "service_id": "perheneuvola"}
    assert evolve_referral(facts, event(ReferralDeclined, ReferralDeclinedPayload(**ids, reason="no_capacity"),
                                        NOW), REGION.working_day)
    assert (facts["referral_answer"], facts["referral_decline"]) == ("declined", "no_capacity")
    assert evolve_referral(facts, event(cls, payload, NOW), REGION.working_day)  # referred again: waiting anew
    assert (facts["referral_answer"], facts["referral_decline"], facts["referrals"]) == ("waiting", None, 2)
    # Sent Monday 12.00 Helsinki, accepted Tuesday 10.00: 4 + 2 working hours.
    assert evolve_referral(facts, event(ReferralAccepted, ReferralAcceptedPayload(**ids), NOW + timedelta(hours=22)),
                           REGION.working_day)
    assert (facts["referral_answer"], facts["referral_accept_hours"]) == ("accepted", 6.0)
    # The old case.referred is left to the other events' rules (it counts among the referrals per service only).
    assert not evolve_referral(facts, event(CaseReferred, CaseReferredPayload(service_id="neuvola",
                                                                              service_kind="county"), NOW),
                               REGION.working_day)


def test_staff_record_a_services_answer_by_the_same_rules(case: CaseState) -> None:
    from services.routing.referral_domain import RecordReferralAnswer

    state = refer(case, "neuvola")  # no mailbox: the service answers by phone and the worker records it
    rid = state.referrals[0].referral_id
    for wrong in ({"answer": "decline"}, {"answer": "accept", "reason": "no_capacity"},
                  {"answer": "complete"}, {"answer": "decline", "reason": "better_elsewhere"}):
        with pytest.raises(ValidationError):
            RecordReferralAnswer.model_validate({"referral_id": str(rid), **wrong})

    def record(s: CaseState, **fields: object) -> CaseState:
        command = RecordReferralAnswer.model_validate({"referral_id": str(rid), **fields})
        for cls, payload in decide(s, command, region=REGION, teams=set(), seal=sealer, team_of=lambda _: None,
                                   now=NOW):
            s = step(s, cls, payload)
        return s

    closed = record(state, answer="accept")
    for cls, payload in decide(closed, CloseCase(outcome="referred"), region=REGION, teams=set(), seal=sealer,
                               team_of=lambda _: None, now=NOW):
        closed = step(closed, cls, payload)
    done = record(closed, answer="complete", outcome="family_did_not_come")  # a closed case still hears how it ended
    assert (done.status, done.referrals[0].status, done.referrals[0].outcome) == ("closed", "completed",
                                                                                  "family_did_not_come")
    with pytest.raises(Conflict):
        record(done, answer="complete", outcome="service_given")
    declined = record(refer(case, "neuvola").model_copy(update={"referrals": state.referrals, "status": "closed"}),
                      answer="decline", reason="no_capacity")
    assert declined.status != "closed"  # a decline of a closed case reopens it: the worker's again
