"""Bad input gets a clear error naming what was wrong, and never reaches Kafka."""

from __future__ import annotations

import pytest

from tests.support import APPS, request_body, running, settings_for

pytestmark = pytest.mark.integration


@pytest.fixture
async def intake(postgres, kafka, prefix):
    app = APPS["intake"](settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap))
    async with running(app) as client:
        client.app_runtime = app.state.runtime
        yield client


async def stored(client) -> tuple[int, int]:
    pool = client.app_runtime.pool
    return await pool.fetchval("SELECT count(*) FROM requests"), await pool.fetchval("SELECT count(*) FROM outbox")


async def test_missing_and_too_long_fields_are_named(intake):
    body = request_body(message="x" * 4001)
    del body["requester_role"]
    response = await intake.post("/api/v1/requests", json=body)
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["fields"]}
    assert fields == {"message", "requester_role"}
    assert "message" in response.json()["detail"]


async def test_contact_details_must_fit_the_method(intake):
    response = await intake.post("/api/v1/requests", json=request_body(contact={"method": "phone"}))
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "contact"
    assert "phone number" in response.json()["fields"][0]["problem"]


async def test_malformed_json_is_422(intake):
    response = await intake.post("/api/v1/requests", content=b'{"municipality": "raisio",',
                                 headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["fields"] == [{"field": "body", "problem": "the body is not valid JSON"}]


async def test_a_body_that_is_not_utf8_is_the_same_422(intake):
    # Found by the OpenAPI fuzzer: FastAPI answered 400 with a shape of its own.
    response = await intake.post("/api/v1/requests", content=b'{"municipality": "\xff"}',
                                 headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["fields"] == [{"field": "body", "problem": "the body is not valid JSON"}]


async def test_a_nul_character_is_a_422_not_a_database_error(intake):
    # Found by the OpenAPI fuzzer: PostgreSQL refuses text with NUL, and the refusal was a 500. Now the model
    # refuses it (shared/text.py) before anything is looked up, naming the field.
    response = await intake.post("/api/v1/status", json={"reference": "AB\u0000CD", "pickup_code": "x" * 10})
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_failed"
    assert [f["field"] for f in response.json()["fields"]] == ["reference"]


async def test_body_over_64_kib_is_413(intake):
    body = request_body(message="a" * (65 * 1024))
    response = await intake.post("/api/v1/requests", json=body)
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


async def test_body_over_64_kib_without_content_length_is_413(intake):
    async def chunks():
        for _ in range(70):
            yield b"x" * 1024

    response = await intake.post("/api/v1/requests", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


async def test_unknown_municipality_is_404_naming_it(intake):
    response = await intake.post("/api/v1/requests", json=request_body("atlantis"))
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "unknown municipality 'atlantis'",
                                "municipality": "atlantis"}


async def test_bad_input_never_reaches_the_outbox(intake):
    for bad in (request_body("atlantis"), request_body(message=""), {"municipality": "raisio"}):
        assert (await intake.post("/api/v1/requests", json=bad)).status_code in (404, 422)
    assert await stored(intake) == (0, 0)


async def test_same_submission_twice_is_one_case(intake):
    body = request_body("rusko")
    first = await intake.post("/api/v1/requests", json=body)
    again = await intake.post("/api/v1/requests", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["pickup_code"] and again.json()["pickup_code"] is None  # the code is shown once
    assert {**first.json(), "pickup_code": None} == again.json()
    assert (await stored(intake))[0] == 1


async def test_same_submission_at_once_is_one_case(intake):
    import asyncio

    body = request_body("rusko")
    responses = await asyncio.gather(*(intake.post("/api/v1/requests", json=body) for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["case_id"] for r in responses}) == 1
    assert (await stored(intake))[0] == 1
