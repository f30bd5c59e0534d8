"""Duplicates and related cases on the real Kafka and PostgreSQL, through the services' own APIs.

A family writes twice: the second request is linked to the first as a duplicate. It closes, leaves the queue,
raises no deadline alert, is counted in no table or export (every table and CSV reads exactly as before it
came, but for the count of merged requests), and its status page says the matter continues in the other
request without naming it. Unlinking (after reopening) counts it again.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from services.reporting import rollup
from services.reporting.privacy import SUPPRESSED
from services.reporting.tables import TABLES
from services.routing.deadlines import raise_due_alerts
from shared.businessdays import HELSINKI
from shared.topics import cases_topic
from tests.integration.test_reporting import signed_in_reporting
from tests.support import APPS, eventually, read_topic, request_body, running, settings_for, staff, table_rows

pytestmark = pytest.mark.integration
REGION = "varsinais-suomi"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def period() -> dict[str, str]:
    return {"region": REGION, "period": str(datetime.now(HELSINKI).year), "lang": "en"}


async def send(intake: httpx.AsyncClient, municipality: str = "naantali", **overrides: Any) -> dict[str, Any]:
    response = await intake.post("/api/v1/requests", json=request_body(municipality, **overrides))
    assert response.status_code == 201, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


async def command(routing: httpx.AsyncClient, case_id: str, name: str, **arguments: Any) -> httpx.Response:
    version = (await routing.get(f"/api/v1/cases/{case_id}")).json()["command_version"]
    return await routing.post(f"/api/v1/cases/{case_id}/commands",
                              json={"command": name, "expected_version": version, "arguments": arguments})


async def everything(reporting: httpx.AsyncClient, params: dict[str, str]) -> dict[str, Any]:
    """Every table as the API gives it and as its CSV export, under ``params``, read from the data as it is now.

    The dashboards serve the last cube while a newer one is built in the background: the first request starts
    that build, and every table is read once it is done.
    """
    await reporting.get("/api/v1/tables/key_figures", params=params)
    await rollup.STORE.settle()
    out: dict[str, Any] = {}
    for table_id in TABLES:
        answer = await reporting.get(f"/api/v1/tables/{table_id}", params=params)
        assert answer.status_code == 200, answer.text
        out[table_id] = answer.json()
        csv = await reporting.get(f"/export/{table_id}.csv", params=params)
        assert csv.status_code == 200, csv.text
        out[f"{table_id}.csv"] = csv.text
    return out


MERGED_LABEL = "Requests merged as duplicates (not in the other figures)"


def without_merged(tables: dict[str, Any]) -> dict[str, Any]:
    """The tables with the merged requests' figure taken out (the one that should change)."""
    out = json.loads(json.dumps(tables))
    for table in out.values():
        if isinstance(table, dict):
            table.pop("data_as_of", None)  # when the data was read, not what it says
    out["key_figures"]["rows"] = [r for r in out["key_figures"]["rows"] if r[0] != MERGED_LABEL]
    out["key_figures.csv"] = "\r\n".join(line for line in out["key_figures.csv"].split("\r\n")
                                         if not line.startswith(MERGED_LABEL) and MERGED_LABEL not in line)
    return out


def merged_figure(tables: dict[str, Any]) -> Any:
    return next(r[1] for r in tables["key_figures"]["rows"] if r[0] == MERGED_LABEL)


async def test_a_duplicate_is_counted_once_its_deadline_stops_and_the_family_is_told(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {"intake": APPS["intake"](settings_for("intake", **env)),
            "routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600)),
            "reporting": APPS["reporting"](settings_for("reporting", **env))}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, \
            running(apps["reporting"]) as reporting:
        await staff(routing, apps["routing"])
        manager = httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["routing"]), base_url="http://testserver")
        await signed_in_reporting(manager, reporting, apps["routing"])
        await manager.aclose()
        schema = apps["reporting"].state.runtime.projection_schema

        async def facts(n: int) -> list[dict[str, Any]] | None:
            rows = await table_rows(postgres.dsn, schema, "case_facts", "received_at")
            lag = (await reporting.get("/readyz")).json()["consumer"].get("lag")
            return rows if len(rows) == n and lag == 0 else None

        async def in_routing(case_id: str) -> bool:
            return (await routing.get(f"/api/v1/cases/{case_id}")).status_code == 200

        first = [await send(intake) for _ in range(6)]
        kept = first[0]
        for receipt in first:
            await eventually(lambda r=receipt: in_routing(r["case_id"]), what="the case in routing")
        await eventually(lambda: facts(6), what="reporting to count six requests")
        before = {"region": await everything(reporting, period()),
                  "naantali": await everything(reporting, {**period(), "municipality": "naantali"})}

        # Five families write again; each second request is linked to the first one's case.
        duplicates = [await send(intake) for _ in range(5)]
        duplicate = duplicates[0]
        for receipt in duplicates:
            await eventually(lambda r=receipt: in_routing(r["case_id"]), what="the second request in routing")
        await eventually(lambda: facts(11), what="reporting to count the second requests")
        counted_twice = await everything(reporting, period())
        assert without_merged(counted_twice) != without_merged(before["region"])  # the test can tell

        # Linked by the reference as a person types it back: lower case, a space for the dash.
        typed = kept["reference"].lower().replace("-", " ")
        for receipt in duplicates:
            linked = await command(routing, receipt["case_id"], "link", kind="duplicate", other_reference=typed)
            assert linked.status_code == 200, linked.text
            assert linked.json()["status"] == "closed" and len(linked.json()["event_ids"]) == 3  # two here, one there
        again = await command(routing, duplicate["case_id"], "link", kind="duplicate", other_reference=typed)
        assert again.status_code == 200 and again.json()["event_ids"] == []  # idempotent

        # On both streams: each duplicate's link and closing, the kept case's link to each.
        records = await read_topic(kafka.bootstrap, cases_topic(prefix, REGION), expected=11 + 15)
        events = [json.loads(r.value) for r in records]
        links = [(e["case_id"], e["type"], e["payload"].get("side"), e["payload"].get("outcome")) for e in events
                 if e["type"] in ("case.linked", "case.closed")]
        assert sorted(links) == sorted([x for d in duplicates for x in (
            (d["case_id"], "case.linked", "duplicate", None), (d["case_id"], "case.closed", None, "duplicate"),
            (kept["case_id"], "case.linked", "kept", None))])
        assert {e["schema_version"] for e in events if e["type"] == "case.closed"} == {2}

        # The queue and both case pages.
        queue = {c["case_id"] for c in (await routing.get("/api/v1/cases")).json()}
        assert kept["case_id"] in queue and not queue & {d["case_id"] for d in duplicates}
        kept_view = (await routing.get(f"/api/v1/cases/{kept['case_id']}")).json()
        assert [(x["reference"], x["relation"], x["status"], x["outcome"], x["may_open"]) for x in kept_view["links"]
                ] == [(d["reference"], "duplicate", "closed", "duplicate", True) for d in duplicates]
        dup_view = (await routing.get(f"/api/v1/cases/{duplicate['case_id']}")).json()
        assert [(x["reference"], x["relation"]) for x in dup_view["links"]] == [(kept["reference"], "duplicate_of")]
        page = await routing.get(f"/cases/{kept['case_id']}", params={"lang": "sv"})
        assert "Kopplade ärenden" in page.text and duplicate["reference"] in page.text
        assert f'href="/cases/{duplicate["case_id"]}?lang=sv"' in page.text

        # Reporting: every table and every export reads as before the second request, but the merged figure.
        await eventually(lambda: _closed_as_duplicates(postgres.dsn, schema, 5),
                         what="reporting to apply the duplicates' closing")
        after = {"region": await everything(reporting, period()),
                 "naantali": await everything(reporting, {**period(), "municipality": "naantali"})}
        for area in ("region", "naantali"):
            assert without_merged(after[area]) == without_merged(before[area]), area
            assert merged_figure(before[area]) == SUPPRESSED  # none
            assert 5 <= merged_figure(after[area]) <= 7  # five, with the fixed offset of at most +2
        cells = await table_rows(postgres.dsn, schema, "fact_cells", "dim, value")
        assert sum(c["n"] for c in cells if c["dim"] == "all") == 6
        assert sum(c["n"] for c in cells if c["dim"] == "merged") == 5
        assert all(sum(c["n"] for c in cells if c["dim"] == d) == 6 for d in ("time", "role", "method", "topic"))

        # Deadlines: however late it gets, the duplicate raises no alert; the case kept does.
        runtime = apps["routing"].state.runtime
        late = datetime.now(HELSINKI) + timedelta(days=10)
        async with runtime.pool.acquire() as conn:
            assert await raise_due_alerts(conn, now=late, topic_prefix=prefix) == 2 * 6
            alerted = {str(r["case_id"]) for r in await conn.fetch("SELECT case_id FROM deadline_alerts")}
        assert kept["case_id"] in alerted and not alerted & {d["case_id"] for d in duplicates}
        runtime.relay.wake()
        records = await read_topic(kafka.bootstrap, cases_topic(prefix, REGION), expected=26 + 12)
        alerts = [json.loads(r.value) for r in records if json.loads(r.value)["type"].startswith("deadline.")]
        assert len(alerts) == 12 and not {a["case_id"] for a in alerts} & {d["case_id"] for d in duplicates}

        # The family of the duplicate: their matter continues in their other request, which is not named.
        status = await intake.post("/api/v1/status", json={"reference": duplicate["reference"],
                                                           "pickup_code": duplicate["pickup_code"]})

        async def told() -> dict[str, Any] | None:
            body: dict[str, Any] = (await intake.post("/api/v1/status", json={
                "reference": duplicate["reference"], "pickup_code": duplicate["pickup_code"]})).json()
            return body if body["closed"] else None

        body = await eventually(told, what="intake to see the duplicate closed")
        assert status.status_code == 200 and body["outcome"] == "duplicate"
        assert kept["reference"] not in json.dumps(body) and kept["case_id"] not in json.dumps(body)
        wrote = await intake.post("/api/v1/status/messages", json={
            "reference": duplicate["reference"], "pickup_code": duplicate["pickup_code"],
            "message_id": str(uuid.uuid4()), "message": "Unohdin kertoa yhden asian."})
        assert wrote.status_code == 409 and wrote.json()["error"] == "joined_with_another_request"
        feedback = await intake.post("/api/v1/status/feedback", json={
            "reference": duplicate["reference"], "pickup_code": duplicate["pickup_code"], "score": 5})
        assert feedback.status_code == 409 and feedback.json()["error"] == "joined_with_another_request"
        for lang, words in (("fi", "asianne jatkuu siinä"), ("sv", "ert ärende fortsätter där"),
                            ("en", "your matter continues there")):
            signed = await intake.post("/status", data={"reference": duplicate["reference"],
                                                        "pickup_code": duplicate["pickup_code"], "lang": lang})
            assert signed.status_code == 303
            page = await intake.get("/status", params={"lang": lang})
            assert words in page.text and kept["reference"] not in page.text
            assert "/status/feedback" not in page.text and "/status/messages" not in page.text
        csrf = CSRF.search(page.text)
        assert csrf is not None
        refused = await intake.post("/status/messages", data={"csrf": csrf.group(1), "lang": "en",
                                                              "message_id": str(uuid.uuid4()),
                                                              "message": "Vielä yksi asia."})
        assert refused.status_code == 409
        assert "Your message was not sent" in refused.text and "Vielä yksi asia." in refused.text

        # Undone: unlinking waits for both cases to be open; then the request counts again.
        closed = await command(routing, kept["case_id"], "unlink", other_reference=duplicate["reference"])
        assert closed.status_code == 422 and "both cases are open" in closed.json()["detail"]
        assert (await command(routing, duplicate["case_id"], "reopen")).status_code == 200
        unlinked = await command(routing, kept["case_id"], "unlink", other_reference=duplicate["reference"])
        assert unlinked.status_code == 200, unlinked.text
        assert [x["reference"] for x in (await routing.get(f"/api/v1/cases/{kept['case_id']}")).json()["links"]
                ] == [d["reference"] for d in duplicates[1:]]  # the other four stay linked
        assert (await routing.get(f"/api/v1/cases/{duplicate['case_id']}")).json()["links"] == []

        async def counted_again() -> list[dict[str, Any]] | None:
            rows = await table_rows(postgres.dsn, schema, "fact_cells", "dim, value")
            return rows if sum(c["n"] for c in rows if c["dim"] == "all") == 7 and sum(
                c["n"] for c in rows if c["dim"] == "merged") == 4 else None

        await eventually(counted_again, what="reporting to count the unlinked request again")


async def _closed_as_duplicates(dsn: str, schema: str, n: int) -> bool:
    rows = await table_rows(dsn, schema, "case_facts", "received_at")
    return sum(r["outcome"] == "duplicate" for r in rows) == n


async def test_links_stay_within_what_the_person_may_open(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {"intake": APPS["intake"](settings_for("intake", **env)),
            "routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600))}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing:
        await staff(routing, apps["routing"])
        one, two, elsewhere = await send(intake), await send(intake), await send(intake, "oulu")
        for receipt in (one, two):
            async def seen(r: dict[str, Any] = receipt) -> bool:
                return (await routing.get(f"/api/v1/cases/{r['case_id']}")).status_code == 200

            await eventually(seen, what="the case in routing")

        # Another region's case, a reference of nobody's, itself: named fields, never a 500.
        for other in (elsewhere["reference"], "ZZZZ-9999"):
            refused = await command(routing, one["case_id"], "link", kind="related", other_reference=other)
            assert refused.status_code == 422, refused.text
            assert [f["field"] for f in refused.json()["fields"]] == ["arguments.other_reference"]
        itself = await command(routing, one["case_id"], "link", kind="duplicate", other_reference=one["reference"])
        assert itself.status_code == 422 and itself.json()["reason"] == "itself"
        bad = await command(routing, one["case_id"], "link", kind="twin", other_reference=two["reference"])
        assert bad.status_code == 422 and "arguments.kind" in {f["field"] for f in bad.json()["fields"]}

        related = await command(routing, one["case_id"], "link", kind="related", other_reference=two["reference"])
        assert related.status_code == 200, related.text
        assert [x["relation"] for x in (await routing.get(f"/api/v1/cases/{two['case_id']}")).json()["links"]] == [
            "related"]

        # A professional of a team sees neither case: the reference is unknown to them, the case is not found.
        professional = httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["routing"]),
                                         base_url="http://testserver")
        await staff(professional, apps["routing"], role="professional", team="family-guidance")
        answer = await professional.post(f"/api/v1/cases/{one['case_id']}/commands", json={
            "command": "unlink", "expected_version": 0, "arguments": {"other_reference": two["reference"]}})
        assert answer.status_code == 404
        # Assigned one case, they may open it but not link it to the case they cannot open.
        assert (await command(routing, one["case_id"], "assign", assignee_kind="team",
                              assignee_id="family-guidance")).status_code == 200
        version = (await professional.get(f"/api/v1/cases/{one['case_id']}")).json()
        assert [(x["reference"], x["may_open"]) for x in version["links"]] == [(two["reference"], False)]
        page = await professional.get(f"/cases/{one['case_id']}", params={"lang": "fi"})
        assert two["reference"] in page.text and f"/cases/{two['case_id']}" not in page.text
        answer = await professional.post(f"/api/v1/cases/{one['case_id']}/commands", json={
            "command": "unlink", "expected_version": version["command_version"],
            "arguments": {"other_reference": two["reference"]}})
        assert answer.status_code == 422
        assert [f["field"] for f in answer.json()["fields"]] == ["arguments.other_reference"]
        await professional.aclose()
