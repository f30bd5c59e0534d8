"""Call windows on the family's form and in the API: checked, once each, in the week's order, only with a phone;
the status page's sentence of a scheduled call in each language."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from services.intake.forms import RequestForm, parse_request
from services.intake.i18n import t
from services.intake.models import MAX_CALL_WINDOWS, NewRequest, windows_outside
from services.intake.queries import StatusView, TimelineItem
from services.intake.status_pages import _callback
from shared.callbacks import DEFAULT_BANDS, window_values
from tests.support import request_body

PHONE = {"method": "phone", "phone": "+358 40 765 4321"}


def with_windows(windows: object, **contact: object) -> dict[str, object]:
    return request_body(contact={**PHONE, **contact, "call_windows": windows})


def test_windows_are_kept_once_in_the_weeks_order() -> None:
    request = NewRequest.model_validate(with_windows(["thu-8-12", "tue-16-18", " tue-16-18", "mon-12-16"]))
    assert request.contact.call_windows == ["mon-12-16", "tue-16-18", "thu-8-12"]
    # Sealed with the other contact details: the dump that goes into the sealed payload carries them.
    assert request.contact.model_dump(exclude_none=True)["call_windows"] == ["mon-12-16", "tue-16-18", "thu-8-12"]


def test_no_windows_leave_the_sealed_contact_as_it_was() -> None:
    for empty in ([], None):
        contact = NewRequest.model_validate(with_windows(empty)).contact
        assert "call_windows" not in contact.model_dump(exclude_none=True)
    assert NewRequest.model_validate(with_windows(["fri-8-12"], method="sms")).contact.call_windows == ["fri-8-12"]


@pytest.mark.parametrize("bad", [["sat-8-12"], ["tue-16"], ["tue-18-16"], ["tue-5-6"], ["TUE-16-18"], ["x" * 21],
                                 "tue-16-18", [16]])
def test_a_bad_window_is_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        NewRequest.model_validate(with_windows(bad))
    assert {tuple(e["loc"][:2]) for e in caught.value.errors()} == {("contact", "call_windows")}


def test_at_most_fifteen_windows_after_duplicates_go() -> None:
    fifteen = window_values(DEFAULT_BANDS)
    assert len(fifteen) == MAX_CALL_WINDOWS
    assert NewRequest.model_validate(with_windows(fifteen + fifteen[:3])).contact.call_windows == fifteen
    sixteen = [f"mon-{h}-{h + 1}" for h in range(7, 20)] + ["tue-7-8", "tue-8-9", "tue-9-10"]
    with pytest.raises(ValidationError, match="at most 15"):
        NewRequest.model_validate(with_windows(sixteen))


@pytest.mark.parametrize("contact", [{"method": "email", "email": "perhe@example.fi"}, {"method": "anonymous"}])
def test_windows_go_only_with_a_phone_or_a_text_message(contact: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as caught:
        NewRequest.model_validate(request_body(contact={**contact, "call_windows": ["tue-16-18"]}))
    assert [e["loc"] for e in caught.value.errors()] == [("contact", "call_windows")]


def test_the_regions_bands_decide_what_is_offered() -> None:
    assert windows_outside(["tue-16-18", "mon-8-10"], DEFAULT_BANDS) == ["mon-8-10"]
    assert windows_outside(["mon-8-10"], [(8, 10), (10, 12)]) == []
    assert windows_outside(None, DEFAULT_BANDS) == []


def form(**fields: object) -> dict[str, object]:
    return RequestForm(**{"submission_id": str(uuid.uuid4()), "requester_role": "parent", "message": "Apua",
                          "consent": "yes", **fields}).values()


def test_the_forms_windows_reach_the_request_and_are_shown_again() -> None:
    values = form(contact_method="phone", phone="040 123 4567", call_windows=["wed-12-16", "mon-8-12"])
    body, errors = parse_request(values, municipality_id="raisio", lang="sv", website="")
    assert errors == {} and body is not None
    assert body.contact.call_windows == ["mon-8-12", "wed-12-16"]
    assert values["call_windows"] == ["wed-12-16", "mon-8-12"]  # as ticked, for the page shown again


def test_windows_ticked_before_choosing_e_mail_are_not_sent() -> None:
    values = form(contact_method="email", email="perhe@example.fi", call_windows=["mon-8-12"])
    body, errors = parse_request(values, municipality_id="raisio", lang="fi", website="")
    assert errors == {} and body is not None and body.contact.call_windows is None
    assert values["call_windows"] == ["mon-8-12"]


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_a_window_the_region_does_not_offer_is_the_fields_error(lang: str) -> None:
    values = form(contact_method="phone", phone="040 123 4567", call_windows=["mon-8-12"])
    body, errors = parse_request(values, municipality_id="raisio", lang=lang, website="", bands=[(9, 11)])
    assert body is None and errors == {"call_windows": t("err_call_windows", lang)}
    values = form(contact_method="sms", phone="040 123 4567", call_windows=["sun-8-12"])
    assert parse_request(values, municipality_id="raisio", lang=lang, website="")[1] == {
        "call_windows": t("err_call_windows", lang)}


def view(callback: tuple[datetime, datetime] | None, closed: bool = False) -> StatusView:
    return StatusView(case_id=uuid.uuid4(), reference="K7M4-2Q9X", region="varsinais-suomi", municipality="raisio",
                      language="fi", answer_due=date(2026, 12, 9), closed=closed, feedback_given=False,
                      timeline=[TimelineItem(at=datetime(2026, 12, 7, 9, tzinfo=UTC), from_staff=True, text=None,
                                             notice="not_reached_notice")], callback=callback)


def test_the_status_page_says_when_the_call_comes_in_the_familys_language() -> None:
    window = (datetime(2026, 12, 8, 14, tzinfo=UTC), datetime(2026, 12, 8, 15, tzinfo=UTC))  # 16–17 in Helsinki
    assert _callback(view(window), "en") == "We will call you on Tue 8 Dec between 16 and 17."
    assert _callback(view(window), "fi") == "Soitamme sinulle ti 8.12. kello 16 ja 17 välillä."
    assert _callback(view(window), "sv") == "Vi ringer dig tis 8 dec. mellan klockan 16 och 17."
    half = (datetime(2026, 12, 8, 14, 30, tzinfo=UTC), datetime(2026, 12, 8, 15, tzinfo=UTC))
    assert _callback(view(half), "en") == "We will call you on Tue 8 Dec between 16:30 and 17."
    assert _callback(view(half), "fi") == "Soitamme sinulle ti 8.12. kello 16.30 ja 17 välillä."
    assert _callback(view(None), "fi") is None
    assert _callback(view(window, closed=True), "fi") is None


def test_a_notice_is_no_answer() -> None:
    assert not view(None).has_reply and not view(None).answered
