"""References typed back as people read them, and the lock-out's minutes as the rule says them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.intake.family import wait_minutes
from services.intake.models import StatusQuery
from shared.references import normalise_reference


@pytest.mark.parametrize("typed", ["K7M4-2Q9X", "k7m4-2q9x", "K7M42Q9X", "k7m4 2q9x", " K7M4 - 2Q9X ",
                                   "k7m4\u20132q9x", "K 7 M 4 2 Q 9 X"])
def test_every_typing_of_a_reference_is_the_same_reference(typed: str) -> None:
    assert normalise_reference(typed) == "K7M4-2Q9X"


@pytest.mark.parametrize(("typed", "kept"), [("K7M4-2Q9", "K7M42Q9"), ("K7M4-2Q9X5", "K7M42Q9X5"),
                                              ("K7M4/2Q9X", "K7M4/2Q9X")])
def test_what_is_not_eight_symbols_stays_unmatched(typed: str, kept: str) -> None:
    assert normalise_reference(typed) == kept


def test_the_api_reads_the_reference_as_the_page_does() -> None:
    query = StatusQuery(reference="k7m4 2q9x", pickup_code="7HQ2M-XK4PD-9TRWA-3NVCE")
    assert query.reference == "K7M4-2Q9X"
    with pytest.raises(ValidationError):
        StatusQuery(reference="  ", pickup_code="7HQ2M-XK4PD-9TRWA-3NVCE")


def test_a_wait_just_begun_says_its_rule_s_minutes() -> None:
    assert wait_minutes(15 * 60) == 15
    assert wait_minutes(15 * 60 - 1) == 15
    assert wait_minutes(14 * 60 + 1) == 15
    assert wait_minutes(14 * 60) == 14
    assert wait_minutes(1) == 1
