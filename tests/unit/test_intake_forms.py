"""The family's forms are read into the JSON API's own models, with each field's error in the page's language."""

from __future__ import annotations

import uuid

import pytest

from services.intake.forms import (
    FeedbackForm,
    MessageForm,
    RequestForm,
    parse_feedback,
    parse_message,
    parse_request,
)
from services.intake.i18n import t
from services.intake.models import NewRequest


def form(**fields: str) -> RequestForm:
    return RequestForm(**{"submission_id": str(uuid.uuid4()), "requester_role": "parent", "message": "Apua",
                          "contact_method": "anonymous", "consent": "yes", **fields})


def test_a_filled_form_is_the_request_the_api_takes() -> None:
    values = form(contact_method="phone", phone="040 123 4567", name="  ", topic="child_emotions").values()
    body, errors = parse_request(values, municipality_id="raisio", lang="sv", website="")
    assert errors == {}
    assert body == NewRequest.model_validate({
        "submission_id": values["submission_id"], "municipality": "raisio", "language": "sv",
        "requester_role": "parent", "topic": "child_emotions", "message": "Apua",
        "contact": {"method": "phone", "phone": "040 123 4567"}})


def test_a_form_without_a_submission_id_is_given_one() -> None:
    values = RequestForm().values()
    assert uuid.UUID(values["submission_id"])
    assert values["submission_id"] != RequestForm().values()["submission_id"]


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_each_field_has_its_error_in_the_page_language(lang: str) -> None:
    values = form(requester_role="", message="   ", contact_method="sms", consent="").values()
    body, errors = parse_request(values, municipality_id="raisio", lang=lang, website="")
    assert body is None
    assert errors == {"requester_role": t("err_requester_role", lang), "message": t("err_message", lang),
                      "phone": t("err_phone", lang), "consent": t("err_consent", lang)}


def test_contact_details_of_an_anonymous_request_name_the_method() -> None:
    values = form(email="someone@example.fi").values()
    # The form drops an anonymous family's details; the honeypot is what the model refuses.
    assert parse_request(values, municipality_id="raisio", lang="en", website="")[1] == {}
    assert parse_request(values, municipality_id="raisio", lang="en", website="http://spam")[1] == {
        "website": t("err_honeypot", "en")}

@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_no_way_of_answering_chosen_asks_for_one(lang: str) -> None:
    # The method's own error lists the methods, "anonymous" among them: it is not the anonymous rule's error.
    for method in ("", "pigeon"):
        body, errors = parse_request(form(contact_method=method).values(), municipality_id="raisio", lang=lang,
                                     website="")
        assert body is None and errors == {"contact_method": t("err_contact_method", lang)}


def test_a_message_of_blanks_is_refused_on_the_page() -> None:
    message_id = str(uuid.uuid4())
    parsed, errors = parse_message(MessageForm(message_id=message_id, message="Lisäys"), "fi")
    assert errors == {} and parsed is not None and str(parsed.message_id) == message_id
    assert parse_message(MessageForm(message="  \n "), "sv") == (None, {"message": t("err_message", "sv")})
    assert parse_message(MessageForm(message="x" * 4001), "en") == (None, {"message": t("err_message", "en")})
    kept, _ = parse_message(MessageForm(message_id="not a uuid", message="Lisäys"), "fi")
    assert kept is not None and isinstance(kept.message_id, uuid.UUID)


def test_feedback_needs_a_score_and_cuts_a_long_comment() -> None:
    answer, errors = parse_feedback(FeedbackForm(score="4", comment=" " + "k" * 1200), "fi")
    assert errors == {} and answer is not None
    assert answer.score == 4 and answer.comment == "k" * 999
    assert parse_feedback(FeedbackForm(score="", comment=" "), "en") == (None, {"score": t("err_required", "en")})
    assert parse_feedback(FeedbackForm(score="6"), "fi")[0] is None
    blank, _ = parse_feedback(FeedbackForm(score="2", comment="   "), "fi")
    assert blank is not None and blank.comment is None
