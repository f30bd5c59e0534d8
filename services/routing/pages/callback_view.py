"""How calls to families read on the staff's pages: windows, times and the case page's call section."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_time

from services.routing.callback_plan import CallPlan, call_windows, is_callable, plan_call
from services.routing.domain import CaseState
from services.routing.i18n import t
from shared.businessdays import HELSINKI
from shared.callbacks import CallWindow
from shared.i18n import BABEL_LOCALE, long_date
from shared.regions import CallbackPolicy


def clock(moment: datetime, lang: str) -> str:
    """A moment's time of day in Helsinki: '16.00' in Finnish and Swedish, '16:00' in English."""
    return format_time(moment, format="short", tzinfo=HELSINKI, locale=BABEL_LOCALE.get(lang, "fi_FI"))


def window_label(window: CallWindow, lang: str) -> str:
    """A family's window as staff read it: 'ti 16–18', 'tis 16–18', 'Tue 16–18'."""
    return f"{t('weekday_' + window.weekday, lang)} {window.start}–{window.end}"


def span_label(starts: datetime, ends: datetime, lang: str) -> str:
    """A call's day and window: 'tiistai 8. joulukuuta 2026, 16.00–17.00'."""
    return f"{long_date(starts.astimezone(HELSINKI).date(), lang)}, {clock(starts, lang)}–{clock(ends, lang)}"


@dataclass(frozen=True)
class CallSection:
    """What the case page's "Call the family" section shows and prefills."""

    windows: list[str]  # the family's windows in the reader's language
    plan: CallPlan
    day: str  # the form's prefill: YYYY-MM-DD and HH:MM, Helsinki time
    start: str
    end: str
    scheduled: str | None  # the scheduled call's day and window, in words
    caller: str  # who is preselected to call: the scheduled call's caller, else the case's professional, else ""
    retry_hours: str  # the region's wait after an unanswered call, as a number to read ("2", "1.5")


def call_section(state: CaseState, window_values: list[str], policy: CallbackPolicy, *, now: datetime,
                 last_attempt_at: datetime | None, lang: str) -> CallSection | None:
    """The section for a case whose family left a number to call; None for e-mail and anonymous cases."""
    if not is_callable(state):
        return None
    windows = call_windows(window_values)
    plan = plan_call(state, windows, policy, now=now, last_attempt_at=last_attempt_at)
    day = start = end = ""
    if plan.proposal is not None:
        opens, closes = (moment.astimezone(HELSINKI) for moment in plan.proposal)
        day, start, end = opens.date().isoformat(), opens.strftime("%H:%M"), closes.strftime("%H:%M")
    scheduled = None
    if state.callback_starts_at is not None and state.callback_ends_at is not None:
        scheduled = span_label(state.callback_starts_at, state.callback_ends_at, lang)
    caller = state.callback_caller or (state.assignee_id if state.assignee_kind == "professional" else None)
    return CallSection(windows=[window_label(w, lang) for w in windows], plan=plan, day=day, start=start, end=end,
                       scheduled=scheduled, caller=caller or "", retry_hours=f"{policy.retry_after_hours:g}")


def span_of(starts: str, ends: str, lang: str) -> str:
    """A call's day and window from a timeline entry's data (ISO times as the event carries them)."""
    return span_label(datetime.fromisoformat(starts), datetime.fromisoformat(ends), lang)
