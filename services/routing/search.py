"""Staff search, the pure part: what kind of term was typed, and what a search asks of the queue.

A term is an exact reference, an e-mail address or a phone number, nothing else: the family's words are
sealed, so there is no free-text search, and a term of no kind is refused with a message saying what can be
searched. The term decides its kind by its shape, in this order: a reference (eight symbols of the
reference alphabet, however typed: ``k7m4 2q9x``), an address (it has an ``@``), a phone number (digits
with the usual separators, read as the region's country's when it has no country code).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Literal

from shared.blind_index import normalise_email, normalise_phone
from shared.references import is_reference, normalise_reference

TermKind = Literal["reference", "phone", "email"]
# What the access log records of a search: the term's kind, or "dates" for a received-date range alone.
SearchKind = Literal["reference", "phone", "email", "dates"]
SEARCH_KINDS: tuple[SearchKind, ...] = ("reference", "phone", "email", "dates")
MAX_TERM = 200
# A received day exactly as YYYY-MM-DD: a bare date type would also take "0" (a Unix time) as 1 January 1970.
ISO_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# A phone number as people write it: digits, spaces, dashes, dots, brackets and a leading plus (ASCII digits only:
# a pasted number's other spaces are made plain first).
_PHONE_SHAPE = re.compile(r"\+?[0-9 ().\-/]+")
_MIN_PHONE_DIGITS = 5


class TermRefused(ValueError):
    """The term is of no kind that can be searched. The message never repeats the term (it may be personal)."""


class DatesRefused(ValueError):
    """The received-date range is the wrong way round."""


@dataclass(frozen=True)
class Term:
    kind: TermKind
    value: str  # normalised: 'K7M4-2Q9X', '+358401234567', 'maija@example.fi'


def classify(typed: str, country: str = "FI") -> Term:
    """The kind and normalised value of a typed term; TermRefused when it is none of them."""
    text = typed.strip()
    if not text or len(text) > MAX_TERM:
        raise TermRefused("search by a reference, a phone number or an e-mail address")
    reference = normalise_reference(text)
    if is_reference(reference):
        return Term("reference", reference)
    if "@" in text:
        address = normalise_email(text)
        if address is None:
            raise TermRefused("not an e-mail address")
        return Term("email", address)
    spaced = " ".join(text.split())  # a no-break space or a tab from a pasted number
    if _PHONE_SHAPE.fullmatch(spaced) and sum(ch in "0123456789" for ch in spaced) >= _MIN_PHONE_DIGITS:
        number = normalise_phone(spaced, country)
        if number is None:
            raise TermRefused("not a possible phone number")
        return Term("phone", number)
    raise TermRefused("search by a reference, a phone number or an e-mail address; the family's words are sealed"
                      " and cannot be searched")


def check_dates(received_from: date | None, received_to: date | None) -> None:
    if received_from is not None and received_to is not None and received_from > received_to:
        raise DatesRefused("received_from is after received_to")


@dataclass(frozen=True)
class CaseSearch:
    """What a search adds to the queue's filters: an exact reference, the cases a contact's digest found (an
    empty list finds nothing), and a range of days received (Helsinki dates, both ends included)."""

    reference: str | None = None
    case_ids: list[uuid.UUID] | None = None
    received_from: date | None = None
    received_to: date | None = None


def search_kind(term: Term | None) -> SearchKind:
    """What the access log says was searched: the term's kind, or the dates when there was no term."""
    return "dates" if term is None else term.kind
