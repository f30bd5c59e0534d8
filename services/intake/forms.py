"""The family's HTML forms, read into the JSON API's own models, so that each rule is checked in one place.

A form arrives as strings, a missing field as an empty one (FastAPI's form models below); the parsers
turn it into the model the API validates, and the model's errors into each field's message in the
page's language.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from services.intake.i18n import t
from services.intake.models import (
    MAX_COMMENT,
    FamilyMessage,
    FeedbackAnswer,
    NewRequest,
    WrittenMessage,
    contact_phone,
    windows_outside,
)
from shared.callbacks import DEFAULT_BANDS
from shared.phones import PhoneRefused, calling_codes
from shared.regions import ContactPolicy
from shared.text import forbidden_character, is_control_character_error

FIELD_ERROR_KEYS = {"requester_role": "err_requester_role", "message": "err_message", "phone": "err_phone",
                    "email": "err_email", "contact_method": "err_contact_method", "consent": "err_consent",
                    "website": "err_honeypot", "call_windows": "err_call_windows"}
# The request form's fields that are shown again with its errors (the honeypot and the language are not).
SHOWN = ("submission_id", "requester_role", "topic", "child_age_group", "message", "contact_method", "name",
         "phone", "email", "call_times", "call_windows", "consent")


class RequestForm(BaseModel):
    """The request form as the browser posts it."""

    submission_id: str = ""
    lang: str = ""
    requester_role: str = ""
    topic: str = ""
    child_age_group: str = ""
    message: str = ""
    contact_method: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    call_times: str = ""
    call_windows: list[str] = []  # a checkbox per window: the browser sends each one ticked
    consent: str = ""
    website: str = ""

    def values(self) -> dict[str, Any]:
        """The fields to show again; a form without a submission id is given one (a retry then sends it)."""
        values = {name: getattr(self, name) for name in SHOWN}
        if not values["submission_id"]:
            values["submission_id"] = str(uuid.uuid4())
        return values


def parse_request(values: dict[str, Any], *, municipality_id: str, lang: str, website: str,
                  bands: Sequence[tuple[int, int]] = DEFAULT_BANDS,
                  contact: ContactPolicy | None = None) -> tuple[NewRequest | None, dict[str, str]]:
    """The API's request from the form's ``values``, or each field's error in ``lang`` (consent is the form's own).

    ``bands`` are the region's, the only call windows its form offers; ``contact`` its rule for numbers.
    """
    errors: dict[str, str] = {}
    if values["consent"] != "yes":
        errors["consent"] = t("err_consent", lang)
    try:
        body = NewRequest.model_validate(_request_body(values, municipality_id, lang, website))
    except ValidationError as exc:
        return None, {**_request_errors(exc, lang), **errors}
    if windows_outside(body.contact.call_windows, bands):
        errors["call_windows"] = t("err_call_windows", lang)
    phone_error = _phone_error(body, contact or ContactPolicy(), lang)
    if phone_error:
        errors["phone"] = phone_error
    return (None if errors else body), errors


def _phone_error(body: NewRequest, policy: ContactPolicy, lang: str) -> str | None:
    """Why the region will not text or call the number, in ``lang``; None when it will (or none was given)."""
    try:
        contact_phone(body.contact, policy.countries)
    except PhoneRefused as exc:
        return t(f"err_phone_{exc.problem}", lang, codes=calling_codes(policy.countries))
    return None


def _request_body(values: dict[str, Any], municipality_id: str, lang: str, honeypot: str) -> dict[str, Any]:
    method = values["contact_method"] or None
    contact: dict[str, Any] = {"method": method}
    if method != "anonymous":
        for name in ("name", "phone", "email", "call_times"):
            if values[name].strip():
                contact[name] = values[name]
    # Windows ticked before the family chose another way of answering are not sent (the page keeps them).
    if method in ("phone", "sms") and values["call_windows"]:
        contact["call_windows"] = list(values["call_windows"])
    return {"submission_id": values["submission_id"], "municipality": municipality_id, "language": lang,
            "requester_role": values["requester_role"] or None, "topic": values["topic"] or None,
            "child_age_group": values["child_age_group"] or None, "message": values["message"],
            "contact": contact, "website": honeypot or None}


def _request_errors(exc: ValidationError, lang: str) -> dict[str, str]:
    """The model's errors by the form's fields: the contact's rules name the field the family must fix."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        field = loc[-1] if loc else "message"
        if loc[:1] == ["contact"]:
            field = loc[1] if len(loc) > 1 and loc[1] != "method" else "contact_method"
            # Only the contact's own rules (on the whole contact) are told apart by their words: a method that
            # is missing or unknown is a field error whose words list the methods, "anonymous" among them.
            text = str(error.get("msg", "")) if len(loc) == 1 else ""
            if "phone number" in text:
                field = "phone"
            elif "e-mail" in text:
                field = "email"
            elif "anonymous" in text:
                errors["contact_method"] = t("err_anonymous", lang)
                continue
        key = "err_control_chars" if is_control_character_error(error) else FIELD_ERROR_KEYS.get(field, "err_invalid")
        errors.setdefault(field, t(key, lang))
    return errors


class SignInForm(BaseModel):
    """The status page's sign-in: reference and pick-up code.

    Not the API's StatusQuery: a code of the wrong length is a wrong code here, counted like any other.
    """

    reference: str = ""
    pickup_code: str = ""
    lang: str = ""
    m: str = ""  # the municipality the page was opened for, kept if the sign-in fails


class ReceiptForm(BaseModel):
    """The receipt's language choice: the reference and the code it shows, and the language asked for."""

    reference: str = ""
    pickup_code: str = ""
    lang: str = ""


class FamilyForm(BaseModel):
    """What every form of a signed-in family carries: the session's CSRF token and the page's language."""

    csrf: str = ""
    lang: str = ""


class MessageForm(FamilyForm):
    message_id: str = ""
    message: str = ""


class _PageMessage(FamilyMessage):
    # The page has always refused a message of blanks only, as the request form does; the API accepts one.
    message: WrittenMessage


def parse_message(form: MessageForm, lang: str) -> tuple[FamilyMessage | None, dict[str, str]]:
    """The API's message from the form, or the message field's error in ``lang``."""
    try:
        message_id = uuid.UUID(form.message_id)
    except ValueError:
        message_id = uuid.uuid4()  # a page without a usable id still sends, once
    try:
        return _PageMessage(message_id=message_id, message=form.message), {}
    except ValidationError as exc:
        if any(is_control_character_error(e) for e in exc.errors()):
            return None, {"message": t("err_control_chars", lang)}
        return None, {"message": t("err_message", lang)}


class FeedbackForm(FamilyForm):
    score: str = ""
    comment: str = ""


def parse_feedback(form: FeedbackForm, lang: str) -> tuple[FeedbackAnswer | None, dict[str, str]]:
    """The API's answer from the form (a longer comment is cut), or each field's error in ``lang``."""
    try:
        answer = FeedbackAnswer.model_validate({"score": form.score,
                                                "comment": form.comment[:MAX_COMMENT].strip() or None})
        return answer, {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            if error["loc"][:1] == ("comment",):
                errors["comment"] = (t("err_control_chars", lang) if is_control_character_error(error)
                                     else t("err_invalid", lang))
            else:
                errors["score"] = t("err_required", lang)
        return None, errors


def control_character_errors(fields: dict[str, str], lang: str, *, multiline: Sequence[str] = ()
                             ) -> dict[str, str]:
    """For a form not read into a model of the API: each field holding a character text may not, with its error
    in ``lang`` (the rule of :mod:`shared.text`; the fields in ``multiline`` may hold line breaks)."""
    return {name: t("err_control_chars", lang) for name, value in fields.items()
            if forbidden_character(value, multiline=name in multiline) is not None}


class AccessibilityForm(BaseModel):
    """Feedback on the pages' accessibility; ``m`` is the municipality whose form linked here, if any."""

    m: str = ""
    lang: str = ""
    feedback: str = ""
    contact: str = ""
