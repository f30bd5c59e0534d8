"""What intake accepts from a family."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.intake.models import NewRequest
from services.intake.service import REFERENCE_ALPHABET, new_reference
from tests.support import request_body


def test_valid_request() -> None:
    request = NewRequest.model_validate(request_body())
    assert request.contact.method == "phone"


@pytest.mark.parametrize("contact,problem", [
    ({"method": "sms"}, "phone number"),
    ({"method": "email", "email": "not-an-address"}, "email"),
    ({"method": "anonymous", "phone": "040 1234567"}, "anonymous"),
    ({"method": "carrier pigeon"}, "method"),
])
def test_contact_must_fit_method(contact: dict, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        NewRequest.model_validate(request_body(contact=contact))


def test_message_limits() -> None:
    NewRequest.model_validate(request_body(message="ä" * 4000))
    for bad in ("", "   \n", "x" * 4001):
        with pytest.raises(ValidationError, match="message"):
            NewRequest.model_validate(request_body(message=bad))


def test_markup_is_kept_as_typed() -> None:
    text = "<script>alert(1)</script> & <b>apua</b>"
    assert NewRequest.model_validate(request_body(message=text)).message == text


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="surprise"):
        NewRequest.model_validate(request_body(surprise=1))


def test_reference_is_readable_aloud() -> None:
    refs = {new_reference() for _ in range(200)}
    assert len(refs) == 200
    assert all(len(r) == 9 and r[4] == "-" and set(r.replace("-", "")) <= set(REFERENCE_ALPHABET) for r in refs)
