"""KEK rotation end to end: written under KEK A, rotated to B with A still held, rewrapped, A removed, still read.

Each phase restarts intake, routing and notify with that phase's KEKs, as an operator would."""

from __future__ import annotations

import argparse
import base64
import uuid
from typing import Any

import asyncpg
import pytest

from services.intake import admin as intake_admin
from services.routing import admin as routing_admin
from shared.keys import data_key
from shared.places import sealed_place
from shared.sealing import Keyring, KeyUnavailable, Sealed, WrappedKey, unseal
from shared.staff import StaffRecord, open_email
from tests.support import APPS, eventually, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
A = base64.b64encode(b"kek-A-of-the-rotation-test-32byt").decode()
B = base64.b64encode(b"kek-B-of-the-rotation-test-32byt").decode()
UNDER_A: dict[str, Any] = {"kek": A, "kek_id": "a"}
BOTH: dict[str, Any] = {"kek": B, "kek_id": "b", "old_keks": {"a": A}}
ONLY_B: dict[str, Any] = {"kek": B, "kek_id": "b"}
SERVICES = ("intake", "routing", "notify")


def key_tables(prefix: str) -> list[str]:
    return [f'"intake_{prefix}".case_keys', f'"routing_{prefix}_projection".case_keys',
            f'"notify_{prefix}_projection".case_keys']


async def kek_ids(dsn: str, prefix: str) -> dict[str, set[str]]:
    """Per copy of the case keys (and notify's staff directory), the KEK ids its keys are wrapped with."""
    conn = await asyncpg.connect(dsn)
    try:
        found = {table: {r["kek_id"] for r in await conn.fetch(f"SELECT DISTINCT kek_id FROM {table}")}
                 for table in key_tables(prefix)}
        found["staff"] = {r["k"] for r in await conn.fetch(
            f"""SELECT DISTINCT record->'key'->>'kek_id' AS k FROM "notify_{prefix}_projection".staff_directory""")}
        return found
    finally:
        await conn.close()


async def readable(intake: Any, routing: Any, case: dict[str, Any], mark: str) -> None:
    """The family reads its case and the reply; routing's coordinator reads the family's message."""
    async def family() -> dict[str, Any] | None:
        response = await intake.post("/api/v1/status", json=case["credentials"])
        assert response.status_code in (200, 503), response.text
        body = response.json() if response.status_code == 200 else None
        return body if body and any(mark in (e["text"] or "") for e in body["timeline"]) else None

    async def staff_view() -> dict[str, Any] | None:
        response = await routing.get(f"/api/v1/cases/{case['case_id']}")
        return response.json() if response.status_code == 200 and mark in (response.json()["message"] or "") \
            else None

    await eventually(family, what="the family reading its case")
    await eventually(staff_view, what="routing reading the case")


async def submit(intake: Any, mark: str) -> dict[str, Any]:
    receipt = (await intake.post("/api/v1/requests", json=request_body(
        "naantali", message=f"Viesti {mark}", contact={"method": "email", "name": "Perhe", "email": "p@example.fi"})
    )).json()
    return {"case_id": receipt["case_id"],
            "credentials": {"reference": receipt["reference"], "pickup_code": receipt["pickup_code"]}}


async def test_keys_written_under_one_kek_are_read_after_rotation_rewrap_and_its_removal(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    first, second = f"Eka{uuid.uuid4().hex[:8]}", f"Toka{uuid.uuid4().hex[:8]}"

    # Under KEK A: a request, a staff member with an address, a reply.
    apps = {name: APPS[name](settings_for(name, **env, **UNDER_A)) for name in SERVICES}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, running(apps["notify"]):
        old = await submit(intake, first)
        await staff(routing, apps["routing"], role="coordinator", email="koordinaattori@example.fi")
        await readable(intake, routing, old, first)

        async def staff_record_under_a() -> bool:
            return (await kek_ids(postgres.dsn, prefix))["staff"] == {"a"}

        await eventually(staff_record_under_a, what="the staff record in notify, under KEK A")

    # B is current, A still held: new data under B, the old still read.
    apps = {name: APPS[name](settings_for(name, **env, **BOTH)) for name in SERVICES}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, running(apps["notify"]):
        await staff(routing, apps["routing"], role="coordinator")
        new = await submit(intake, second)
        await readable(intake, routing, new, second)
        await readable(intake, routing, old, first)
        assert (await kek_ids(postgres.dsn, prefix))[key_tables(prefix)[0]] == {"a", "b"}
        # Without A the old case would not open: this is what the rewrap is for.
        row = await apps["routing"].state.runtime.pool.fetchrow(
            "SELECT case_id, region, kek_id, nonce, wrapped FROM case_keys WHERE case_id = $1",
            uuid.UUID(old["case_id"]))
        with pytest.raises(KeyUnavailable):
            Keyring(current="b", keks={"b": base64.b64decode(B)}).unwrap(WrappedKey(**dict(row)))

        routing_settings = settings_for("routing", **env, **BOTH)
        said = await routing_admin.run(argparse.Namespace(what="keys", action="rewrap"), routing_settings)
        assert said.startswith("1 case key(s) rewrapped"), said
        assert "every case key" in await routing_admin.run(argparse.Namespace(what="keys", action="status"),
                                                            routing_settings)
        said = await intake_admin.run(argparse.Namespace(what="keys", action="rewrap"),
                                      settings_for("intake", **env, **BOTH))
        assert said.startswith("1 secret(s)"), said

        async def all_under_b() -> bool:
            found = await kek_ids(postgres.dsn, prefix)
            return all(ids == {"b"} for ids in found.values())

        await eventually(all_under_b, what="every copy of every key under KEK B")

    # A removed: everything still reads, in routing, on the family's page and in notify.
    apps = {name: APPS[name](settings_for(name, **env, **ONLY_B)) for name in SERVICES}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, running(apps["notify"]):
        await staff(routing, apps["routing"], role="coordinator")
        await readable(intake, routing, old, first)
        await readable(intake, routing, new, second)
        keyring = apps["notify"].state.runtime.settings.keyring
        assert set(keyring.keks) == {"b"}
        async with apps["notify"].state.runtime.pool.acquire() as conn:
            key = await data_key(conn, uuid.UUID(old["case_id"]), keyring)
            assert key is not None
            personal = await conn.fetchval("SELECT personal FROM case_contacts WHERE case_id = $1",
                                           uuid.UUID(old["case_id"]))
            opened = unseal(key, uuid.UUID(old["case_id"]), Sealed.model_validate_json(personal),
                            sealed_place("request.submitted"))
            assert isinstance(opened, dict) and opened["contact"]["email"] == "p@example.fi"
            records = [StaffRecord.model_validate_json(r["record"])
                       for r in await conn.fetch("SELECT record FROM staff_directory")]
        assert "koordinaattori@example.fi" in {open_email(r, keyring) for r in records}
