"""What a family and a caller read about a call, in Finnish, Swedish and English: the time and the reference only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notify.messages import render
from services.notify.when import call_values

REFERENCE = "K7M4-2Q9X"
VALUES = {"reference": REFERENCE, "answer_due": "tiistai 8. joulukuuta 2026",
          "status_url": f"https://apua.example/status?ref={REFERENCE}&lang=fi", "municipality": "Raisio",
          "case_url": "https://routing.example/cases/1"}
# Tuesday 8 December 2026, 16–17 in Helsinki (UTC+2 in winter).
STARTS, ENDS = datetime(2026, 12, 8, 14, 0, tzinfo=UTC), datetime(2026, 12, 8, 15, 0, tzinfo=UTC)


def text(template: str, lang: str, starts: datetime = STARTS, ends: datetime = ENDS) -> str:
    return render(template, lang, **VALUES, **call_values(starts, ends, lang)).text.strip()


@pytest.mark.parametrize(("lang", "expected"), [
    ("fi", "Soitamme teille ti 8.12. klo 16–17 (K7M4-2Q9X)"),
    ("sv", "Vi ringer er tis 8.12 kl. 16–17 (K7M4-2Q9X)"),
    ("en", "We will call you on Tue 8 Dec between 16 and 17 (K7M4-2Q9X)"),
])
def test_a_scheduled_call_is_its_time_and_the_reference(lang: str, expected: str) -> None:
    assert text("callback_scheduled", lang) == expected


@pytest.mark.parametrize(("lang", "expected"), [
    ("fi", "Soittoaika muuttui: soitamme teille ti 8.12. klo 16–17 (K7M4-2Q9X)"),
    ("sv", "Samtalet har flyttats: vi ringer er tis 8.12 kl. 16–17 (K7M4-2Q9X)"),
    ("en", "The call moved to Tue 8 Dec between 16 and 17 (K7M4-2Q9X)"),
])
def test_a_moved_call_says_so(lang: str, expected: str) -> None:
    assert text("callback_changed", lang) == expected


@pytest.mark.parametrize(("lang", "expected"), [
    ("fi", "Soitto ti 8.12. klo 16–17 on peruttu (K7M4-2Q9X)"),
    ("sv", "Samtalet tis 8.12 kl. 16–17 är inställt (K7M4-2Q9X)"),
    ("en", "The call on Tue 8 Dec between 16 and 17 is cancelled (K7M4-2Q9X)"),
])
def test_a_cancelled_call_names_the_time_that_no_longer_holds(lang: str, expected: str) -> None:
    assert text("callback_cancelled", lang) == expected


@pytest.mark.parametrize(("lang", "words"), [
    ("fi", "Yritimme tavoittaa teitä asiassa K7M4-2Q9X. Kirjoittakaa uudelleen tai lukekaa vastaus tilasivulta:"),
    ("sv", "Vi försökte nå er i ärendet K7M4-2Q9X. Skriv igen eller läs svaret på statussidan:"),
    ("en", "We tried to reach you about K7M4-2Q9X. Write again or read the answer on the status page:"),
])
def test_the_not_reached_notice_points_to_the_status_page(lang: str, words: str) -> None:
    assert text("not_reached_notice", lang) == f"{words} {VALUES['status_url']}"


@pytest.mark.parametrize(("lang", "subject", "line"), [
    ("fi", "Muistutus: soitto klo 16–17 (K7M4-2Q9X)",
     "Yhteydenotossa K7M4-2Q9X (Raisio) on sovittu soitto perheelle ti 8.12. klo 16–17."),
    ("sv", "Påminnelse: samtal kl. 16–17 (K7M4-2Q9X)",
     "Ett samtal till familjen i kontakten K7M4-2Q9X (Raisio) är inbokat tis 8.12 kl. 16–17."),
    ("en", "Reminder: call at 16–17 (K7M4-2Q9X)",
     "A call to the family on request K7M4-2Q9X (Raisio) is scheduled for Tue 8 Dec between 16 and 17."),
])
def test_the_callers_reminder_has_the_window_and_the_case_link(lang: str, subject: str, line: str) -> None:
    message = render("callback_reminder", lang, **VALUES, **call_values(STARTS, ENDS, lang))
    assert message.subject == subject
    assert message.text.splitlines() == [line, VALUES["case_url"]]


def test_minutes_and_summer_time() -> None:
    # Thursday 4 June 2026, 8.30–12 in Helsinki (UTC+3 in summer).
    starts, ends = datetime(2026, 6, 4, 5, 30, tzinfo=UTC), datetime(2026, 6, 4, 9, 0, tzinfo=UTC)
    assert call_values(starts, ends, "fi") == {"call_day": "to 4.6.", "call_from": "8.30", "call_to": "12"}
    assert call_values(starts, ends, "sv") == {"call_day": "tors 4.6", "call_from": "8.30", "call_to": "12"}
    assert call_values(starts, ends, "en") == {"call_day": "Thu 4 Jun", "call_from": "8:30", "call_to": "12"}


def test_a_message_about_no_call_has_no_call_values() -> None:
    assert call_values(None, None, "fi") == {"call_day": "", "call_from": "", "call_to": ""}
