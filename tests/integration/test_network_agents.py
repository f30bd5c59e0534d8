"""An agent's personal link on real Kafka, PostgreSQL and SMTP: mailed once after the confirmation, it shows and
changes the profile, pauses and comes back; leaving erases the agent's personal data from every table and their key
from the key topic (a tombstone), while the registry still counts them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from shared.keyroll import MARKER_KEY
from shared.topics import network_keys_topic
from tests.integration.test_network_recruitment import REGION, application, deployment, open_campaign  # noqa: F401
from tests.support import eventually, read_topic

pytestmark = pytest.mark.integration


async def mail_to(smtp: Any, address: str, count: int) -> list[str]:
    async def arrived() -> list[str] | None:
        found = [m.get_body(preferencelist=("plain",)).get_content() for m in smtp.mailbox.messages
                 if m["To"] == address]
        return found if len(found) >= count else None

    return await eventually(arrived, what=f"{count} message(s) to the agent")


async def test_the_personal_link_pauses_changes_and_leaving_erases(deployment: dict[str, Any],  # noqa: F811
                                                                   kafka: Any, prefix: str) -> None:
    network, apps, smtp = deployment["network"], deployment["apps"], deployment["smtp"]
    today = datetime.now(UTC).date()
    await open_campaign(apps["network"], REGION, today - timedelta(days=1), today + timedelta(days=30))
    body = application()
    agent_id = uuid.UUID((await network.post("/api/v1/applications", json=body)).json()["agent_id"])
    [confirm_mail] = await mail_to(smtp, body["email"], 1)
    token = parse_qs(urlsplit(re.search(r"http://network\.example/confirm\?\S+", confirm_mail).group(0)).query)[
        "token"][0]
    assert (await network.post("/api/v1/confirmations", json={"token": token})).status_code == 200
    welcome = (await mail_to(smtp, body["email"], 2))[1]
    link = re.search(r"http://network\.example(/me/[A-Za-z0-9_-]+)\?lang=fi", welcome)
    assert link, welcome
    me = link.group(1)

    page = await network.get(me, params={"lang": "fi"})
    assert page.status_code == 200 and body["name"] in page.text and body["email"] in page.text
    paused = await network.post(f"{me}/status", data={"action": "pause", "lang": "fi"})
    assert paused.status_code == 303
    pool = apps["network"].state.runtime.pool
    assert await pool.fetchval("SELECT status FROM agents WHERE agent_id = $1", agent_id) == "paused"
    assert (await network.post(f"{me}/status", data={"action": "back", "lang": "fi"})).status_code == 303
    changed = await network.post(f"{me}/profile", data={
        "lang": "sv", "name": "Aino Uusi", "email": body["email"], "phone": "", "organisation": "Nådendals stad",
        "sector": "school", "municipality": "naantali", "themes": ["youth"], "languages": ["sv"]})
    assert changed.status_code == 303
    page = await network.get(me, params={"lang": "sv"})
    assert "Aino Uusi" in page.text and "Nådendals stad" in page.text
    bad = await network.post(f"{me}/profile", data={"lang": "fi", "name": "", "email": "x", "organisation": "O",
                                                    "sector": "school", "municipality": "naantali",
                                                    "themes": ["youth"], "languages": ["fi"]})
    assert bad.status_code == 422 and "Kirjoita nimesi" in bad.text

    async def registry(status: str, municipality: str = "naantali") -> Any:
        return await pool.fetchrow("SELECT * FROM registry WHERE agent_id = $1 AND status = $2 AND municipality = $3"
                                   " AND sector = 'school'", agent_id, status, municipality)

    await eventually(lambda: registry("confirmed"), what="the registry to show the agent back, in Naantali")

    asked = await network.post(f"{me}/status", data={"action": "leave", "lang": "fi"})
    assert asked.status_code == 303 and asked.headers["location"].startswith(f"{me}/leave")
    assert await pool.fetchval("SELECT status FROM agents WHERE agent_id = $1", agent_id) == "confirmed"
    left = await network.post(f"{me}/status", data={"action": "leave-confirmed", "lang": "fi"})
    assert left.status_code == 200 and "Olet eronnut" in left.text

    # Erased at once in the network's own tables; the counted facts remain.
    agent = await pool.fetchrow("SELECT * FROM agents WHERE agent_id = $1", agent_id)
    assert agent["status"] == "left" and agent["personal"] is None and agent["link_digest"] is None
    assert agent["municipality"] == "naantali"
    assert await pool.fetchval("SELECT count(*) FROM wrapped_agent_keys WHERE agent_id = $1", agent_id) == 0
    assert (await network.get(me, params={"lang": "fi"})).status_code == 404

    # The tombstone reaches the key topic, the projection's keys and notify's keys and mail.
    keys = await read_topic(kafka.bootstrap, network_keys_topic(prefix, REGION), 2)
    assert [(r.key, r.value is None) for r in keys if r.key != MARKER_KEY] == [
        (str(agent_id).encode(), False), (str(agent_id).encode(), True)]
    notify_pool = apps["notify"].state.runtime.pool

    async def erased_everywhere() -> bool | None:
        left_rows = (await pool.fetchval("SELECT count(*) FROM agent_keys WHERE agent_id = $1", agent_id)
                     + await notify_pool.fetchval("SELECT count(*) FROM agent_keys WHERE agent_id = $1", agent_id)
                     + await notify_pool.fetchval("SELECT count(*) FROM network_mail WHERE agent_id = $1", agent_id))
        return left_rows == 0 or None

    await eventually(erased_everywhere, what="the agent's key to leave the projection and notify")
    await eventually(lambda: registry("left"), what="the registry to count the agent as left")
    counted = await pool.fetchval("SELECT count(*) FROM registry WHERE region = $1", REGION)
    assert counted == 1
