"""Calling the family back: what the case page proposes and says about the next call.

Pure: the family's windows come as the form's values ("tue-16-18"), the clock as ``now``. The proposal follows
the region's rule: after an unanswered attempt the next of the family's windows that starts once the region's
wait has passed, otherwise the next window from now; without windows, any of the region's bands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from services.routing.decisions import CALLABLE
from services.routing.domain import CaseState
from shared.callbacks import CallWindow, next_window
from shared.regions import CallbackPolicy

# What became of a scheduled call (the callbacks table's status).
CallbackStatus = Literal["scheduled", "cancelled", "replaced", "attempted", "reached"]


def call_windows(values: Iterable[object]) -> list[CallWindow]:
    """The family's windows that can be read; an old or mistyped value is left out rather than failing the page."""
    found: list[CallWindow] = []
    for value in values:
        try:
            window = CallWindow.parse(str(value))
        except ValueError:
            continue
        if window not in found:
            found.append(window)
    return found


@dataclass(frozen=True)
class CallPlan:
    """The next call as the case page offers it, and where the case stands with the region's rule."""

    proposal: tuple[datetime, datetime] | None  # aware Helsinki datetimes; None when nothing fits
    after_unanswered: bool  # the proposal counts from the last unanswered attempt
    next_attempt: int  # the number the next attempt will have since the family was last reached
    attempts: int  # the region's number of unanswered attempts before the notice
    notice_allowed: bool  # the "we tried to reach you" message may be sent now
    notice_sent: bool
    may_close_not_reached: bool


def plan_call(state: CaseState, windows: list[CallWindow], policy: CallbackPolicy, *, now: datetime,
              last_attempt_at: datetime | None) -> CallPlan:
    """The proposal and the rule's standing for a case; ``last_attempt_at`` is the latest contact attempt."""
    after_unanswered = state.unanswered_attempts > 0 and last_attempt_at is not None
    start = now
    if after_unanswered and last_attempt_at is not None:
        start = max(now, last_attempt_at + timedelta(hours=policy.retry_after_hours))
    proposal = next_window(windows, after=start, bands=policy.bands)
    enough = state.unanswered_attempts >= policy.attempts
    sent = state.not_reached_notice_at is not None
    return CallPlan(proposal=proposal, after_unanswered=after_unanswered,
                    next_attempt=state.unanswered_attempts + 1, attempts=policy.attempts,
                    notice_allowed=enough and not sent and not state.closed, notice_sent=sent,
                    may_close_not_reached=enough and sent)


def is_callable(state: CaseState) -> bool:
    """Whether the family left a number to call (phone or text message)."""
    return state.contact_method in CALLABLE


# decisions.py explains a refused call in English for the API and the logs; the page says the same in the
# reader's language. Each pattern is one of decisions.py's callback messages; numbers are carried over.
_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), key) for pattern, key in (
    (r"^the family did not leave a phone number", "cb_error_not_callable"),
    (r"^a call's window ends after it starts", "cb_error_order"),
    (r"^a call's window is at most four hours", "cb_error_too_long"),
    (r"^the window is already over", "cb_error_over"),
    (r"^a call is scheduled at most 60 days ahead", "cb_error_too_far"),
    (r"^no professional '(?P<caller>[^']*)'", "cb_error_caller"),
    (r"^no call to the family is scheduled", "cb_error_none_scheduled"),
    (r"^the family is told they were not reached after (?P<attempts>\d+) unanswered attempts;"
     r" (?P<made>\d+) are recorded", "cb_error_notice_early"),
    (r"^the family was already told", "cb_error_notice_twice"),
    (r"^a call to the family is scheduled", "cb_error_close_scheduled"),
    (r"^a case closes as not reached after (?P<attempts>\d+) unanswered attempts; (?P<made>\d+) are recorded",
     "cb_error_close_attempts"),
    (r"^tell the family first that they were not reached", "cb_error_close_notice"),
))
ERROR_KEYS: tuple[str, ...] = tuple(key for _, key in _ERRORS)


def error_text_key(detail: str) -> tuple[str, dict[str, str]] | None:
    """The catalog key (and its values) for one of the callback rules' refusals; None for any other."""
    for pattern, key in _ERRORS:
        match = pattern.match(detail)
        if match:
            return key, match.groupdict()
    return None
