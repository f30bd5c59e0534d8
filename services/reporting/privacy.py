"""Publishing counts so that no family can be recognised, however the questions are combined.

Four rules, applied to every count on its way out (pages, API, CSV and XLSX alike):

1. **The questions are fixed cells** (filters.py): the whole region or one municipality, a calendar year
   or a calendar month. The same question always covers the same cases.
2. **Small counts are hidden.** A true count under 5 (0 included, since "nobody" and "one family" must
   look the same) is published as ``SUPPRESSED``.
3. **Secondary suppression** (suppression.py, cube.py): where a total and its published parts would give
   a hidden cell back by subtraction, one more cell of that line is hidden, decided once from the true
   counts of the whole region-year, so every table that shows a cell shows it the same way. Primary and
   secondary hidden cells read the same, so a reader cannot tell "under 5" from "hidden to protect
   another cell".
4. **Larger counts carry a small, fixed perturbation** of at most ±2, never taking them under 5, so the
   published cells do not add up exactly and differences of them are off by a few either way.

The perturbation is the *cell key method* that statistical offices use for flexible table
builders (Australian Bureau of Statistics' TableBuilder; the 2021 censuses of the UK and the
EU): every case has a record key, a keyed hash of its id that nobody can compute without the
region's statistics key; a cell's key is the sum of its cases' record keys, and the noise is
looked up from the cell key. So the same set of cases always gets the same number (asking
again, or rebuilding the projection, changes nothing), while two different sets get
independent noise. That independence is the method's known weakness: when a reader may build
as many overlapping sets as they like, averaging ``count(Q + X) - count(Q)`` over many sets ``Q``
cancels the noise and gives ``X`` back. Rule 1 removes the free sets; rule 3 the exact relations.

Shares, rates, medians and means are shown only when the cases behind them would themselves be
published; shares and rates are worked out from the published counts. The one exception says only what the
published counts already say: where the share answered by the promised day is hidden, the key figure shows the
least share the published cells allow ("over 98 %", bounds.py), worked out from them alone.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import uuid
from collections.abc import Sequence
from fractions import Fraction
from typing import Final

THRESHOLD: Final = 5
# One symbol for every hidden cell, as statistical offices use (Statistics Sweden and Canada: "x"), so that a
# cell hidden because it is small cannot be told from one hidden to protect another.
SUPPRESSED: Final = "x"
KEY_SPACE: Final = 1 << 16
# Cumulative share of cell keys giving each noise: P(-2)=.1, P(-1)=.2, P(0)=.4, P(+1)=.2, P(+2)=.1.
_NOISE: Final[Sequence[tuple[float, int]]] = ((0.1, -2), (0.3, -1), (0.7, 0), (0.9, 1), (1.0, 2))

Count = int | str  # a published count: a number of at least 5, or SUPPRESSED


def record_key(secret: bytes, case_id: uuid.UUID) -> int:
    """A case's record key in [0, 65536): keyed, so knowing a case id does not reveal its noise."""
    digest = hmac.new(secret, case_id.bytes, hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") % KEY_SPACE


def noise(cell_key: int) -> int:
    position = (cell_key % KEY_SPACE) / KEY_SPACE
    return next(value for limit, value in _NOISE if position < limit)


def protect(count: int, key_sum: int) -> Count:
    """The published form of a true ``count`` whose cases' record keys add up to ``key_sum``."""
    if count < THRESHOLD:
        return SUPPRESSED
    shift = noise(key_sum)
    published = count + shift
    return published if published >= THRESHOLD else count + abs(shift)


def published(value: Count) -> int | None:
    """The number behind a published count, or None when it is hidden."""
    return value if isinstance(value, int) else None


def share(part: Count, whole: Count) -> float | None:
    """``part`` as a percentage of ``whole``, from published counts; None when either is hidden."""
    p, w = published(part), published(whole)
    if p is None or w is None or w == 0:
        return None
    return round(min(100.0, 100.0 * p / w), 1)


def per_thousand(value: Count, population: int | None) -> float | None:
    """A published count per 1,000 people of ``population``; None when hidden or unknown."""
    n = published(value)
    if n is None or not population:
        return None
    return round(1000.0 * n / population, 1)


def enough(count: int) -> bool:
    """Whether a median or mean over ``count`` cases may be shown."""
    return count >= THRESHOLD


MAX_SHIFT: Final = max(abs(shift) for _, shift in _NOISE)  # the most protect() moves a count


def interval(value: Count) -> tuple[int, int | None]:
    """The true counts a published cell can stand for, as anyone who reads this module knows them: a number ``p``
    is a true count of at least 5 moved by at most 2; a hidden cell is anything from 0 up (under 5, or hidden to
    protect another cell: the two read the same), so None, no upper bound."""
    n = published(value)
    if n is None:
        return 0, None
    return max(THRESHOLD, n - MAX_SHIFT), n + MAX_SHIFT


def whole_percent_below(share: Fraction) -> int:
    """The largest whole percent under ``share``: "over 98 %" stays true even when the share is exactly 98 %."""
    return math.ceil(share * 100) - 1
