"""Surveys on real Kafka, PostgreSQL and SMTP: an anonymous survey reaches its segment once each; its answers leave
for the stream only in a shuffled batch with no agent id and the day as its only time, one answer per agent; one
reminder goes to those who have not answered; results hide small counts and download as CSV and XLSX; a named
survey's answer names its agent."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from services.network import surveys
from shared.topics import network_topic
from tests.integration.test_network_recruitment import REGION, application, deployment, open_campaign  # noqa: F401
from tests.network_support import signed_in
from tests.support import eventually, read_topic

pytestmark = pytest.mark.integration
SUBJECT = "Kysely muutosagenteille"
REMINDER = "Muistutus: kysely muutosagenteille"


def mails(smtp: Any, subject: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for message in smtp.mailbox.messages:
        if message["Subject"] == subject:
            found.setdefault(message["To"], []).append(message.get_body(preferencelist=("plain",)).get_content())
    return found


async def agents(network: Any, pool: Any, count: int) -> tuple[list[str], list[str]]:
    emails, ids = [], []
    for i in range(count):
        body = application(email=f"kysely-{i}-{uuid.uuid4().hex[:6]}@example.fi")
        applied = await network.post("/api/v1/applications", json=body)
        ids.append(applied.json()["agent_id"])
        await pool.execute("UPDATE agents SET status = 'confirmed' WHERE agent_id = $1", uuid.UUID(ids[-1]))
        emails.append(body["email"])
    return emails, ids


QUESTIONS = {"q0_kind": "single", "q0_text_fi": "Näitkö napin?", "q0_text_sv": "Såg du knappen?",
             "q0_options_fi": "Kyllä\nEn", "q0_options_sv": "Ja\nNej", "q1_kind": "text", "q1_text_fi": "Muuta?",
             "q1_text_sv": "Annat?"}


async def test_an_anonymous_surveys_answers_cannot_be_led_back_to_invitations(deployment: dict[str, Any],  # noqa: F811
                                                                             kafka: Any, prefix: str) -> None:
    network, apps, smtp = deployment["network"], deployment["apps"], deployment["smtp"]
    today = datetime.now(UTC).date()
    await open_campaign(apps["network"], REGION, today - timedelta(days=1), today + timedelta(days=30))
    pool = apps["network"].state.runtime.pool
    emails, ids = await agents(network, pool, 7)
    csrf = await signed_in(network, apps["network"])
    refused = await network.post("/surveys", data={"csrf": csrf, "lang": "fi", "title_fi": "K",
                                                   "title_sv": "E",
                                                   "due": today.isoformat(), "q0_kind": "single",
                                                   "q0_text_fi": "a", "q0_text_sv": "b", "q0_options_fi": "yksi"})
    assert refused.status_code == 422
    published = await network.post("/surveys", data={"csrf": csrf, "lang": "fi",
                                                     "title_fi": "Napin näkyvyys",
                                                     "title_sv": "Knappens synlighet", "anonymous": "yes",
                                                     "due": (today + timedelta(days=7)).isoformat(), **QUESTIONS})
    assert published.status_code == 303, published.text
    survey_path = published.headers["location"].split("?")[0]
    survey_id = survey_path.rsplit("/", 1)[1]

    async def all_invited() -> dict[str, list[str]] | None:
        found = mails(smtp, SUBJECT)
        return found if len(found) == 7 else None

    invited = await eventually(all_invited, what="the survey's mail to the seven agents")
    await asyncio.sleep(1)
    assert all(len(m) == 1 for m in mails(smtp, SUBJECT).values())
    links = {email: re.search(r"http://network\.example(/s/[A-Za-z0-9_-]+)", texts[0]).group(1)
             for email, texts in invited.items()}

    page = await network.get(links[emails[0]], params={"lang": "fi"})
    assert page.status_code == 200 and "Kysely on nimetön" in page.text and "Näitkö napin?" in page.text
    bad = await network.post(links[emails[0]], data={"lang": "fi", "a0": "9"})
    assert bad.status_code == 422
    for i, email in enumerate(emails[:4]):
        sent = await network.post(links[email], data={"lang": "fi", "a0": "0", "a1": f"vastaus {i}"})
        assert sent.status_code == 303
    # One answer per agent: a second one is not kept.
    await network.post(links[emails[0]], data={"lang": "fi", "a0": "1"})
    assert await pool.fetchval("SELECT count(*) FROM pending_answers") == 4
    assert await pool.fetchval("SELECT count(*) FROM survey_results") == 0  # nothing has left yet
    sent = await network.post(links[emails[4]], data={"lang": "fi", "a0": "0", "a1": "vastaus 4"})
    assert sent.status_code == 303
    assert await pool.fetchval("SELECT count(*) FROM pending_answers") == 0
    assert await pool.fetchval("SELECT count(*) FROM survey_results") == 5

    records = await read_topic(kafka.bootstrap, network_topic(prefix, REGION), 24)
    batches = [orjson.loads(r.value) for r in records if b'"survey.answers_published"' in r.value]
    assert len(batches) == 1
    batch = batches[0]
    assert batch["subject_id"] == survey_id
    assert batch["occurred_at"].endswith("T00:00:00Z") or batch["occurred_at"].endswith("T00:00:00+00:00")
    raw = orjson.dumps(batch).decode()
    assert "agent_id" not in raw and not any(agent_id in raw for agent_id in ids)
    # The free texts leave sealed with the survey's key: the answers carry the choices only.
    assert [a["1"] for a in batch["payload"]["answers"]] == [None] * 5
    assert batch["schema_version"] == 2 and batch["payload"]["texts"]["ciphertext"] and "vastaus" not in raw
    # Nothing on the stream says who answered: no event per answer, and no agent's key on the survey's records.
    survey_records = [orjson.loads(r.value) for r in records if r.key == survey_id.encode()]
    assert {r["type"] for r in survey_records} == {"survey.published", "survey.answers_published"}
    columns = {r["column_name"] for r in await pool.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name IN ('survey_results', 'pending_answers',"
        " 'survey_invitations') AND table_schema = $1", apps["network"].state.runtime.settings.db_schema)}
    assert {"answers", "answered", "link_digest"} <= columns and not {c for c in columns if c.endswith("_at")}

    reminded = await network.post(f"{survey_path}/remind", data={"csrf": csrf})
    assert reminded.status_code == 303 and "reminded=2" in reminded.headers["location"]
    assert "reminded=0" in (await network.post(f"{survey_path}/remind", data={"csrf": csrf})).headers["location"]

    async def reminders() -> dict[str, list[str]] | None:
        found = mails(smtp, REMINDER)
        return found if len(found) == 2 else None

    assert set(await eventually(reminders, what="two reminders")) == set(emails[5:])

    results = await network.get(survey_path, params={"lang": "fi"})
    assert results.status_code == 200 and "vastaus 3" in results.text  # free text, to the coordinator only
    assert "<td>x</td>" in results.text  # nobody chose "En": under five, hidden like any small count
    csv = await network.get(f"{survey_path}/results.csv", params={"lang": "fi"})
    assert csv.status_code == 200 and "Kyllä,5" in csv.text and "En,x" in csv.text
    xlsx = await network.get(f"{survey_path}/results.xlsx", params={"lang": "sv"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


async def test_a_named_surveys_answer_names_its_agent(deployment: dict[str, Any], kafka: Any,  # noqa: F811
                                                      prefix: str) -> None:
    network, apps, smtp = deployment["network"], deployment["apps"], deployment["smtp"]
    today = datetime.now(UTC).date()
    await open_campaign(apps["network"], REGION, today - timedelta(days=1), today + timedelta(days=30))
    pool = apps["network"].state.runtime.pool
    emails, ids = await agents(network, pool, 1)
    csrf = await signed_in(network, apps["network"])
    published = await network.post("/surveys", data={"csrf": csrf, "lang": "fi", "title_fi": "Nimellinen",
                                                     "title_sv": "Med namn", "anonymous": "no",
                                                     "due": today.isoformat(), **QUESTIONS})
    assert published.status_code == 303

    async def invited() -> dict[str, list[str]] | None:
        return mails(smtp, SUBJECT) or None

    text = (await eventually(invited, what="the named survey's mail"))[emails[0]][0]
    link = re.search(r"http://network\.example(/s/[A-Za-z0-9_-]+)", text).group(1)
    assert "Kysely on nimellinen" in (await network.get(link, params={"lang": "fi"})).text
    assert (await network.post(link, data={"lang": "fi", "a0": "0", "a1": "nimellinen vastaus"})).status_code == 303
    records = await read_topic(kafka.bootstrap, network_topic(prefix, REGION), 6)
    answered = [orjson.loads(r.value) for r in records if b'"survey.answered"' in r.value]
    assert [a["payload"]["agent_id"] for a in answered] == ids
    # Its free text is sealed with the survey's key on the stream too; the coordinator's results open it.
    assert answered[0]["payload"]["answers"]["1"] is None and answered[0]["payload"]["texts"]["ciphertext"]
    assert not [r for r in records if r.value and b"nimellinen vastaus" in r.value]
    survey_id = uuid.UUID(published.headers["location"].split("?")[0].rsplit("/", 1)[1])
    async with pool.acquire() as conn:
        found = await surveys.survey_of(conn, survey_id, REGION, apps["network"].state.runtime.settings.keyring)
    assert [a["1"] for a in found["answers"]] == ["nimellinen vastaus"]
