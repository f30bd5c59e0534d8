"""Recruitment's pure rules: the closing moment across daylight-saving changes, the window, the form's model."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.network.domain import (
    Campaign,
    Recruitment,
    closing_moment,
    opening_moment,
    pick_campaign,
    token_digest,
)
from services.network.forms import JoinForm, parse_join
from services.network.models import Application


@pytest.mark.parametrize(("closing_day", "moment_utc"), [
    # An ordinary winter day: Helsinki is UTC+2.
    (date(2026, 2, 3), datetime(2026, 2, 3, 22, 0, tzinfo=UTC)),
    # The day before spring's change (29 March 2026): the next midnight is still in winter time.
    (date(2026, 3, 28), datetime(2026, 3, 28, 22, 0, tzinfo=UTC)),
    # The day of spring's change has 23 hours: its end is midnight in summer time, UTC+3.
    (date(2026, 3, 29), datetime(2026, 3, 29, 21, 0, tzinfo=UTC)),
    # The day of autumn's change (25 October 2026) has 25 hours: its end is midnight in winter time again.
    (date(2026, 10, 25), datetime(2026, 10, 25, 22, 0, tzinfo=UTC)),
    (date(2026, 10, 24), datetime(2026, 10, 24, 21, 0, tzinfo=UTC)),
])
def test_the_closing_moment_is_the_midnight_after_the_closing_day_in_helsinki(closing_day: date,
                                                                             moment_utc: datetime) -> None:
    assert closing_moment(closing_day) == moment_utc
    # Not "24 hours after the day began", which is an hour off on the two changing days.
    began = opening_moment(closing_day)
    assert (closing_moment(closing_day) - began) == {date(2026, 3, 29): timedelta(hours=23),
                                                     date(2026, 10, 25): timedelta(hours=25)}.get(
        closing_day, timedelta(hours=24))


def test_the_window_takes_the_last_second_and_refuses_the_closing_moment() -> None:
    campaign = Campaign(opens_at=opening_moment(date(2026, 10, 1)), closes_at=closing_moment(date(2026, 10, 25)))
    end = campaign.closes_at
    assert campaign.state(end - timedelta(seconds=1)) is Recruitment.OPEN
    assert campaign.state(end) is Recruitment.CLOSED
    assert campaign.state(end + timedelta(seconds=1)) is Recruitment.CLOSED
    assert campaign.state(campaign.opens_at - timedelta(seconds=1)) is Recruitment.NOT_YET
    assert campaign.state(campaign.opens_at) is Recruitment.OPEN


def test_a_page_shows_the_latest_opened_campaign_else_the_next() -> None:
    old = ("old", Campaign(opens_at=opening_moment(date(2025, 1, 1)), closes_at=closing_moment(date(2025, 2, 3))))
    new = ("new", Campaign(opens_at=opening_moment(date(2026, 1, 1)), closes_at=closing_moment(date(2026, 2, 3))))
    assert pick_campaign([old, new], datetime(2026, 1, 5, tzinfo=UTC)) == new
    assert pick_campaign([old, new], datetime(2025, 6, 1, tzinfo=UTC)) == old
    assert pick_campaign([new], datetime(2025, 6, 1, tzinfo=UTC)) == new
    assert pick_campaign([], datetime(2025, 6, 1, tzinfo=UTC)) is None


def test_a_token_is_stored_only_as_its_digest() -> None:
    assert token_digest("abc") != b"abc" and len(token_digest("abc")) == 32
    assert token_digest("abc") != token_digest("abd")


def application(**changes: Any) -> dict[str, Any]:
    return {"submission_id": str(uuid.uuid4()), "municipality": "raisio", "language": "fi", "name": "Aino Agentti",
            "email": "aino@example.fi", "phone": "040 123 4567", "organisation": "Raision kaupunki",
            "sector": "municipality", "themes": ["schools", "schools", "health"], "languages": ["fi", "sv"],
            "why": "Haluan auttaa perheitä löytämään palvelut.", "consent": True, **changes}


def test_an_application_is_read_and_tidied() -> None:
    body = Application.model_validate(application())
    assert body.phone == "+358401234567"
    assert body.themes == ["schools", "health"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"email": "not-an-address"}, "email"), ({"phone": "call me"}, "phone"), ({"sector": "army"}, "sector"),
    ({"themes": []}, "themes"), ({"languages": ["de"]}, "languages"), ({"why": " "}, "why"),
    ({"consent": False}, "consent"), ({"name": "A\u202eB"}, "name"), ({"website": "spam"}, "website"),
    ({"municipality": "Raisio!"}, "municipality"),
])
def test_a_bad_field_is_named(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Application.model_validate(application(**changes))
    assert {str(e["loc"][0]) for e in caught.value.errors()} == {field}


def test_the_form_names_each_wrong_field_in_the_pages_language() -> None:
    form = JoinForm(municipality="raisio", name="Aino", email="nope", organisation="Kaupunki", sector="school",
                    themes=[], languages=["sv"], why="Jag vill hjälpa.", consent="")
    body, errors = parse_join(form, "sv")
    assert body is None
    assert set(errors) == {"email", "themes", "consent"}
    assert errors["themes"] == "Välj minst ett tema."
    ok, none = parse_join(form.model_copy(update={"email": "a@b.fi", "themes": ["youth"], "consent": "yes"}), "sv")
    assert ok is not None and none == {} and ok.language == "sv"


def test_a_segment_takes_every_criterion_given_and_any_theme_or_language() -> None:
    from services.network.queries import Filters, _matches
    from services.network.tasks import NewTask, in_segment
    from shared.network_events import Segment

    agent = {"municipality": "raisio", "sector": "school", "themes": ["youth", "health"], "languages": ["sv"],
             "status": "confirmed"}
    assert in_segment(agent, Segment())
    assert in_segment(agent, Segment(municipalities=("raisio", "naantali"), themes=("health", "schools")))
    assert not in_segment(agent, Segment(municipalities=("raisio",), sectors=("ngo",)))
    assert not in_segment(agent, Segment(languages=("fi",)))
    assert _matches(agent, Filters(theme="youth", language="sv", status="confirmed"))
    assert not _matches(agent, Filters(theme="schools"))
    with pytest.raises(ValidationError):
        NewTask.model_validate({"title_fi": " ", "title_sv": "x", "brief_fi": "x", "brief_sv": "x",
                                "due": "2026-12-24"})
