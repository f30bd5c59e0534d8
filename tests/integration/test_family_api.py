"""The family's API: the pick-up code opens the case, wrong codes never lock it, clients are rate-limited."""

from __future__ import annotations

import json
import uuid

import pytest

from shared.codec import encode
from shared.events import CaseClosed, CaseClosedPayload, new_event
from shared.topics import cases_topic
from tests.support import APPS, eventually, produce, read_topic, request_body, running, settings_for

pytestmark = pytest.mark.integration


@pytest.fixture
async def intake(postgres, kafka, prefix):
    settings = settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap, submit_limit=3,
                            status_limit=1000)
    async with running(APPS["intake"](settings)) as client:
        yield client


async def send(intake, **overrides):
    response = await intake.post("/api/v1/requests", json=request_body("raisio", **overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def test_status_with_code_shows_the_request_and_accepts_more(intake, kafka, prefix):
    receipt = await send(intake, message="Ensimmäinen <viesti> & kysymys", contact={"method": "anonymous"})
    credentials = {"reference": receipt["reference"], "pickup_code": receipt["pickup_code"].lower()}

    async def projected():
        body = (await intake.post("/api/v1/status", json=credentials)).json()
        return body if body["timeline"] else None

    status = await eventually(projected, what="the request on the status page")
    assert status["answer_due"] == receipt["answer_due"]
    assert status["timeline"][0] == {"at": status["timeline"][0]["at"], "author": "family",
                                     "text": "Ensimmäinen <viesti> & kysymys", "kind": "message"}
    assert status["callback"] is None
    message_id = str(uuid.uuid4())
    more = {**credentials, "message_id": message_id, "message": "Lisäys samaan asiaan"}
    assert (await intake.post("/api/v1/status/messages", json=more)).status_code == 201
    assert (await intake.post("/api/v1/status/messages", json=more)).status_code == 200  # a retry sends nothing

    async def two():
        body = (await intake.post("/api/v1/status", json=credentials)).json()
        return body if len(body["timeline"]) == 2 else None

    status = await eventually(two, what="the added message")
    assert status["timeline"][1]["text"] == "Lisäys samaan asiaan"
    records = await read_topic(kafka.bootstrap, cases_topic(prefix, "varsinais-suomi"), expected=2)
    kinds = [json.loads(r.value)["type"] for r in records]
    assert kinds == ["request.submitted", "family.message_added"]
    assert all(b"Lis\xc3\xa4ys" not in r.value for r in records)


async def test_feedback_once_the_case_is_closed(intake, kafka, prefix):
    receipt = await send(intake)
    credentials = {"reference": receipt["reference"], "pickup_code": receipt["pickup_code"]}
    early = await intake.post("/api/v1/status/feedback", json={**credentials, "score": 5})
    assert early.status_code == 409
    closed = new_event(CaseClosed, case_id=uuid.UUID(receipt["case_id"]), region="varsinais-suomi",
                       municipality="raisio", actor="staff:test", payload=CaseClosedPayload(outcome="guidance_enough"))
    await produce(kafka.bootstrap, cases_topic(prefix, "varsinais-suomi"),
                  [(receipt["case_id"].encode(), encode(closed))])

    async def is_closed():
        return (await intake.post("/api/v1/status", json=credentials)).json()["closed"]

    await eventually(is_closed, what="the case to show as closed")
    given = await intake.post("/api/v1/status/feedback", json={**credentials, "score": 5, "comment": "Nopeaa!"})
    assert given.status_code == 201
    again = await intake.post("/api/v1/status/feedback", json={**credentials, "score": 1})
    assert again.status_code == 409
    assert (await intake.post("/api/v1/status/messages", json={
        **credentials, "message_id": str(uuid.uuid4()), "message": "x"})).status_code == 409


async def test_wrong_codes_never_lock_the_reference_for_the_right_code(intake):
    receipt = await send(intake)
    wrong = {"reference": receipt["reference"], "pickup_code": "22222-22222-22222-22222"}
    for _ in range(6):  # the old lock came after five
        response = await intake.post("/api/v1/status", json=wrong)
        assert response.status_code == 401
        assert response.json()["error"] == "wrong_reference_or_code"
    right = {"reference": receipt["reference"], "pickup_code": receipt["pickup_code"]}
    opened = await intake.post("/api/v1/status", json=right)
    assert opened.status_code == 200 and opened.json()["reference"] == receipt["reference"]
    unknown = await intake.post("/api/v1/status", json={**wrong, "reference": "XXXX-XXXX"})
    assert unknown.status_code == 401 and unknown.json() == response.json()  # the same answer as a wrong code


async def test_per_client_rate_limit(intake):
    for _ in range(3):
        await send(intake)
    limited = await intake.post("/api/v1/requests", json=request_body())
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.json()["error"] == "too_many_requests"


async def test_honeypot_is_refused_by_name(intake):
    response = await intake.post("/api/v1/requests", json=request_body(website="http://spam.example"))
    assert response.status_code == 422
    assert response.json()["fields"] == [{"field": "website", "problem": "Value error, leave this field empty"}]


async def test_pages_name_an_unknown_municipality(intake):
    page = await intake.get("/m/atlantis?lang=sv", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "Kommunen “atlantis” finns inte" in page.text
    assert (await intake.get("/demo/atlantis", headers={"accept": "text/html"})).status_code == 404


async def test_form_post_without_javascript(intake):
    form = {"submission_id": str(uuid.uuid4()), "lang": "sv", "requester_role": "relative", "topic": "",
            "child_age_group": "3-6", "message": "<script>alert('x')</script> Hjälp", "contact_method": "email",
            "email": "mormor@example.fi", "consent": "yes", "website": ""}
    page = await intake.post("/m/parainen", data=form)
    assert page.status_code == 201
    assert 'lang="sv"' in page.text and "Tack, ditt meddelande har tagits emot" in page.text
    again = await intake.post("/m/parainen", data=form)
    assert again.status_code == 200 and 'id="pickup-code"' not in again.text
    invalid = await intake.post("/m/parainen", data={**form, "submission_id": str(uuid.uuid4()), "consent": "",
                                                     "message": "<b>kept</b>", "email": "nope"})
    assert invalid.status_code == 422
    assert "&lt;b&gt;kept&lt;/b&gt;</textarea>" in invalid.text
    assert 'id="email-error"' in invalid.text and 'id="consent-error"' in invalid.text
