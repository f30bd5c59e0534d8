"""Every message template renders in Finnish, Swedish and English with nothing missing."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from jinja2 import UndefinedError

from services.notify.channels import normalise_phone
from services.notify.messages import NAMES, render
from services.notify.sender import status_link

VALUES = {"reference": "K7M4-2Q9X", "answer_due": "maanantai 27. joulukuuta 2027",
          "status_url": "https://apua.example/status?ref=K7M4-2Q9X", "municipality": "Raisio",
          "case_url": "https://routing.example/cases/1"}


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


def test_html_escapes_values() -> None:
    assert "&lt;b&gt;" in render("staff_new_case", "fi", **{**VALUES, "municipality": "<b>"}).html


def test_phone_numbers() -> None:
    assert normalise_phone("040 123 4567") == "+358401234567"
    assert normalise_phone("+46 (70) 123-45-67") == "+46701234567"
    assert normalise_phone("00358401234567") == "+358401234567"


def test_the_status_link_carries_the_municipality() -> None:
    link = status_link("https://apua.example/status", reference="K7M4-2Q9X", municipality="parainen", lang="sv")
    parts = urlsplit(link)
    assert parts.path == "/status"
    assert parse_qs(parts.query) == {"ref": ["K7M4-2Q9X"], "m": ["parainen"], "lang": ["sv"]}
