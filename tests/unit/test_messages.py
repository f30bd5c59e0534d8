"""Every message template renders in Finnish, Swedish and English with nothing missing."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from jinja2 import UndefinedError

from services.notify.messages import render
from services.notify.sender import status_link
from shared.notifications import MESSAGE_NAMES as NAMES

VALUES = {"reference": "K7M4-2Q9X", "answer_due": "maanantai 27. joulukuuta 2027",
          "status_url": "https://apua.example/status?ref=K7M4-2Q9X", "municipality": "Raisio",
          "case_url": "https://routing.example/cases/1", "call_day": "ti 8.12.", "call_from": "16", "call_to": "17",
          "to": "you",
          # A referral's mail to the receiving service (services/notify/referrals.py).
          "service": "Perheneuvola", "referral_url": "https://routing.example/referral/abc", "expires_at": "5.1. 10.00"}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_renders_completely(name: str, lang: str) -> None:
    message = render(name, lang, **VALUES)
    assert message.subject and "{" not in message.subject
    assert "K7M4-2Q9X" in message.subject + message.text
    assert "{{" not in message.text and "{%" not in message.html
    assert f'<html lang="{lang}">' in message.html


def test_languages_differ_and_a_missing_value_is_an_error() -> None:
    texts = {render("request_receipt", lang, **VALUES).text for lang in ("fi", "sv", "en")}
    assert len(texts) == 3
    with pytest.raises(UndefinedError):
        render("request_receipt", "fi", reference="x")


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_services_referral_mail_has_its_link_and_nothing_of_the_family(lang: str) -> None:
    message = render("referral_sent", lang, **VALUES)
    assert VALUES["referral_url"] in message.text and VALUES["expires_at"] in message.text
    assert "Raisio" not in message.text + message.subject  # not even where the family lives


def test_html_escapes_values() -> None:
    assert "&lt;b&gt;" in render("staff_new_case", "fi", **{**VALUES, "municipality": "<b>"}).html


@pytest.mark.parametrize(("lang", "to_you", "to_team"), [
    ("fi", "ohjattu sinulle", "ohjattu tiimillenne"),
    ("sv", "har tilldelats dig", "har tilldelats ert team"),
    ("en", "assigned to you.", "assigned to your team."),
])
def test_an_assignment_speaks_to_the_person_or_to_the_team(lang: str, to_you: str, to_team: str) -> None:
    """A case assigned to one professional is "yours"; one assigned to a team goes to the team's mailbox."""
    personal = render("staff_assigned", lang, **VALUES)
    team = render("staff_assigned", lang, **{**VALUES, "to": "team"})
    assert to_you in personal.text and to_team not in personal.text
    assert to_team in team.text and to_you not in team.text
    assert personal.subject != team.subject


def test_the_status_link_carries_the_municipality() -> None:
    link = status_link("https://apua.example/status", reference="K7M4-2Q9X", municipality="parainen", lang="sv")
    parts = urlsplit(link)
    assert parts.path == "/status"
    assert parse_qs(parts.query) == {"ref": ["K7M4-2Q9X"], "m": ["parainen"], "lang": ["sv"]}
