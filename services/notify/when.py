"""A call's day and hours as a family or a member of staff reads them: 'ti 8.12.', 'tis 8.12', 'Tue 8 Dec'.

The words around them ("klo", "kl.", "between … and") are in each language's message template.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_skeleton

from shared.businessdays import HELSINKI
from shared.i18n import BABEL_LOCALE

# A weekday and a short date, each in the form its readers write it (CLDR's skeletons).
_DAY = {"fi": "MEd", "sv": "MEd", "en": "MMMEd"}
_MINUTE_SEPARATOR = {"fi": ".", "sv": ".", "en": ":"}


def _hour(moment: datetime, lang: str) -> str:
    """'16' on the hour, '16.30' (fi, sv) or '16:30' (en) otherwise."""
    if moment.minute == 0:
        return str(moment.hour)
    return f"{moment.hour}{_MINUTE_SEPARATOR.get(lang, '.')}{moment.minute:02d}"


def call_values(starts_at: datetime | None, ends_at: datetime | None, lang: str) -> dict[str, str]:
    """``call_day``, ``call_from`` and ``call_to`` in Helsinki time; empty for a message about no call."""
    if starts_at is None or ends_at is None:
        return {"call_day": "", "call_from": "", "call_to": ""}
    start, end = starts_at.astimezone(HELSINKI), ends_at.astimezone(HELSINKI)
    day = format_skeleton(_DAY.get(lang, "MEd"), start, locale=BABEL_LOCALE.get(lang, "fi_FI"))
    return {"call_day": str(day), "call_from": _hour(start, lang), "call_to": _hour(end, lang)}
