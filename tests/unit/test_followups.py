"""Follow-ups in routing's domain: a family's later message, its own promised day, and what answers it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel

from services.routing.domain import CaseState, evolve, initial_state
from shared.events import (
    ContactAttempted,
    ContactAttemptedPayload,
    DeadlineMissed,
    DeadlineWarning,
    EventBase,
    FamilyMessageAdded,
    FamilyMessageAddedPayload,
    FollowUpDeadlinePayload,
    ReplySent,
    ReplySentPayload,
    RequestSubmitted,
    RequestSubmittedPayload,
    new_event,
)
from shared.sealing import Sealed

SEALED = Sealed(nonce="bm9uY2U=", ciphertext="eA==")
# Monday 23 November 2026, 10:00 in Helsinki (08:00 UTC).
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
CASE = uuid.uuid4()


def event(cls: type[EventBase], payload: BaseModel, at: datetime) -> EventBase:
    return new_event(cls, case_id=CASE, region="pohjois-pohjanmaa", municipality="oulu", actor="test",
                     payload=payload, occurred_at=at)


def requested(days: int = 3) -> CaseState:
    submitted = event(RequestSubmitted, RequestSubmittedPayload(
        submission_id=uuid.uuid4(), reference="K7M4-2Q9X", language="sv", requester_role="parent",
        contact_method="phone", answer_due=date(2026, 11, 26), deadline_business_days=days, personal=SEALED), MONDAY)
    assert isinstance(submitted, RequestSubmitted)
    return initial_state(submitted)


def message(at: datetime) -> EventBase:
    return event(FamilyMessageAdded, FamilyMessageAddedPayload(message_id=uuid.uuid4(), message=SEALED), at)


def reply(at: datetime) -> EventBase:
    return event(ReplySent, ReplySentPayload(reply_id=uuid.uuid4(), text=SEALED), at)


def contact(at: datetime, result: str) -> EventBase:
    return event(ContactAttempted, ContactAttemptedPayload.model_validate({"channel": "phone", "result": result}), at)


def answered() -> CaseState:
    return evolve(requested(), reply(MONDAY + timedelta(hours=2)))


def test_the_case_keeps_the_regions_rule_it_was_promised_by() -> None:
    assert requested(3).deadline_business_days == 3
    assert requested(1).deadline_business_days == 1


def test_a_message_after_the_answer_is_a_follow_up_with_its_own_day() -> None:
    # Friday 27 November 2026, 15:00 Helsinki: three business days on is Wednesday 2 December.
    at = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    state = evolve(answered(), message(at))
    assert state.followups == 1
    assert state.awaiting_since == at
    assert state.unread_messages == 1
    assert state.followup_due == date(2026, 12, 2)


def test_the_next_business_day_where_the_region_promises_one() -> None:
    state = evolve(requested(1), reply(MONDAY + timedelta(hours=1)))
    state = evolve(state, message(datetime(2026, 11, 27, 13, 0, tzinfo=UTC)))  # a Friday
    assert state.followup_due == date(2026, 11, 30)  # the Monday after


def test_more_messages_count_unread_but_keep_the_first_ones_day() -> None:
    first = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    state = evolve(evolve(answered(), message(first)), message(first + timedelta(days=1)))
    assert state.followups == 1 and state.unread_messages == 2
    assert state.awaiting_since == first and state.followup_due == date(2026, 11, 27)


def test_a_reply_answers_the_follow_up() -> None:
    state = evolve(answered(), message(MONDAY + timedelta(days=1)))
    state = evolve(state, reply(MONDAY + timedelta(days=2)))
    assert state.awaiting_since is None and state.unread_messages == 0 and state.followup_due is None
    assert state.followups == 1
    assert state.first_response_at == MONDAY + timedelta(hours=2)  # the first answer stays the first


def test_only_a_call_that_reaches_the_family_answers_it() -> None:
    state = evolve(answered(), message(MONDAY + timedelta(days=1)))
    missed_call = evolve(state, contact(MONDAY + timedelta(days=2), "no_answer"))
    assert missed_call.awaiting_since is not None and missed_call.unread_messages == 1
    reached = evolve(missed_call, contact(MONDAY + timedelta(days=2, hours=1), "reached"))
    assert reached.awaiting_since is None and reached.unread_messages == 0


def test_a_second_follow_up_after_an_answer_gets_the_next_number() -> None:
    state = evolve(answered(), message(MONDAY + timedelta(days=1)))
    state = evolve(state, reply(MONDAY + timedelta(days=1, hours=1)))
    state = evolve(state, message(MONDAY + timedelta(days=3)))
    assert state.followups == 2 and state.unread_messages == 1


def test_a_message_before_the_first_answer_is_unread_but_not_a_follow_up() -> None:
    state = evolve(requested(), message(MONDAY + timedelta(hours=1)))
    assert state.unread_messages == 1
    assert state.followups == 0 and state.awaiting_since is None and state.followup_due is None
    state = evolve(state, reply(MONDAY + timedelta(hours=3)))
    assert state.unread_messages == 0


def test_a_follow_ups_alerts_leave_the_first_requests_flags_alone() -> None:
    state = evolve(answered(), message(MONDAY + timedelta(days=1)))
    payload = FollowUpDeadlinePayload(answer_due=date(2026, 11, 27), due_at=datetime(2026, 11, 27, 22, tzinfo=UTC),
                                      followup=1)
    state = evolve(state, event(DeadlineWarning, payload, MONDAY + timedelta(days=4)))
    state = evolve(state, event(DeadlineMissed, payload, MONDAY + timedelta(days=5)))
    assert not state.warned and not state.missed
    first = payload.model_copy(update={"followup": 0})
    state = evolve(state, event(DeadlineMissed, first, MONDAY + timedelta(days=5)))
    assert state.missed
