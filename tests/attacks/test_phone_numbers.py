"""Issue 18 item 11 at intake: numbers the service must never text or call, sent through the JSON API and the form.

Receipts and answers went to ``+882…`` (an international network) and ``+1900…`` (premium-rate) numbers, and
``(((((`` became a text message to ``+``. Each number here is now refused with a 422 that names the field and
says why, nothing is stored, and a number that is taken is sealed in E.164, whatever way it was typed.
"""

from __future__ import annotations

import json
import re
import uuid
from html import unescape
from typing import Any

import asyncpg
import pytest

from services.intake.i18n import t
from shared.places import sealed_place
from shared.sealing import Keyring, Sealed, WrappedKey, unseal
from shared.topics import cases_topic
from tests.support import APPS, read_topic, request_body, running, settings_for

pytestmark = pytest.mark.integration
REGION = "varsinais-suomi"

# (what the family typed, how they asked to be answered, the form's message key)
ATTACKS = [
    ("+882 1348 0000", "sms", "err_phone_service_number"),  # an international network
    ("+88213480000", "phone", "err_phone_service_number"),
    ("+883 5100 0000 0000", "sms", "err_phone_service_number"),
    ("+1900 555 0123", "sms", "err_phone_service_number"),  # premium-rate, United States
    ("+1 900 555 0123", "phone", "err_phone_service_number"),
    ("+1 900", "sms", "err_phone_invalid"),
    ("(((((", "sms", "err_phone"),  # no digits at all: the model's own rule
    ("+", "phone", "err_phone"),
    ("09 123 4567", "sms", "err_phone_not_mobile"),  # a Helsinki landline cannot take a text message
    ("+358 2 123 4567", "sms", "err_phone_not_mobile"),
    ("+46 70 123 45 67", "sms", "err_phone_country"),  # a Swedish mobile where only Finland is allowed
    ("+46 70 123 45 67", "phone", "err_phone_country"),
    ("0700 123456", "phone", "err_phone_service_number"),  # a Finnish premium-rate number
    ("0700 123456", "sms", "err_phone_service_number"),
    ("0600 12345", "phone", "err_phone_service_number"),
]


async def stored_requests(dsn: str, prefix: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        found: int = await conn.fetchval(f'SELECT count(*) FROM "intake_{prefix}".requests')
        return found
    finally:
        await conn.close()


def field_error(page: str) -> str | None:
    found = re.search(r'<p class="field-error" id="phone-error">([^<]*)</p>', page)
    return unescape(found.group(1)) if found else None


async def test_numbers_never_texted_or_called_are_422_at_the_api_naming_contact_phone(postgres, kafka, prefix):
    app = APPS["intake"](settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap))
    async with running(app) as intake:
        for typed, method, _ in ATTACKS:
            body = request_body("raisio", contact={"method": method, "phone": typed})
            answer = await intake.post("/api/v1/requests", json=body)
            assert answer.status_code == 422, (typed, method, answer.text)
            fields = answer.json()["fields"]
            assert [f["field"] for f in fields] == ["contact.phone"], (typed, fields)
            problem = fields[0]["problem"]
            assert re.search(r"phone number|mobile|country|service number", problem), problem
            assert typed not in answer.text or typed in ("+",), (typed, answer.text)
        # An e-mail family who also gave a number: the number is checked all the same (staff may call it).
        body = request_body("raisio", contact={"method": "email", "email": "perhe@example.fi",
                                               "phone": "+1 900 555 0123"})
        assert (await intake.post("/api/v1/requests", json=body)).status_code == 422
    assert await stored_requests(postgres.dsn, prefix) == 0


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
async def test_the_form_says_why_next_to_the_number_in_the_page_language(postgres, kafka, prefix, lang):
    app = APPS["intake"](settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap))
    async with running(app) as intake:
        for typed, method, key in ATTACKS:
            form = {"submission_id": str(uuid.uuid4()), "lang": lang, "requester_role": "parent",
                    "message": "Apua", "contact_method": method, "phone": typed, "consent": "yes"}
            page = await intake.post("/m/raisio", data=form)
            assert page.status_code == 422, (typed, method)
            assert field_error(page.text) == t(key, lang, codes="+358"), (typed, method, lang)
            assert 'aria-describedby="phone-error" aria-invalid="true"' in page.text
            assert 'href="#phone"' in page.text  # the summary at the top leads to the field
    assert await stored_requests(postgres.dsn, prefix) == 0


async def sealed_contacts(bootstrap: str, prefix: str, dsn: str, keyring: Keyring,
                          expected: int) -> dict[str, dict[str, Any]]:
    """Each request's contact details as sealed on the stream, opened with intake's keys, by case id."""
    records = await read_topic(bootstrap, cases_topic(prefix, REGION), expected=expected)
    conn = await asyncpg.connect(dsn)
    try:
        keys = {str(r["case_id"]): WrappedKey(**dict(r), region=REGION) for r in await conn.fetch(
            f'SELECT case_id, kek_id, nonce, wrapped FROM "intake_{prefix}".case_keys')}
    finally:
        await conn.close()
    found = {}
    for record in records:
        event = json.loads(record.value)
        if event["type"] != "request.submitted":
            continue
        key = keyring.unwrap(keys[event["case_id"]])
        personal = unseal(key, uuid.UUID(event["case_id"]), Sealed.model_validate(event["payload"]["personal"]),
                          sealed_place("request.submitted"))
        assert isinstance(personal, dict)
        found[event["case_id"]] = personal["contact"]
    return found


async def test_a_number_that_is_taken_is_kept_in_e164(postgres, kafka, prefix):
    """A mobile for texts, a landline for a call: taken, and sealed as +358…, however they were typed."""
    app = APPS["intake"](settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap))
    taken = {("040-765 43 21", "sms"): "+358407654321", ("(02) 123 4567", "phone"): "+35821234567",
             ("00358 50 123 4567", "sms"): "+358501234567"}
    cases = {}
    async with running(app) as intake:
        for (typed, method), e164 in taken.items():
            answer = await intake.post("/api/v1/requests", json=request_body(
                "raisio", contact={"method": method, "phone": typed}))
            assert answer.status_code == 201, answer.text
            cases[answer.json()["case_id"]] = e164
        form = {"submission_id": str(uuid.uuid4()), "lang": "sv", "requester_role": "parent", "message": "Hjälp",
                "contact_method": "sms", "phone": "044 987 6543", "consent": "yes"}
        assert (await intake.post("/m/raisio", data=form)).status_code == 201
        contacts = await sealed_contacts(kafka.bootstrap, prefix, postgres.dsn, app.state.runtime.settings.keyring,
                                         expected=4)
    assert {case: contacts[case]["phone"] for case in cases} == cases
    assert sorted(c["phone"] for c in contacts.values()) == sorted([*cases.values(), "+358449876543"])
