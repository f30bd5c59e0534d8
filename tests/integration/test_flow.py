"""One request from the button to routing's queue, notify's due list and reporting's count."""

from __future__ import annotations

import uuid

import httpx
import pytest

from services.reporting.privacy import SUPPRESSED
from shared.topics import cases_topic
from tests.integration.test_reporting import signed_in_reporting
from tests.support import APPS, eventually, read_topic, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration


async def test_request_reaches_queue_notify_and_stats(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {name: APPS[name](settings_for(name, **env)) for name in APPS}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, \
            running(apps["notify"]) as notify, running(apps["reporting"]) as reporting:
        await staff(routing, apps["routing"])
        manager = httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["routing"]), base_url="http://testserver")
        await signed_in_reporting(manager, reporting, apps["routing"])
        await manager.aclose()
        created = []
        for i in range(5):
            body = request_body("naantali", contact={"method": "anonymous"} if i else
                                {"method": "email", "email": "vanhempi@example.fi"})
            response = await intake.post("/api/v1/requests", json=body)
            assert response.status_code == 201, response.text
            created.append(response.json())
        assert created[0]["region"] == "varsinais-suomi"
        assert created[0]["deadline_business_days"] == 1

        async def queue() -> list[dict] | None:
            cases = (await routing.get("/api/v1/cases", params={"municipality": "naantali"})).json()
            return cases if len(cases) == 5 else None

        cases = await eventually(queue, what="five cases in routing's queue")
        assert {c["case_id"] for c in cases} == {c["case_id"] for c in created}
        assert [c["due_at"] for c in cases] == sorted(c["due_at"] for c in cases)
        assert all("message" not in c and "personal" not in c for c in cases)

        async def stats() -> dict | None:
            body = (await reporting.get("/api/v1/tables/by_municipality", params={"lang": "en"})).json()
            naantali = next(row for row in body["rows"] if row[0] == "Naantali")
            return body if isinstance(naantali[2], int) else None

        counted = await eventually(stats, what="reporting to count five requests")
        published = {row[0]: row[2] for row in counted["rows"]}
        assert 5 <= published.pop("Naantali") <= 7  # five, with the fixed offset of at most +2 (never under 5)
        assert set(published.values()) == {SUPPRESSED}

        async def due() -> list[dict] | None:
            rows = (await notify.get("/api/v1/notifications")).json()
            family = [r for r in rows if r["recipient"] == "family"]
            return family if family and len(rows) == 6 else None  # and one word to the coordinators each

        receipts = await eventually(due, what="notify to record the e-mail receipt as due")
        assert [(r["case_id"], r["channel"], r["template"]) for r in receipts] == [
            (created[0]["case_id"], "email", "request_receipt")]

        for client in (intake, routing, notify, reporting):
            assert (await client.get("/healthz")).json()["status"] == "alive"
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
        lag = (await routing.get("/readyz")).json()["consumer"]["lag"]
        assert lag == 0


async def test_sealed_personal_data_never_in_plain_text_on_kafka(postgres, kafka, prefix):
    app = APPS["intake"](settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap))
    marker = f"SALAINEN-{uuid.uuid4().hex}"
    async with running(app) as intake:
        body = request_body("turku", message=f"Viesti jossa {marker}",
                            contact={"method": "phone", "name": f"Nimi {marker}", "phone": "+358 40 111 2222"})
        assert (await intake.post("/api/v1/requests", json=body)).status_code == 201
        records = await read_topic(kafka.bootstrap, cases_topic(prefix, "varsinais-suomi"), expected=1)
    assert len(records) == 1
    raw = records[0].value
    assert b'"request.submitted"' in raw
    for secret in (marker.encode(), b"+358 40 111 2222", b"Viesti"):
        assert secret not in raw
