"""Personal data: erased on request from Kafka, every PostgreSQL table, the logs and the dead letters, while
the statistics stay; erased on schedule by the region's retention; never in a log line."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer

from services.routing.erasure import reapply_erasures, run_retention
from shared.regions import load_regions
from shared.sealing import WrappedKey
from shared.settings import ROOT
from shared.topics import keys_topic
from tests.support import APPS, eventually, produce, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
REGION = "varsinais-suomi"


async def all_records(bootstrap: str, prefix: str) -> list[Any]:
    """Every record of every topic of this test, read raw from offset 0."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    try:
        topics = [t for t in await consumer.topics() if t.startswith(prefix)]
        consumer.subscribe(topics)
        records: list[Any] = []
        idle = 0
        while idle < 5:
            batch = await consumer.getmany(timeout_ms=300)
            idle = 0 if batch else idle + 1
            for recs in batch.values():
                records.extend(recs)
        return records
    finally:
        await consumer.stop()


async def every_row(dsn: str, prefix: str) -> list[tuple[str, str]]:
    """Every row of every table in this test's schemas, as text."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetch("SELECT table_schema, table_name FROM information_schema.tables"
                                  " WHERE table_schema LIKE $1 AND table_type = 'BASE TABLE'", f"%{prefix}%")
        rows = []
        for t in tables:
            name = f'"{t["table_schema"]}"."{t["table_name"]}"'
            for r in await conn.fetch(f"SELECT row_to_json(x)::text AS j FROM {name} x"):
                rows.append((name, r["j"]))
        return rows
    finally:
        await conn.close()


async def test_erasure_leaves_nothing_readable_but_the_statistics(postgres, kafka, prefix, capfd):
    mark = f"Merkki{uuid.uuid4().hex[:12]}"
    phone, email = "+358 40 918 2736", f"{mark.lower()}@example.fi"
    e164 = "+358409182736"  # the form intake keeps the number in: no plainer copy of it either
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {name: APPS[name](settings_for(name, **env)) for name in APPS}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, \
            running(apps["notify"]) as notify, running(apps["reporting"]) as reporting:
        receipt = (await intake.post("/api/v1/requests", json=request_body(
            "naantali", message=f"Viesti {mark} perheestämme",
            contact={"method": "email", "name": f"Nimi {mark}", "email": email}))).json()
        other = (await intake.post("/api/v1/requests", json=request_body(
            "naantali", contact={"method": "phone", "name": "Toinen Perhe", "phone": phone}))).json()
        case_id = receipt["case_id"]
        credentials = {"reference": receipt["reference"], "pickup_code": receipt["pickup_code"]}
        more = {**credentials, "message_id": str(uuid.uuid4()), "message": f"Lisää {mark}"}

        async def family_in() -> bool:
            return (await intake.post("/api/v1/status", json=credentials)).status_code == 200

        await eventually(family_in, what="the family's status page")
        assert (await intake.post("/api/v1/status/messages", json=more)).status_code == 201

        await staff(routing, apps["routing"], role="coordinator")

        async def case() -> dict | None:
            response = await routing.get(f"/api/v1/cases/{case_id}")
            return response.json() if response.status_code == 200 and response.json()["message"] else None

        version = (await eventually(case, what="the case in routing"))["command_version"]
        for command, arguments in (("triage", {"topic": "parent_coping", "urgency": "normal",
                                               "child_welfare_concern": False}),
                                   ("add_note", {"text": f"Muistiinpano {mark}"}),
                                   ("reply", {"text": f"Vastaus {mark}"})):
            done = await routing.post(f"/api/v1/cases/{case_id}/commands", json={
                "command": command, "expected_version": version, "arguments": arguments})
            assert done.status_code == 200, done.text
            version = done.json()["command_version"]
        seen = (await routing.get(f"/api/v1/cases/{case_id}")).json()
        assert mark in seen["message"] and any(mark in (e["text"] or "") for e in seen["timeline"])

        # Only an admin erases.
        assert (await routing.post(f"/api/v1/cases/{case_id}/erase", json={"reason": "family_request"})
                ).status_code == 403
        await staff(routing, apps["routing"], role="admin")
        erased = await routing.post(f"/api/v1/cases/{case_id}/erase", json={"reason": "family_request"})
        assert erased.status_code == 200 and erased.json()["already"] is False
        again = await routing.post(f"/api/v1/cases/{case_id}/erase", json={"reason": "family_request"})
        assert again.json()["already"] is True

        async def everywhere() -> bool:
            conn = await asyncpg.connect(postgres.dsn)
            try:
                keys = 0
                for schema in (f"intake_{prefix}", f"routing_{prefix}_projection", f"notify_{prefix}_projection"):
                    keys += await conn.fetchval(f'SELECT count(*) FROM "{schema}".case_keys WHERE case_id = $1',
                                                uuid.UUID(case_id))
                scrubbed = await conn.fetchval(
                    f'SELECT count(*) FROM "intake_{prefix}_projection".family_timeline WHERE case_id = $1'
                    " AND sealed ? 'erased'", uuid.UUID(case_id))
                return keys == 0 and scrubbed >= 2
            finally:
                await conn.close()

        await eventually(everywhere, what="every service to drop the key and scrub its copies")
        assert (await intake.post("/api/v1/status", json=credentials)).status_code in (401, 404)

        # The statistics stay: both requests still counted (the number itself is hidden, "x").
        facts = await apps["reporting"].state.runtime.pool.fetchval(
            "SELECT count(*) FROM case_facts WHERE municipality = 'naantali'")
        assert facts == 2
        del reporting, notify, other

    records = await all_records(kafka.bootstrap, prefix)
    assert any(r.topic.endswith(".dead-letters") or r.topic.endswith(".cases") for r in records)
    for r in records:
        raw = (r.key or b"") + (r.value or b"") + b"".join(v for _, v in (r.headers or ()))
        for secret in (mark.encode(), email.encode(), phone.encode(), e164.encode()):
            assert secret not in raw, (r.topic, r.offset)
    # What compaction leaves of the key topic: the case's key is a tombstone, so nothing opens its fields.
    latest: dict[bytes, bytes | None] = {}
    for r in records:
        if r.topic == keys_topic(prefix, REGION):
            latest[r.key] = r.value
    assert latest[case_id.encode()] is None
    erasure_events = [r for r in records if r.topic.endswith(".cases") and b'"personal_data.erased"' in r.value]
    assert len(erasure_events) == 1 and b'"family_request"' in erasure_events[0].value

    for table, row in await every_row(postgres.dsn, prefix):
        for secret in (mark, email, phone, e164):
            assert secret not in row, table
    logged = capfd.readouterr()
    assert "case.erased" in logged.out and "request.accepted" in logged.out  # the logs were read, and are whole
    for secret in (mark, email, phone, e164, "Toinen Perhe"):
        assert secret not in logged.out and secret not in logged.err


async def test_retention_erases_what_never_became_client_work(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {name: APPS[name](settings_for(name, **env)) for name in ("intake", "routing")}
    regions = load_regions(ROOT / "deploy" / "regions")
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing:
        await staff(routing, apps["routing"], role="coordinator")
        cases = {}
        for name, contact, outcome in (
                ("anonymous guidance", {"method": "anonymous"}, "guidance_enough"),
                ("guidance with a phone", {"method": "phone", "phone": "+358 40 111 2233"}, "guidance_enough"),
                ("not a request", {"method": "phone", "phone": "+358 40 111 2244"}, "not_a_request"),
                ("anonymous, referred", {"method": "anonymous"}, "referred")):
            receipt = (await intake.post("/api/v1/requests", json=request_body("rusko", contact=contact))).json()
            cases[name] = receipt["case_id"]

            async def known(case_id: str = receipt["case_id"]) -> dict | None:
                response = await routing.get(f"/api/v1/cases/{case_id}")
                return response.json() if response.status_code == 200 and response.json()["message"] else None

            version = (await eventually(known, what="the case in routing"))["command_version"]
            arguments: dict[str, Any] = {"outcome": outcome}
            if outcome == "referred":
                arguments["referred_to"] = "perheneuvola"
            closed = await routing.post(f"/api/v1/cases/{receipt['case_id']}/commands", json={
                "command": "close", "expected_version": version, "arguments": arguments})
            assert closed.status_code == 200, closed.text

        pool = apps["routing"].state.runtime.pool

        async def all_closed() -> bool:
            return await pool.fetchval("SELECT count(*) FROM cases WHERE status = 'closed'") == 4

        await eventually(all_closed, what="the four closings in routing's projection")
        async with pool.acquire() as conn:
            # Today nothing is old enough; 181 days on, what never became client work goes.
            assert await run_retention(conn, list(regions), topic_prefix=prefix) == 0
            later = datetime.now(UTC) + timedelta(days=181)
            assert await run_retention(conn, list(regions), topic_prefix=prefix, now=later) == 2
            assert await run_retention(conn, list(regions), topic_prefix=prefix, now=later) == 0
        apps["routing"].state.runtime.relay.wake()

        async def erased() -> set[str] | None:
            rows = await pool.fetch("SELECT case_id FROM cases WHERE state->>'erased_at' IS NOT NULL")
            keys = await pool.fetchval("SELECT count(*) FROM case_keys")
            return {str(r["case_id"]) for r in rows} if keys == 2 and len(rows) == 2 else None

        gone = await eventually(erased, what="the retention's erasures to be applied")
        assert gone == {cases["anonymous guidance"], cases["not a request"]}
        view = (await routing.get(f"/api/v1/cases/{cases['not a request']}")).json()
        assert view["message"] is None and view["contact"] == {}
        assert any(e["type"] == "personal_data.erased" for e in view["timeline"])

        # The client cases stay for the region's schedule (client_years: 30 after closing), then go the same
        # way; their rows (and so the statistics) stay, without personal data.
        assert regions.by_id["varsinais-suomi"].retention.client_years == 30
        async with pool.acquire() as conn:
            almost = datetime.now(UTC).replace(year=datetime.now(UTC).year + 30) - timedelta(days=1)
            assert await run_retention(conn, list(regions), topic_prefix=prefix, now=almost) == 0
            past = almost + timedelta(days=2)
            assert await run_retention(conn, list(regions), topic_prefix=prefix, now=past) == 2
            assert await run_retention(conn, list(regions), topic_prefix=prefix, now=past) == 0
        apps["routing"].state.runtime.relay.wake()

        async def all_erased() -> bool:
            return await pool.fetchval("SELECT count(*) FROM cases WHERE state->>'erased_at' IS NOT NULL") == 4

        await eventually(all_erased, what="the client cases' erasures to be applied")
        assert await pool.fetchval("SELECT count(*) FROM cases") == 4


async def test_an_erased_key_restored_from_a_backup_is_erased_again(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {name: APPS[name](settings_for(name, **env)) for name in ("intake", "routing")}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing:
        receipt = (await intake.post("/api/v1/requests", json=request_body("rusko"))).json()
        kept = (await intake.post("/api/v1/requests", json=request_body("rusko"))).json()
        case_id = uuid.UUID(receipt["case_id"])
        pool = apps["routing"].state.runtime.pool
        await staff(routing, apps["routing"], role="admin")

        async def key_in_routing(case: uuid.UUID) -> bool:
            return bool(await pool.fetchval("SELECT count(*) FROM case_keys WHERE case_id = $1", case))

        async def in_routing() -> bool:
            return bool(await pool.fetchval("SELECT count(*) FROM cases WHERE case_id = $1", case_id)) \
                and await key_in_routing(case_id)

        await eventually(in_routing, what="the case and its key in routing")
        backup = await pool.fetchrow("SELECT case_id, region, kek_id, nonce, wrapped FROM case_keys"
                                     " WHERE case_id = $1", case_id)
        assert (await routing.post(f"/api/v1/cases/{case_id}/erase", json={"reason": "family_request"})
                ).status_code == 200
        async def erasure_applied() -> bool:
            return bool(await pool.fetchval("SELECT count(*) FROM case_timeline WHERE case_id = $1"
                                            " AND type = 'personal_data.erased'", case_id)) \
                and not await key_in_routing(case_id)

        await eventually(erasure_applied, what="routing's projection to apply the erasure")

        # A key topic restored from a backup made before the erasure hands the key out again.
        restored = WrappedKey(**dict(backup))
        await produce(kafka.bootstrap, keys_topic(prefix, REGION), [(str(case_id).encode(),
                                                                     restored.model_dump_json().encode())])
        await eventually(lambda: key_in_routing(case_id), what="the restored key to reach routing")

        done = await reapply_erasures(bootstrap=kafka.bootstrap, topic_prefix=prefix,
                                      regions=list(apps["routing"].state.runtime.regions))
        assert done == {REGION: 1, "pohjois-pohjanmaa": 0}
        await eventually(lambda: _not(key_in_routing(case_id)), what="routing to drop the key again")
        assert await key_in_routing(uuid.UUID(kept["case_id"]))  # a case nobody erased keeps its key
    latest: dict[bytes, bytes | None] = {}
    for r in await all_records(kafka.bootstrap, prefix):
        if r.topic == keys_topic(prefix, REGION):
            latest[r.key] = r.value
    assert latest[str(case_id).encode()] is None


async def _not(check: Awaitable[bool]) -> bool:
    return not await check
