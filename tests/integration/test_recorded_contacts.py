"""A contact recorded by staff on real Kafka and PostgreSQL: it reaches routing's queue, notify and reporting as a
new case of the region's stream, its key is on the key topic, and nothing the family said is plain on either topic."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.reporting.privacy import SUPPRESSED
from services.reporting.projection import projection as reporting_projection
from services.routing.projection import projection as routing_projection
from shared.businessdays import answer_due
from shared.rebuild import rebuild
from shared.topics import cases_topic, keys_topic
from tests.integration.test_reporting import signed_in_reporting
from tests.support import APPS, eventually, read_topic, running, settings_for, staff, table_rows

pytestmark = pytest.mark.integration
PHONE = "+358 40 555 1234"
PROJECTIONS = {"reporting": reporting_projection, "routing": routing_projection}


def contact(marker: str, **overrides: Any) -> dict[str, Any]:
    return {"recording_id": str(uuid.uuid4()), "channel": "phone", "municipality": "naantali",
            "requester_role": "parent", "language": "fi", "message": f"Isä soitti: {marker} ei nuku öisin.",
            "contact": {"method": "sms", "name": f"Nimi {marker}", "phone": PHONE}, "receipt": True, **overrides}


async def test_a_recorded_phone_contact_reaches_the_queue_notify_and_reporting(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {name: APPS[name](settings_for(name, **env)) for name in ("routing", "notify", "reporting")}
    marker = f"SALAINEN-{uuid.uuid4().hex}"
    async with running(apps["routing"]) as routing, running(apps["notify"]) as notify, \
            running(apps["reporting"]) as reporting:
        await staff(routing, apps["routing"])
        came = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
        body = contact(marker, contacted_at=came.isoformat())
        made = await routing.post("/api/v1/contacts", json=body)
        assert made.status_code == 201, made.text
        case = made.json()
        assert re.fullmatch(r"[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}", case["reference"])
        assert case["answer_due"] == answer_due(came, 1).isoformat()  # Varsinais-Suomi: the next business day
        again = await routing.post("/api/v1/contacts", json=body)  # a retried recording: the same case
        assert (again.status_code, again.json()) == (200, case)

        # The queue and the case page have it at once (the recording waits for the projection).
        queue = (await routing.get("/api/v1/cases", params={"municipality": "naantali"})).json()
        item, = [c for c in queue if c["case_id"] == case["case_id"]]
        assert (item["channel"], item["reference"], item["status"], item["contact_method"]) == (
            "phone", case["reference"], "new", "sms")
        assert datetime.fromisoformat(item["received_at"]) == came
        opened = (await routing.get(f"/api/v1/cases/{case['case_id']}")).json()
        assert opened["message"] == body["message"]
        assert opened["contact"]["phone"] == "+358405551234"  # PHONE, kept in E.164
        assert opened["timeline"][0]["type"] == "request.recorded"
        assert opened["timeline"][0]["data"]["recorded_by"] and "personal" not in opened["timeline"][0]["data"]
        # No status page for the family, so no written reply either.
        refused = await routing.post(f"/api/v1/cases/{case['case_id']}/commands", json={
            "command": "reply", "expected_version": opened["command_version"], "arguments": {"text": "Hei"}})
        assert refused.status_code == 422 and "status page" in refused.text

        # A professional's recording, answered in the visit itself, is theirs and answered.
        professional = httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["routing"]),
                                         base_url="http://testserver")
        await staff(professional, apps["routing"], role="professional", team="family-guidance")
        visit = await professional.post("/api/v1/contacts", json=contact(
            marker, channel="in_person", contact={"method": "anonymous"}, receipt=False, answered_in_contact=True))
        assert visit.status_code == 201, visit.text
        theirs = (await professional.get("/api/v1/cases")).json()
        assert [(c["case_id"], c["channel"], c["risk"], c["assignee_kind"]) for c in theirs] == [
            (visit.json()["case_id"], "in_person", "answered", "professional")]
        await professional.aclose()

        # Notify: word to the coordinators for each, a receipt by text message only where the worker chose one.
        async def due() -> list[dict[str, Any]] | None:
            rows = (await notify.get("/api/v1/notifications")).json()
            return rows if len([r for r in rows if r["template"] == "staff_new_case"]) == 2 else None

        rows = await eventually(due, what="notify to queue the new-case messages")
        family = [(r["case_id"], r["channel"], r["template"]) for r in rows if r["recipient"] == "family"]
        assert family == [(case["case_id"], "sms", "contact_receipt")]

        # Reporting: the facts by channel, and the table the pilot's figures show.
        runtime = apps["reporting"].state.runtime

        async def facts() -> list[dict[str, Any]] | None:
            found = await table_rows(postgres.dsn, runtime.projection_schema, "case_facts", "received_at")
            return found if len(found) == 2 else None

        kept = await eventually(facts, what="reporting to keep both contacts")
        assert sorted((f["channel"], f["first_response_kind"]) for f in kept) == [
            ("in_person", "in_contact"), ("phone", None)]
        assert next(f for f in kept if f["channel"] == "phone")["received_at"] == came
        manager = httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["routing"]), base_url="http://testserver")
        await signed_in_reporting(manager, reporting, apps["routing"])
        await manager.aclose()
        table = (await reporting.get("/api/v1/tables/by_channel", params={
            "region": "varsinais-suomi", "period": str(came.year), "lang": "en"})).json()
        assert [row[0] for row in table["rows"]] == [
            "The Ask for help! button", "By phone", "In person", "By letter"]
        assert {row[1] for row in table["rows"]} == {SUPPRESSED}  # two contacts: every count is small
        cells = await table_rows(postgres.dsn, runtime.projection_schema, "fact_cells", "value")
        assert sorted((c["value"], c["n"]) for c in cells if c["dim"] == "channel") == [("in_person", 1),
                                                                                      ("phone", 1)]

        # A rebuild from offset 0 gives the same facts and cells (notify's messages, still being sent, change
        # neither), and routing's own key of each case (from the key topic).
        for name, tables in (("reporting", ("case_facts", "fact_cells")), ("routing", ("case_keys",))):
            service = apps[name].state.runtime
            live = {t: sorted(map(repr, await table_rows(postgres.dsn, service.projection_schema, t, "1")))
                    for t in tables}
            proj = PROJECTIONS[name](service)
            result = await rebuild(dsn=postgres.dsn, service_schema=service.settings.db_schema,
                                   projection_schema=service.projection_schema, bootstrap=kafka.bootstrap,
                                   topics=service.projection_topics(proj), projection=proj)
            assert result.swapped
            assert {t: sorted(map(repr, await table_rows(postgres.dsn, service.projection_schema, t, "1")))
                    for t in tables} == live, name

        # The stream: the key first on the key topic, then the events, and nothing the family said in plain text.
        records = await read_topic(kafka.bootstrap, cases_topic(prefix, "varsinais-suomi"), expected=3)
        keys = await read_topic(kafka.bootstrap, keys_topic(prefix, "varsinais-suomi"), expected=2)
    recorded = [r for r in records if b'"request.recorded"' in r.value]
    assert len(recorded) == 2
    assert {r.key.decode() for r in keys} >= {case["case_id"], visit.json()["case_id"]}
    for raw in [r.value for r in records] + [r.value for r in keys]:
        for secret in (marker.encode(), PHONE.encode(), b"+358405551234", "öisin".encode()):
            assert secret not in raw


async def test_bad_recordings_are_refused_naming_the_field(postgres, kafka, prefix):
    app = APPS["routing"](settings_for("routing", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap))
    async with running(app) as routing:
        await staff(routing, app)
        cases = [
            (contact("x", municipality="oulu"), "municipality"),  # another region's
            (contact("x", contacted_at=(datetime.now(UTC) + timedelta(hours=2)).isoformat()), "contacted_at"),
            (contact("x", contacted_at=(datetime.now(UTC) - timedelta(days=40)).isoformat()), "contacted_at"),
            (contact("x", contact={"method": "sms", "phone": "12"}), "contact.phone"),
            (contact("x", receipt=True, contact={"method": "anonymous"}), "receipt"),
        ]
        for body, field in cases:
            response = await routing.post("/api/v1/contacts", json=body)
            assert response.status_code == 422, response.text
            assert field in response.text, (field, response.text)
        manager = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        await staff(manager, app, role="manager")
        assert (await manager.post("/api/v1/contacts", json=contact("x"))).status_code == 403
        await manager.aclose()
        assert (await routing.get("/api/v1/cases")).json() == []
        # A recording id is its recorder's: another coordinator sending it is told so, not shown the case.
        mine = contact("x")
        assert (await routing.post("/api/v1/contacts", json=mine)).status_code == 201
        colleague = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        await staff(colleague, app)
        taken = await colleague.post("/api/v1/contacts", json=mine)
        assert taken.status_code == 409 and "recording_id" in taken.text and "case_id" not in taken.json()
        await colleague.aclose()
