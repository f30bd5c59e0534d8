"""The password link message: in three languages, with the link and its expiry, about no case."""

from __future__ import annotations

import pytest

from services.notify.messages import render
from shared.notifications import MESSAGE_NAMES, NOT_OF_A_CASE


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_reset_message_carries_the_link_and_when_it_runs_out(lang: str) -> None:
    message = render("password_reset", lang, reset_url="https://routing.example/password/reset?token=abc",
                     expires_at="6.12.2026 18.30")
    assert "https://routing.example/password/reset?token=abc" in message.text
    assert "6.12.2026 18.30" in message.text and message.subject
    assert f'<html lang="{lang}">' in message.html


def test_account_messages_are_not_case_messages() -> None:
    assert not set(NOT_OF_A_CASE) & set(MESSAGE_NAMES)
