"""Attacks on what the change agents' network keeps and for how long, on the real PostgreSQL and Kafka.

- A network coordinator disabled, moved to another role or region, or signed out of routing keeps using the
  network's session (it lasted its 4 hours).
- Whatever an agent wrote in an anonymous survey's free-text answer (a name) stays readable on the network topic,
  which is kept for ever, and in every copy of it.
- An application never confirmed, the used passes, old sessions and the event ids applied stay for ever.

Each test fails while the attack works.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from services.network import survey_texts, upkeep
from services.network.domain import new_token, token_digest
from services.routing.directory import publish_record
from shared.app import unit_of_work
from shared.network_keys import agent_data_key, network_keyring
from shared.survey_keys import record_key
from shared.topics import network_keys_topic, network_topic
from tests.attacks.test_network_attacks import COORDINATOR_WRITES, agent
from tests.integration.test_accounts import act, admin_client
from tests.integration.test_network_coordinators import client_of, passed_on
from tests.integration.test_network_recruitment import REGION, application, open_campaign
from tests.network_support import signed_in
from tests.support import APPS, eventually, read_topic, running, settings_for, staff

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery staple"  # what tests.support.staff gives every account
SECRET_WORDS = "Minun nimeni on Matti Virtanen"


async def all_text(app: FastAPI) -> str:
    """Every row of every table of the service's schemas (its own and its projection's), as text."""
    parts = []
    async with app.state.runtime.pool.acquire() as conn:
        for row in await conn.fetch("SELECT table_schema, table_name FROM information_schema.tables"
                                    " WHERE table_schema = ANY(current_schemas(false)) AND table_type = 'BASE TABLE'"):
            parts.append(await conn.fetchval(
                f'SELECT coalesce(string_agg(t::text, \'|\'), \'\') FROM "{row[0]}"."{row[1]}" t'))  # noqa: S608
    return "\n".join(parts)


async def test_a_coordinators_session_ends_when_the_directory_says_so(postgres: Any, kafka: Any, prefix: str) -> None:
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {"routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600,
                                                    network_url="http://network.example")),
            "network": APPS["network"](settings_for("network", **env))}
    async with running(apps["routing"]), running(apps["network"]):
        routing_app = apps["routing"]
        admin = await admin_client(apps)

        async def through_routing(username: str, *, new: bool = False) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
            routing, network = client_of(routing_app), client_of(apps["network"])
            if new:
                await staff(routing, routing_app, role="network_coordinator", username=username)
            else:
                signed = await routing.post("/api/v1/session", json={"username": username, "password": PASSWORD})
                assert signed.status_code == 200, signed.text
                routing.headers["X-CSRF-Token"] = signed.json()["csrf_token"]

            async def taken() -> bool | None:
                return (await passed_on(routing, network)).status_code == 303 or None

            await eventually(taken, what=f"the network to take {username}'s pass")
            assert (await network.get("/registry")).status_code == 200
            return routing, network

        async def ended(network: httpx.AsyncClient, why: str) -> None:
            async def gone() -> bool | None:
                return (await network.get("/registry")).status_code == 404 or None
            await eventually(gone, what=f"the network session to end when {why}")

        # Signing out of routing ends the network's session too.
        routing, network = await through_routing("verkosto", new=True)
        assert (await routing.post("/logout", data={"csrf": routing.headers["X-CSRF-Token"]})).status_code == 303
        await ended(network, "the coordinator signed out of routing")
        # Disabled by an admin.
        routing, network = await through_routing("verkosto")
        assert (await act(admin, "verkosto", "disable")).status_code == 303
        await ended(network, "the account was disabled")
        assert (await act(admin, "verkosto", "enable")).status_code == 303
        # Moved to another role.
        routing, network = await through_routing("verkosto")
        assert (await act(admin, "verkosto", "role", role="coordinator")).status_code == 303
        await ended(network, "the account became a case coordinator")
        # Moved to another region (the directory's record comes on the other region's staff topic).
        routing, network = await through_routing("siirtyva", new=True)
        async with routing_app.state.runtime.pool.acquire() as conn, conn.transaction():
            await conn.execute("UPDATE accounts SET region = 'pohjois-pohjanmaa' WHERE id = 'siirtyva'")
            settings = routing_app.state.runtime.settings
            await publish_record(conn, "siirtyva", keyring=settings.keyring, topic_prefix=settings.topic_prefix)
        await ended(network, "the account moved to another region")
        # The session is gone, not only refused: the page stays closed whatever the directory says next.
        assert await apps["network"].state.runtime.pool.fetchval("SELECT count(*) FROM coordinator_sessions") == 0


async def test_an_anonymous_surveys_free_texts_are_sealed_and_erased_after_the_regions_retention(
        postgres: Any, kafka: Any, prefix: str) -> None:
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    network_app = APPS["network"](settings_for("network", **env, network_url="http://network.example",
                                               survey_text_days={REGION: 30}))
    reporting_app = APPS["reporting"](settings_for("reporting", **env))
    today = datetime.now(UTC).date()
    due = today + timedelta(days=7)
    async with running(network_app) as network, running(reporting_app):
        await open_campaign(network_app, REGION, today - timedelta(days=1), today + timedelta(days=30))
        for _ in range(5):
            await agent(network, network_app)
        csrf = await signed_in(network, network_app)
        published = await network.post("/surveys", data={
            **COORDINATOR_WRITES["/surveys"], "csrf": csrf, "due": due.isoformat(), "q1_kind": "text",
            "q1_text_fi": "Muuta?", "q1_text_sv": "Annat?"})
        assert published.status_code == 303, published.text
        survey_path = published.headers["location"].split("?")[0]
        survey_id = uuid.UUID(survey_path.rsplit("/", 1)[1])
        pool = network_app.state.runtime.pool
        for i, row in enumerate(await pool.fetch("SELECT agent_id FROM survey_invitations WHERE survey_id = $1",
                                                 survey_id)):
            link = new_token()
            await pool.execute("UPDATE survey_invitations SET link_digest = $3 WHERE survey_id = $1 AND agent_id = $2",
                               survey_id, row["agent_id"], token_digest(link))
            sent = await network.post(f"/s/{link}", data={"lang": "fi", "a0": "4", "a1": f"{SECRET_WORDS} {i}"})
            assert sent.status_code == 303
        # Until the retention ends, the coordinator reads the texts (and only they: reporting counts).
        assert f"{SECRET_WORDS} 3" in (await network.get(survey_path, params={"lang": "fi"})).text
        records = await read_topic(kafka.bootstrap, network_topic(prefix, REGION), 1000, timeout=5)
        batches = [orjson.loads(r.value) for r in records if r.value and b'"survey.answers_published"' in r.value]
        assert len(batches) == 1 and batches[0]["payload"]["texts"] is not None
        assert not [r for r in records if r.value and b"Matti" in r.value]  # sealed on the stream

        async def counted() -> bool | None:
            return await reporting_app.state.runtime.pool.fetchval(
                "SELECT answers FROM network_surveys WHERE survey_id = $1", survey_id) == 5 or None

        await eventually(counted, what="reporting to count the batch")
        # The region keeps the texts 30 days after the due date: on the 30th they are still there.
        async with unit_of_work(network_app.state.runtime) as uow:
            kept = await upkeep.run(uow=uow, settings=network_app.state.runtime.settings, regions=[REGION],
                                    now=datetime.now(UTC) + timedelta(days=7 + 29))
            assert kept.survey_texts == 0
            gone = await upkeep.run(uow=uow, settings=network_app.state.runtime.settings, regions=[REGION],
                                    now=datetime.now(UTC) + timedelta(days=7 + 32))
            assert gone.survey_texts == 1
        await signed_in(network, network_app)  # the session ran out in the moved clock: a new one
        results = await network.get(survey_path, params={"lang": "fi"})
        assert results.status_code == 200 and "Matti" not in results.text
        assert "Matti" not in (await network.get(f"{survey_path}/results.csv", params={"lang": "fi"})).text
        assert "Kuinka hyvin?" in results.text  # the counts stay
        # No copy anywhere opens: no key here, its tombstone last on the key topic, no plain text in any table.
        async with pool.acquire() as conn:
            assert await survey_texts.key_of(conn, survey_id, network_app.state.runtime.settings.keyring) is None
        keys = await read_topic(kafka.bootstrap, network_keys_topic(prefix, REGION), 1000, timeout=5)
        mine = [r for r in keys if r.key == record_key(survey_id)]
        assert len(mine) == 2 and mine[0].value is not None and mine[-1].value is None
        records = await read_topic(kafka.bootstrap, network_topic(prefix, REGION), 1000, timeout=5)
        assert not [r for r in records if r.value and b"Matti" in r.value]
        for app in (network_app, reporting_app):
            assert "Matti" not in await all_text(app)


async def test_unconfirmed_applications_and_spent_bookkeeping_are_pruned(postgres: Any, kafka: Any,
                                                                         prefix: str) -> None:
    settings = settings_for("network", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap,
                            dedup_window_offsets=1)
    app = APPS["network"](settings)
    today = datetime.now(UTC).date()
    async with running(app) as network:
        await open_campaign(app, REGION, today - timedelta(days=1), today + timedelta(days=30))
        confirmed, _ = await agent(network, app)
        unconfirmed = []
        for _ in range(2):
            applied = await network.post("/api/v1/applications", json=application(
                email=f"vahvistamaton-{uuid.uuid4().hex[:6]}@example.fi"))
            unconfirmed.append(uuid.UUID(applied.json()["agent_id"]))
        await signed_in(network, app)
        pool = app.state.runtime.pool

        async def projected() -> bool | None:
            return await pool.fetchval("SELECT count(*) FROM registry") == 3 or None

        await eventually(projected, what="the three applications in the registry")
        assert await pool.fetchval("SELECT count(*) FROM processed_events") >= 3
        now = datetime.now(UTC)
        async with unit_of_work(app.state.runtime) as uow:
            # The day before the confirmation link expires, nothing of an application goes.
            early = await upkeep.run(uow=uow, settings=settings, regions=[REGION],
                                     now=now + timedelta(days=settings.confirm_days - 1))
            assert early.expired_applications == 0
            # The pass was used and the session opened at ``now``: both are past their expiry by then.
            assert early.used_passes == 1 and early.sessions == 1
            late = await upkeep.run(uow=uow, settings=settings, regions=[REGION],
                                    now=now + timedelta(days=settings.confirm_days, hours=1))
        assert late.expired_applications == 2
        assert await pool.fetchval("SELECT count(*) FROM agents WHERE agent_id = ANY($1)", unconfirmed) == 0
        assert await pool.fetchval("SELECT count(*) FROM wrapped_agent_keys WHERE agent_id = ANY($1)", unconfirmed) == 0
        assert await pool.fetchval("SELECT status FROM agents WHERE agent_id = $1", confirmed) == "confirmed"
        assert await pool.fetchval("SELECT count(*) FROM used_passes") == 0
        assert await pool.fetchval("SELECT count(*) FROM coordinator_sessions") == 0

        async def erased() -> bool | None:
            registry = await pool.fetchval("SELECT count(*) FROM registry WHERE agent_id = ANY($1)", unconfirmed)
            keys = await pool.fetchval("SELECT count(*) FROM agent_keys WHERE agent_id = ANY($1)", unconfirmed)
            return registry == 0 and keys == 0 or None

        await eventually(erased, what="the registry and the key table to lose the expired applications")
        network_keys = network_keyring(settings.keyring)
        async with pool.acquire() as conn:
            for agent_id in unconfirmed:
                assert await agent_data_key(conn, agent_id, network_keys) is None  # their sealed application is shut
            assert await agent_data_key(conn, confirmed, network_keys) is not None
        keys = await read_topic(kafka.bootstrap, network_keys_topic(prefix, REGION), 1000, timeout=5)
        for agent_id in unconfirmed:
            assert [r.value for r in keys if r.key == str(agent_id).encode()][-1] is None
        records = await read_topic(kafka.bootstrap, network_topic(prefix, REGION), 1000, timeout=5)
        expired = [orjson.loads(r.value) for r in records if r.value and b'"agent.application_expired"' in r.value]
        assert sorted(e["subject_id"] for e in expired) == sorted(str(a) for a in unconfirmed)
        # The event ids: only the last of each partition is remembered with a window of one offset.
        async with unit_of_work(app.state.runtime) as uow:
            await upkeep.run(uow=uow, settings=settings, regions=[REGION], now=datetime.now(UTC))
        partitions = await pool.fetchval("SELECT count(*) FROM projection_offsets WHERE topic = $1",
                                         network_topic(prefix, REGION))
        assert 0 < await pool.fetchval("SELECT count(*) FROM processed_events") <= partitions
