"""Staff search on the real Kafka and PostgreSQL: by a reference, a phone number, an e-mail address and the days
received; scoped by role and region; each search in the access log and the audit stream with its kind and hits,
never the term; the blind index beside the case only (no plaintext number or address in any table or topic);
erased with the case; made when the key comes after its request, again on a rebuild, and kept through a KEK
rotation."""

from __future__ import annotations

import argparse
import base64
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from services.routing import admin as routing_admin
from services.routing.projection import projection as routing_projection
from shared.businessdays import HELSINKI, answer_due
from shared.codec import encode
from shared.events import RequestSubmitted, RequestSubmittedPayload, new_event
from shared.places import sealed_place
from shared.rebuild import rebuild
from shared.sealing import new_data_key, seal
from shared.topics import audit_topic, cases_topic, keys_topic
from tests.integration.test_privacy import all_records, every_row
from tests.support import APPS, eventually, produce, read_topic, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
VS, PP = "varsinais-suomi", "pohjois-pohjanmaa"


@asynccontextmanager
async def client_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


async def scalar(dsn: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def rows(dsn: str, sql: str, *args: Any) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(dsn)
    try:
        return [dict(r) for r in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


async def submit(intake: httpx.AsyncClient, municipality: str, contact: dict[str, str]) -> dict[str, str]:
    accepted = await intake.post("/api/v1/requests", json=request_body(municipality, contact=contact))
    assert accepted.status_code == 201, accepted.text
    return {"case_id": accepted.json()["case_id"], "reference": accepted.json()["reference"]}


def found(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["case_id"] for item in response.json()}


async def command(client: httpx.AsyncClient, case_id: str, name: str, arguments: dict[str, Any]) -> None:
    version = (await client.get(f"/api/v1/cases/{case_id}")).json()["command_version"]
    done = await client.post(f"/api/v1/cases/{case_id}/commands",
                             json={"command": name, "expected_version": version, "arguments": arguments})
    assert done.status_code == 200, done.text


async def test_search_by_each_kind_scoped_by_role_and_region_logged_and_erased(postgres, kafka, prefix, capfd):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    intake_app = APPS["intake"](settings_for("intake", **env))
    app = APPS["routing"](settings_for("routing", **env, deadline_check_s=3600))
    schema = f'"routing_{prefix}"'
    mark = uuid.uuid4().hex[:10]
    typed_address = f"Maija.X{mark}@Example.FI"
    address = typed_address.lower()
    async with running(intake_app) as intake, running(app) as coordinator, client_for(app) as helper, \
            client_for(app) as professional, client_for(app) as other_team, client_for(app) as oulu, \
            client_for(app) as manager:
        a = await submit(intake, "raisio", {"method": "phone", "name": "Perhe A", "phone": "+358 40 918 2736"})
        b = await submit(intake, "naantali", {"method": "email", "name": "Perhe B", "email": typed_address})
        c = await submit(intake, "turku", {"method": "sms", "name": "Perhe C", "phone": "040-918 2736"})
        d = await submit(intake, "oulu", {"method": "phone", "name": "Perhe D", "phone": "0409182736"})
        await staff(coordinator, app, username=f"koord{mark}")
        await staff(helper, app, role="coordinator")
        await staff(professional, app, role="professional", team="family-guidance", username=f"prof{mark}")
        await staff(other_team, app, role="professional", team="child-health-clinic", username=f"muu{mark}")
        await staff(oulu, app, role="coordinator", region=PP, username=f"oulu{mark}")
        await staff(manager, app, role="manager")

        async def indexed() -> bool:  # read in the table, not by searching: every search is in the log
            return await scalar(postgres.dsn, f'SELECT count(*) FROM "routing_{prefix}_projection".contact_index') == 4

        await eventually(indexed, what="the four contacts in routing's blind index")
        # A is the family-guidance team's; the rest are nobody's yet.
        await command(helper, a["case_id"], "assign", {"assignee_kind": "team", "assignee_id": "family-guidance"})

        # A reference however typed; a number as written on a note, in E.164, or without the country code;
        # an address in any case. Another region's case is never found, not even by its exact reference.
        spaced = a["reference"].lower().replace("-", " ")
        assert found(await coordinator.get("/api/v1/cases", params={"q": spaced})) == {a["case_id"]}
        assert found(await coordinator.get("/api/v1/cases", params={"q": "+358409182736"})) == {a["case_id"],
                                                                                               c["case_id"]}
        assert found(await coordinator.get("/api/v1/cases", params={"q": address.upper()})) == {b["case_id"]}
        assert found(await coordinator.get("/api/v1/cases", params={"q": d["reference"]})) == set()
        assert found(await oulu.get("/api/v1/cases", params={"q": "040 918 2736"})) == {d["case_id"]}
        assert found(await oulu.get("/api/v1/cases", params={"q": a["reference"]})) == set()
        # A professional finds what they may open: their team's case, not the others with the same number.
        assert found(await professional.get("/api/v1/cases", params={"q": "040 9182736"})) == {a["case_id"]}
        assert found(await other_team.get("/api/v1/cases", params={"q": "040 9182736"})) == set()
        assert found(await other_team.get("/api/v1/cases", params={"q": a["reference"]})) == set()
        assert (await manager.get("/api/v1/cases", params={"q": a["reference"]})).status_code == 403
        # The days received (Helsinki), with the queue's filters; closed cases too unless a status is chosen.
        today = datetime.now(HELSINKI).date()
        day = {"received_from": today.isoformat(), "received_to": today.isoformat()}
        assert found(await coordinator.get("/api/v1/cases", params=day)) == {a["case_id"], b["case_id"], c["case_id"]}
        assert found(await coordinator.get("/api/v1/cases", params={**day, "municipality": "turku"})) == {c["case_id"]}
        tomorrow = (today + timedelta(days=1)).isoformat()
        assert found(await coordinator.get("/api/v1/cases", params={"received_from": tomorrow})) == set()
        await command(helper, b["case_id"], "close", {"outcome": "guidance_enough"})
        assert found(await coordinator.get("/api/v1/cases", params={"q": address})) == {b["case_id"]}
        assert found(await coordinator.get("/api/v1/cases", params={"q": address, "status": "open"})) == set()

        # Bad input is a 422 naming the parameter, and never repeats what was typed.
        wrong_way = await coordinator.get("/api/v1/cases", params={"received_from": tomorrow,
                                                                   "received_to": today.isoformat()})
        assert wrong_way.status_code == 422 and wrong_way.json()["fields"][0]["field"] == "received_from"
        words = await coordinator.get("/api/v1/cases", params={"q": f"lapsi nukkuu huonosti {mark}"})
        assert words.status_code == 422 and [f["field"] for f in words.json()["fields"]] == ["q"]
        assert mark not in words.text and "reference" in words.text
        not_a_date = await coordinator.get("/api/v1/cases", params={"received_to": "31.12.2026"})
        assert not_a_date.status_code == 422 and not_a_date.json()["fields"][0]["field"] == "received_to"

        # The page: a reference typed with a space finds the case; nothing found and a refused term say so in
        # the page's language, the refused one as a 422 with the field marked.
        page = await coordinator.get("/queue", params={"q": spaced, "lang": "sv"})
        assert page.status_code == 200 and a["reference"] in page.text and "1 kontakt hittades." in page.text
        assert 'id="queue"' not in page.text  # a search's results do not reload themselves (each is logged)
        nothing = await coordinator.get("/queue", params={"q": f"ei{mark}@example.fi", "lang": "fi"})
        assert "Haulla ei löytynyt yhtään yhteydenottoa" in nothing.text
        refused = await coordinator.get("/queue", params={"q": "Perhe A", "lang": "sv"})
        assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
        assert "Sök med en referens" in refused.text

        # The access log: who, when, the kind of term and the hits, for every search that ran; never the term.
        logged = await rows(postgres.dsn, f"SELECT account_id, role, region, case_id, action, term_kind, hits"
                                          f" FROM {schema}.access_log WHERE action = 'search' ORDER BY id")
        assert [(r["account_id"], r["term_kind"], r["hits"]) for r in logged] == [
            (f"koord{mark}", "reference", 1), (f"koord{mark}", "phone", 2), (f"koord{mark}", "email", 1),
            (f"koord{mark}", "reference", 0), (f"oulu{mark}", "phone", 1), (f"oulu{mark}", "reference", 0),
            (f"prof{mark}", "phone", 1), (f"muu{mark}", "phone", 0), (f"muu{mark}", "reference", 0),
            (f"koord{mark}", "dates", 3), (f"koord{mark}", "dates", 1), (f"koord{mark}", "dates", 0),
            (f"koord{mark}", "email", 1), (f"koord{mark}", "email", 0),
            (f"koord{mark}", "reference", 1), (f"koord{mark}", "email", 0)]
        assert all(r["case_id"] is None for r in logged) and {r["region"] for r in logged} == {VS, PP}
        async def audited() -> list[dict[str, Any]] | None:
            audit = await read_topic(kafka.bootstrap, audit_topic(prefix, VS), expected=10_000, timeout=2)
            searches = [json.loads(r.value) for r in audit if ("type", b"search.recorded") in r.headers]
            return searches if len(searches) >= 14 else None

        searches = await eventually(audited, what="the region's searches on its audit stream")
        assert len(searches) == 14 and {s["term_kind"] for s in searches} == {"reference", "phone", "email", "dates"}
        assert {(s["account_id"], s["term_kind"], s["hits"]) for s in searches} == {
            (r["account_id"], r["term_kind"], r["hits"]) for r in logged if r["region"] == VS}
        async with client_for(app) as admin:
            await staff(admin, app, role="admin")
            page = await admin.get("/admin/access", params={"staff": f"koord{mark}", "lang": "fi"})
            assert "puhelinnumero, 2 osumaa" in page.text and "Haki yhteydenottoja" in page.text
            export = await admin.get("/admin/access.csv", params={"staff": f"koord{mark}", "lang": "en"})
            assert "Searched the requests,phone number,2" in export.content.decode("utf-8-sig")

        # No plaintext number or address from the index anywhere: every table of intake and routing, every
        # topic, every log line. (The sealed copies are ciphertext.)
        needles = ["+358409182736", "409182736", "918 2736", "918-2736", "0409182736", address, typed_address]
        for table, row in await every_row(postgres.dsn, prefix):
            assert not any(n.lower() in row.lower() for n in needles), table
        for record in await all_records(kafka.bootstrap, prefix):
            raw = (record.value or b"").decode("utf-8", "replace").lower()
            assert not any(n.lower() in raw for n in needles), record.topic
        index = await rows(postgres.dsn, f'SELECT * FROM "routing_{prefix}_projection".contact_index')
        assert {len(r["digest"]) for r in index} == {64} and {r["kind"] for r in index} == {"phone", "email"}

        # An erased case's index rows go with it, at once; the other case with the same number stays found.
        erased = await admin_erase(app, a["case_id"])
        assert erased == 200
        assert await scalar(postgres.dsn, f'SELECT count(*) FROM "routing_{prefix}_projection".contact_index'
                                          " WHERE case_id = $1", uuid.UUID(a["case_id"])) == 0
        assert found(await coordinator.get("/api/v1/cases", params={"q": "040 918 2736"})) == {c["case_id"]}

        async def scrubbed() -> bool:
            personal = await scalar(postgres.dsn, f'SELECT personal FROM "routing_{prefix}_projection".cases'
                                                  " WHERE case_id = $1", uuid.UUID(a["case_id"]))
            return personal is None

        await eventually(scrubbed, what="the erasure in routing's projection")
        assert await scalar(postgres.dsn, f'SELECT count(*) FROM "routing_{prefix}_projection".contact_index'
                                          " WHERE case_id = $1", uuid.UUID(a["case_id"])) == 0
    # The services' log lines hold none of it either.
    logs = capfd.readouterr()
    assert "case.erased" in logs.out  # the logs were read
    assert not any(n.lower() in (logs.out + logs.err).lower() for n in needles)


async def admin_erase(app: FastAPI, case_id: str) -> int:
    async with client_for(app) as admin:
        await staff(admin, app, role="admin")
        return (await admin.post(f"/api/v1/cases/{case_id}/erase", json={"reason": "family_request"})).status_code


def late_request(case_id: uuid.UUID, data_key: bytes, phone: str) -> RequestSubmitted:
    """A request as intake makes it, with the family's number sealed under ``data_key``."""
    now = datetime.now(HELSINKI)
    return new_event(RequestSubmitted, case_id=case_id, region=VS, municipality="raisio", actor="family",
                     occurred_at=now, payload=RequestSubmittedPayload(
                         submission_id=uuid.uuid4(), reference="KM7Q-2X9W", language="fi", requester_role="parent",
                         contact_method="phone", answer_due=answer_due(now, 1), deadline_business_days=1,
                         personal=seal(data_key, case_id, {"message": "testi", "contact": {
                             "method": "phone", "name": "Myöhäinen", "phone": phone}},
                             sealed_place("request.submitted"))))


async def test_a_key_after_its_request_is_indexed_and_a_rebuild_indexes_again(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    app = APPS["routing"](settings_for("routing", **env, deadline_check_s=3600))
    runtime = app.state.runtime
    projection_schema = f'"routing_{prefix}_projection"'
    case_id, data_key = uuid.uuid4(), new_data_key()
    async with running(app) as routing:
        await staff(routing, app)
        await produce(kafka.bootstrap, cases_topic(prefix, VS),
                      [(str(case_id).encode(), encode(late_request(case_id, data_key, "050 123 4567")))])

        async def projected() -> bool:
            return (await routing.get(f"/api/v1/cases/{case_id}")).status_code == 200

        await eventually(projected, what="the request in routing, without its key")
        assert await scalar(postgres.dsn, f"SELECT count(*) FROM {projection_schema}.contact_index") == 0
        wrapped = runtime.settings.keyring.wrap(case_id, VS, data_key)
        await produce(kafka.bootstrap, keys_topic(prefix, VS),
                      [(str(case_id).encode(), wrapped.model_dump_json().encode())])

        async def indexed() -> bool:
            return bool(await scalar(postgres.dsn, f"SELECT count(*) FROM {projection_schema}.contact_index") == 1)

        await eventually(indexed, what="the index made when the key came")
        assert found(await routing.get("/api/v1/cases", params={"q": "+358501234567"})) == {str(case_id)}
        before = await rows(postgres.dsn, f"SELECT * FROM {projection_schema}.contact_index")

        proj = routing_projection(runtime)
        result = await rebuild(dsn=postgres.dsn, service_schema=runtime.settings.db_schema,
                               projection_schema=runtime.projection_schema, bootstrap=kafka.bootstrap,
                               topics=runtime.projection_topics(proj), projection=proj)
        assert result.swapped
        assert await rows(postgres.dsn, f"SELECT * FROM {projection_schema}.contact_index") == before
        assert found(await routing.get("/api/v1/cases", params={"q": "050-123 45 67"})) == {str(case_id)}


A = base64.b64encode(b"kek-A-of-the-search-index-test32").decode()
B = base64.b64encode(b"kek-B-of-the-search-index-test32").decode()


async def test_search_keeps_working_through_a_kek_rotation(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    index = f'"routing_{prefix}_projection".contact_index'

    async def kek_ids() -> set[str]:
        return {r["kek_id"] for r in await rows(postgres.dsn, f"SELECT kek_id FROM {index}")}

    phases: list[dict[str, Any]] = [{"kek": A, "kek_id": "a"}, {"kek": B, "kek_id": "b", "old_keks": {"a": A}},
                                    {"kek": B, "kek_id": "b"}]
    case: dict[str, str] = {}
    for number, keys in enumerate(phases):
        app = APPS["routing"](settings_for("routing", **env, deadline_check_s=3600, **keys))
        async with AsyncExitStack() as stack:
            routing = await stack.enter_async_context(running(app))
            await staff(routing, app)
            if number == 0:  # intake only while its request is sent (and its relay publishes it)
                intake_app = APPS["intake"](settings_for("intake", **env, **keys))
                intake = await stack.enter_async_context(running(intake_app))
                case = await submit(intake, "raisio", {"method": "email", "name": "P", "email": "kierto@example.fi"})

                async def under_a() -> bool:
                    return await kek_ids() == {"a"}

                await eventually(under_a, what="the index under KEK A")
            # Under A; then with B current and A still held (the rows under A still match); then B alone.
            assert found(await routing.get("/api/v1/cases", params={"q": "Kierto@Example.fi"})) == {case["case_id"]}
            if number == 1:
                # The rewrap's key comes back to routing and the index follows it to B, so A can go.
                said = await routing_admin.run(argparse.Namespace(what="keys", action="rewrap"),
                                               settings_for("routing", **env, **keys))
                assert said.startswith("1 case key(s) rewrapped"), said

                async def under_b() -> bool:
                    return await kek_ids() == {"b"}

                await eventually(under_b, what="the index under KEK B after the rewrap")
