"""Calls to families: what scheduling, cancelling, attempts, the notice and closing decide, and the next window."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from services.routing.decisions import (
    AssignCase,
    CancelCallback,
    CloseCase,
    Command,
    RecordContactAttempt,
    ScheduleCallback,
    SendNotReachedNotice,
    SendReply,
    decide,
)
from services.routing.domain import CaseState, evolve, initial_state
from shared.businessdays import HELSINKI
from shared.callbacks import CallWindow, next_window
from shared.errors import InvalidCommand
from shared.events import CallbackScheduled, EventBase, new_event
from shared.regions import load_regions
from shared.sealing import Sealed
from shared.settings import ROOT
from tests.support import request_event

REGION = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
TEAMS = {t.id for t in REGION.teams}
PROS = {"maija": "family-guidance", "ville": "family-work"}
# Monday 23 November 2026, 12.00 in Helsinki.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TUESDAY = date(2026, 11, 24)


def sealer(text: str, event_type: str, field: str) -> Sealed:
    return Sealed(nonce="bm9uY2U=", ciphertext=text[::-1])


def events_of(state: CaseState, command: Command, now: datetime = NOW) -> list[EventBase]:
    return [new_event(cls, case_id=state.case_id, region=state.region, municipality=state.municipality,
                      actor="staff:test", payload=payload, occurred_at=now)
            for cls, payload in decide(state, command, region=REGION, teams=TEAMS, seal=sealer, team_of=PROS.get,
                                       now=now)]


def run(state: CaseState, *commands: Command, now: datetime = NOW) -> CaseState:
    for command in commands:
        for event in events_of(state, command, now):
            state = evolve(state, event)
    return state


def case_by(method: str) -> CaseState:
    return initial_state(request_event()).model_copy(update={"contact_method": method})


@pytest.fixture
def phone_case() -> CaseState:
    return run(case_by("phone"), AssignCase(assignee_kind="professional", assignee_id="maija"))


def call(day: date = TUESDAY, start: int = 16, end: int = 17, caller: str | None = None) -> ScheduleCallback:
    return ScheduleCallback(day=day, start=time(start), end=time(end), caller=caller)


NO_ANSWER = RecordContactAttempt(channel="phone", result="no_answer")


# Scheduling

@pytest.mark.parametrize("method", ["email", "anonymous"])
def test_a_call_is_refused_when_the_family_left_no_number(method: str) -> None:
    with pytest.raises(InvalidCommand, match="did not leave a phone number"):
        run(case_by(method), call())


def test_a_text_message_case_may_be_called(phone_case: CaseState) -> None:
    state = run(phone_case.model_copy(update={"contact_method": "sms"}), call())
    assert state.callback_id is not None


def test_a_scheduled_call_is_in_helsinki_time_with_the_cases_professional(phone_case: CaseState) -> None:
    (event,) = events_of(phone_case, call())
    assert isinstance(event, CallbackScheduled)
    p = event.payload
    assert p.starts_at == datetime(2026, 11, 24, 16, 0, tzinfo=HELSINKI)
    assert p.starts_at.astimezone(UTC).hour == 14 and p.ends_at - p.starts_at == timedelta(hours=1)
    assert (p.caller, p.replaces) == ("maija", None)
    state = evolve(phone_case, event)
    assert (state.callback_id, state.callback_caller) == (p.callback_id, "maija")


def test_a_team_case_has_no_caller_until_someone_is_named() -> None:
    team_case = run(case_by("phone"), AssignCase(assignee_kind="team", assignee_id="family-work"))
    assert run(team_case, call()).callback_caller is None
    assert run(team_case, call(caller="ville")).callback_caller == "ville"


def test_an_unknown_caller_is_refused(phone_case: CaseState) -> None:
    with pytest.raises(InvalidCommand, match="no professional 'nobody'"):
        run(phone_case, call(caller="nobody"))


@pytest.mark.parametrize(("command", "why"), [
    (call(start=17, end=16), "ends after it starts"),
    (call(start=16, end=16), "ends after it starts"),
    (call(start=8, end=13), "at most four hours"),
    (call(day=date(2026, 11, 23), start=8, end=11), "already over"),
    (call(day=date(2026, 11, 20)), "already over"),
    (call(day=(NOW + timedelta(days=61)).date()), "at most 60 days ahead"),
])
def test_a_window_over_too_long_or_too_far_is_refused(phone_case: CaseState, command: ScheduleCallback,
                                                      why: str) -> None:
    with pytest.raises(InvalidCommand, match=why):
        run(phone_case, command)


def test_a_window_of_four_hours_today_still_open_is_accepted(phone_case: CaseState) -> None:
    # 11.00–15.00 today: it started an hour ago in Helsinki, but it is not over yet.
    assert run(phone_case, call(day=date(2026, 11, 23), start=11, end=15)).callback_id is not None


def test_changing_a_call_replaces_it(phone_case: CaseState) -> None:
    first = run(phone_case, call())
    (moved,) = events_of(first, call(day=TUESDAY + timedelta(days=1), start=8, end=10, caller="ville"))
    assert isinstance(moved, CallbackScheduled)
    assert moved.payload.replaces == first.callback_id and moved.payload.callback_id != first.callback_id
    state = evolve(first, moved)
    assert (state.callback_id, state.callback_caller) == (moved.payload.callback_id, "ville")
    assert state.callback_starts_at == datetime(2026, 11, 25, 8, 0, tzinfo=HELSINKI)


def test_cancelling_clears_the_call_and_needs_one(phone_case: CaseState) -> None:
    with pytest.raises(InvalidCommand, match="no call to the family is scheduled"):
        run(phone_case, CancelCallback())
    state = run(phone_case, call(), CancelCallback())
    assert (state.callback_id, state.callback_starts_at, state.callback_caller) == (None, None, None)


# Attempts, the notice and closing

def test_attempts_count_the_unanswered_since_last_reached_and_use_up_the_call(phone_case: CaseState) -> None:
    state = run(phone_case, call(), NO_ANSWER)
    assert (state.unanswered_attempts, state.callback_id) == (1, None)
    state = run(state, RecordContactAttempt(channel="phone", result="message_left"))
    assert state.unanswered_attempts == 2
    reached = run(state, call(), RecordContactAttempt(channel="phone", result="reached"))
    assert (reached.unanswered_attempts, reached.callback_id) == (0, None)
    assert reached.first_response_at is not None


def test_the_notice_comes_only_after_the_regions_attempts_and_once(phone_case: CaseState) -> None:
    assert REGION.callbacks.attempts == 3
    state = run(phone_case, NO_ANSWER, NO_ANSWER)
    with pytest.raises(InvalidCommand, match="after 3 unanswered attempts; 2 are recorded"):
        run(state, SendNotReachedNotice())
    state = run(state, NO_ANSWER)
    (notice,) = events_of(state, SendNotReachedNotice())
    assert notice.type == "contact.not_reached_notice" and notice.payload.attempts == 3  # type: ignore[attr-defined]
    state = evolve(state, notice)
    assert state.not_reached_notice_at == NOW
    with pytest.raises(InvalidCommand, match="already told"):
        run(state, SendNotReachedNotice())


def test_reaching_the_family_starts_the_count_again(phone_case: CaseState) -> None:
    state = run(phone_case, NO_ANSWER, NO_ANSWER, NO_ANSWER, SendNotReachedNotice(),
                RecordContactAttempt(channel="phone", result="reached"))
    assert (state.unanswered_attempts, state.not_reached_notice_at) == (0, None)
    with pytest.raises(InvalidCommand, match="0 are recorded"):
        run(state, SendNotReachedNotice())


def test_closing_as_not_reached_needs_the_attempts_and_then_the_notice(phone_case: CaseState) -> None:
    not_reached = CloseCase(outcome="not_reached")
    with pytest.raises(InvalidCommand, match="after 3 unanswered attempts; 0 are recorded"):
        run(phone_case, not_reached)
    state = run(phone_case, NO_ANSWER, NO_ANSWER, NO_ANSWER)
    with pytest.raises(InvalidCommand, match="tell the family first"):
        run(state, not_reached)
    closed = run(state, SendNotReachedNotice(), not_reached)
    assert (closed.status, closed.outcome) == ("closed", "not_reached")


def test_closing_is_refused_while_a_call_is_scheduled(phone_case: CaseState) -> None:
    state = run(phone_case, SendReply(text="Soitamme"), call())
    with pytest.raises(InvalidCommand, match="a call to the family is scheduled"):
        run(state, CloseCase(outcome="guidance_enough"))
    assert run(state, CancelCallback(), CloseCase(outcome="guidance_enough")).status == "closed"


# The next window

def helsinki(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), HELSINKI)


def windows(*values: str) -> list[CallWindow]:
    return [CallWindow.parse(v) for v in values]


def test_without_windows_the_regions_next_band_on_a_business_day() -> None:
    assert next_window([], after=helsinki(date(2026, 11, 23), 12, 30)) == (
        helsinki(date(2026, 11, 23), 16), helsinki(date(2026, 11, 23), 18))
    assert next_window([], after=helsinki(date(2026, 11, 23), 7, 0), bands=[(9, 11)]) == (
        helsinki(date(2026, 11, 23), 9), helsinki(date(2026, 11, 23), 11))


def test_the_familys_own_window_comes_first() -> None:
    assert next_window(windows("tue-16-18"), after=helsinki(date(2026, 11, 23), 12)) == (
        helsinki(TUESDAY, 16), helsinki(TUESDAY, 18))
    # Several windows: the earliest one still to come.
    assert next_window(windows("thu-8-12", "tue-16-18"), after=helsinki(TUESDAY, 16, 1)) == (
        helsinki(date(2026, 11, 26), 8), helsinki(date(2026, 11, 26), 12))


def test_weekends_are_skipped() -> None:
    friday_evening = helsinki(date(2026, 11, 27), 17)
    assert next_window([], after=friday_evening) == (helsinki(date(2026, 11, 30), 8), helsinki(date(2026, 11, 30), 12))


def test_holidays_are_skipped() -> None:
    # Christmas Eve (Thursday) and Christmas Day (Friday) 2026; then Epiphany, Wednesday 6 January 2027.
    assert next_window(windows("thu-8-12", "mon-8-12"), after=helsinki(date(2026, 12, 23), 12)) == (
        helsinki(date(2026, 12, 28), 8), helsinki(date(2026, 12, 28), 12))
    assert next_window(windows("wed-8-12"), after=helsinki(date(2027, 1, 5), 9)) == (
        helsinki(date(2027, 1, 13), 8), helsinki(date(2027, 1, 13), 12))


def test_nothing_fits_within_the_horizon() -> None:
    saturday = helsinki(date(2026, 11, 28), 9)
    assert next_window(windows("mon-8-12"), after=saturday, horizon_days=1) is None
    with pytest.raises(ValueError, match="timezone-aware"):
        next_window([], after=datetime(2026, 11, 23, 12))


def test_the_retry_gap_moves_the_proposal_past_the_next_band() -> None:
    attempt = helsinki(date(2026, 11, 23), 11)
    gap = timedelta(hours=REGION.callbacks.retry_after_hours)
    assert next_window([], after=attempt)[0] == helsinki(date(2026, 11, 23), 12)  # type: ignore[index]
    assert next_window([], after=attempt + gap, bands=REGION.callbacks.bands) == (
        helsinki(date(2026, 11, 23), 16), helsinki(date(2026, 11, 23), 18))
