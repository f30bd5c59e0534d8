"""What the staff's pages make of calls: the proposal and the rule, windows in words, refusals in the reader's
language, and the rows of the callbacks table each event leads to."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from services.routing.callback_plan import ERROR_KEYS, call_windows, error_text_key, plan_call
from services.routing.callback_projection import END, MOVE_TEAM, SCHEDULE, callback_writes
from services.routing.decisions import (
    AssignCase,
    CancelCallback,
    CloseCase,
    Command,
    RecordContactAttempt,
    ScheduleCallback,
    SendNotReachedNotice,
)
from services.routing.domain import CaseState, evolve
from services.routing.i18n import t
from services.routing.pages.callback_view import call_section, clock, window_label
from shared.businessdays import HELSINKI
from shared.callbacks import CallWindow
from shared.errors import InvalidCommand
from tests.unit.test_callbacks_rules import NO_ANSWER, NOW, REGION, TUESDAY, call, case_by, events_of, run

POLICY = REGION.callbacks


@pytest.fixture
def phone_case() -> CaseState:
    return run(case_by("phone"), AssignCase(assignee_kind="professional", assignee_id="maija"))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), HELSINKI)


MONDAY = date(2026, 11, 23)


def test_windows_in_the_readers_language() -> None:
    window = CallWindow.parse("tue-16-18")
    assert [window_label(window, lang) for lang in ("fi", "sv", "en")] == ["ti 16–18", "tis 16–18", "Tue 16–18"]
    assert clock(at(MONDAY, 16), "fi") == "16.00" and clock(at(MONDAY, 16), "en") == "16:00"


def test_unreadable_or_repeated_windows_are_left_out() -> None:
    assert [w.value for w in call_windows(["tue-16-18", "sun-8-12", "tue-16-18", 7, "thu-8-12"])] == [
        "tue-16-18", "thu-8-12"]


def test_the_proposal_is_the_next_window_from_now_before_any_attempt(phone_case: CaseState) -> None:
    plan = plan_call(phone_case, call_windows(["tue-16-18"]), POLICY, now=NOW, last_attempt_at=None)
    assert plan.proposal == (at(TUESDAY, 16), at(TUESDAY, 18))
    assert (plan.after_unanswered, plan.next_attempt, plan.attempts) == (False, 1, 3)
    assert not plan.notice_allowed and not plan.may_close_not_reached


def test_after_an_unanswered_attempt_the_proposal_waits_the_regions_gap(phone_case: CaseState) -> None:
    attempt = at(MONDAY, 11)
    state = run(phone_case, NO_ANSWER)
    soon = attempt + timedelta(minutes=5)
    plan = plan_call(state, [], POLICY, now=soon, last_attempt_at=attempt)
    assert plan.after_unanswered and plan.next_attempt == 2
    assert plan.proposal == (at(MONDAY, 16), at(MONDAY, 18))  # 12–16 starts within two hours of the attempt
    # Long after the attempt, the gap has passed: the next window from now.
    later = plan_call(state, [], POLICY, now=at(TUESDAY, 7), last_attempt_at=attempt)
    assert later.proposal == (at(TUESDAY, 8), at(TUESDAY, 12))


def test_the_notice_and_closing_follow_the_rule(phone_case: CaseState) -> None:
    three = run(phone_case, NO_ANSWER, NO_ANSWER, NO_ANSWER)
    plan = plan_call(three, [], POLICY, now=NOW, last_attempt_at=NOW)
    assert plan.notice_allowed and not plan.notice_sent and not plan.may_close_not_reached
    told = run(three, SendNotReachedNotice())
    plan = plan_call(told, [], POLICY, now=NOW, last_attempt_at=NOW)
    assert not plan.notice_allowed and plan.notice_sent and plan.may_close_not_reached


def test_the_section_is_only_for_families_who_left_a_number(phone_case: CaseState) -> None:
    assert call_section(case_by("email"), [], POLICY, now=NOW, last_attempt_at=None, lang="fi") is None
    section = call_section(phone_case, ["thu-8-12", "tue-16-18"], POLICY, now=NOW, last_attempt_at=None, lang="sv")
    assert section is not None
    assert section.windows == ["tors 8–12", "tis 16–18"]
    assert (section.day, section.start, section.end) == ("2026-11-24", "16:00", "18:00")
    assert (section.caller, section.retry_hours, section.scheduled) == ("maija", "2", None)
    scheduled = run(phone_case, call(caller="ville"))
    section = call_section(scheduled, [], POLICY, now=NOW, last_attempt_at=None, lang="fi")
    assert section is not None and section.caller == "ville"
    assert section.scheduled is not None and section.scheduled.endswith("16.00–17.00")
    assert "24" in section.scheduled and "marraskuuta" in section.scheduled


def refusal(state: CaseState, command: Command) -> str:
    with pytest.raises(InvalidCommand) as refused:
        events_of(state, command)
    return refused.value.detail


def test_every_refusal_of_the_call_rules_has_its_text_in_each_language(phone_case: CaseState) -> None:
    three = run(phone_case, NO_ANSWER, NO_ANSWER, NO_ANSWER)
    details = [
        refusal(case_by("email"), call()),
        refusal(phone_case, call(start=17, end=16)),
        refusal(phone_case, call(start=8, end=13)),
        refusal(phone_case, call(day=date(2026, 11, 20))),
        refusal(phone_case, call(day=(NOW + timedelta(days=61)).date())),
        refusal(phone_case, call(caller="nobody")),
        refusal(phone_case, CancelCallback()),
        refusal(phone_case, SendNotReachedNotice()),
        refusal(run(three, SendNotReachedNotice()), SendNotReachedNotice()),
        refusal(run(phone_case, call()), CloseCase(outcome="guidance_enough")),
        refusal(phone_case, CloseCase(outcome="not_reached")),
        refusal(three, CloseCase(outcome="not_reached")),
    ]
    found = [error_text_key(detail) for detail in details]
    assert [f[0] for f in found if f] == list(ERROR_KEYS)
    assert found[5] == ("cb_error_caller", {"caller": "nobody"})
    assert found[7] == ("cb_error_notice_early", {"attempts": "3", "made": "0"})
    sv = t("cb_error_close_attempts", "sv", **found[10][1])  # type: ignore[index]
    assert sv == "ärendet kan avslutas som inte nått först efter 3 obesvarade försök; 0 har registrerats"
    for key, values in (f for f in found if f):
        texts = {lang: t(key, lang, **values) for lang in ("fi", "sv", "en")}
        assert len(set(texts.values())) == 3 and all("{" not in text for text in texts.values()), texts
    assert error_text_key("the case is closed; reopen it first") is None


def test_the_callbacks_table_follows_a_calls_life(phone_case: CaseState) -> None:
    state = phone_case
    writes = []
    commands: list[Command] = [call(), call(day=TUESDAY + timedelta(days=1)),
                               AssignCase(assignee_kind="team", assignee_id="family-work"), NO_ANSWER, call(),
                               CancelCallback(), call(), RecordContactAttempt(channel="phone", result="reached")]
    ids = []
    for command in commands:
        for event in events_of(state, command):
            writes.append(callback_writes(event, state))
            state = evolve(state, event)
        if isinstance(command, ScheduleCallback):
            ids.append(state.callback_id)
    first, moved, third, fourth = ids
    assert [[(w.sql, w.args[:2]) for w in ws] for ws in writes] == [
        [(SCHEDULE, (first, state.case_id))],
        [(END, (first, "replaced")), (SCHEDULE, (moved, state.case_id))],
        [(MOVE_TEAM, (state.case_id, "family-work"))],
        [(END, (moved, "attempted"))],
        [(SCHEDULE, (third, state.case_id))],
        [(END, (third, "cancelled"))],
        [(SCHEDULE, (fourth, state.case_id))],
        [(END, (fourth, "reached"))],
    ]
    scheduled = writes[0][0].args
    assert scheduled[2:5] == ("varsinais-suomi", "family-guidance", "maija")  # region, team, caller
    # Without a call, an attempt or an assignment changes nothing in the table.
    plain = run(case_by("phone"), NO_ANSWER)
    assert [callback_writes(e, plain) for e in events_of(plain, NO_ANSWER)] == [[]]
