"""Tasks on real Kafka, PostgreSQL and SMTP: a task published to a segment is mailed to exactly the agents in it
who are in the network (not those on a break, not applicants), once each; an agent accepts it and reports back
through their link; the coordinator sees the completion; the note travels sealed."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.topics import network_topic
from tests.integration.test_network_coordinators import client_of
from tests.integration.test_network_recruitment import REGION, application, deployment, open_campaign  # noqa: F401
from tests.network_support import signed_in
from tests.support import eventually, read_topic

pytestmark = pytest.mark.integration
TASK_SUBJECT = "Uusi tehtävä muutosagenteille"


async def test_a_task_reaches_exactly_its_segment_once_and_is_reported(deployment: dict[str, Any],  # noqa: F811
                                                                       kafka: Any, prefix: str) -> None:
    network, apps, smtp = deployment["network"], deployment["apps"], deployment["smtp"]
    today = datetime.now(UTC).date()
    await open_campaign(apps["network"], REGION, today - timedelta(days=1), today + timedelta(days=30))
    pool = apps["network"].state.runtime.pool
    people = {"in": ("raisio", "school", "confirmed"), "other_sector": ("raisio", "ngo", "confirmed"),
              "other_place": ("naantali", "school", "confirmed"), "on_break": ("raisio", "school", "paused"),
              "applicant": ("raisio", "school", "applied"), "also_in": ("raisio", "school", "active")}
    emails = {}
    for who, (municipality, sector, status) in people.items():
        body = application(municipality, sector=sector, email=f"{who}-{uuid.uuid4().hex[:6]}@example.fi")
        applied = await network.post("/api/v1/applications", json=body)
        assert applied.status_code == 201, applied.text
        await pool.execute("UPDATE agents SET status = $2 WHERE agent_id = $1", uuid.UUID(applied.json()["agent_id"]),
                           status)
        emails[who] = body["email"]

    csrf = await signed_in(network, apps["network"], language="fi")
    bad = await network.post("/tasks", data={"csrf": csrf, "lang": "fi", "title_fi": "", "title_sv": "Uppdrag",
                                             "brief_fi": "x", "brief_sv": "y", "due": ""})
    assert bad.status_code == 422 and "Kirjoita otsikko" in bad.text
    published = await network.post("/tasks", data={
        "csrf": csrf, "lang": "fi", "title_fi": "Kerro napista vanhempainillassa",
        "title_sv": "Berätta om knappen på föräldramötet",
        "brief_fi": "Esittele Pyydä apua -nappi.", "brief_sv": "Presentera knappen Be om hjälp.",
        "due": (today + timedelta(days=14)).isoformat(), "municipalities": ["raisio"], "sectors": ["school"]})
    assert published.status_code == 303, published.text
    task_path = published.headers["location"].split("?")[0]

    def task_mails() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for message in smtp.mailbox.messages:
            if message["Subject"] == TASK_SUBJECT:
                found.setdefault(message["To"], []).append(message.get_body(preferencelist=("plain",)).get_content())
        return found

    async def both_mailed() -> dict[str, list[str]] | None:
        found = task_mails()
        return found if len(found) >= 2 else None

    await eventually(both_mailed, what="the task's mail to the two agents in the segment")
    await asyncio.sleep(2)  # anything more would have come by now: the sender runs every 0.1 s
    mails = task_mails()
    assert set(mails) == {emails["in"], emails["also_in"]}
    assert all(len(texts) == 1 for texts in mails.values())
    link = re.search(r"http://network\.example(/t/[A-Za-z0-9_-]+)\?lang=fi", mails[emails["in"]][0])
    assert link, mails[emails["in"]][0]

    agent = network  # the same client holds the coordinator's cookie; the link needs none
    page = await agent.get(link.group(1), params={"lang": "fi"})
    assert page.status_code == 200 and "Kerro napista vanhempainillassa" in page.text
    assert (await agent.post(link.group(1), data={"action": "accept", "lang": "fi"})).status_code == 303
    wrong = await agent.post(link.group(1), data={"action": "report", "lang": "fi", "reached": "paljon"})
    assert wrong.status_code == 422 and "numerona" in wrong.text
    note = f"Huomio {uuid.uuid4().hex[:8]}"
    reported = await agent.post(link.group(1), data={"action": "report", "lang": "fi", "reached": "12", "note": note})
    assert reported.status_code == 303 and "done=reported" in reported.headers["location"]
    again = await agent.get(link.group(1), params={"lang": "fi"})
    assert "Olet raportoinut" in again.text

    summary = await network.get(task_path, params={"lang": "fi"})
    assert summary.status_code == 200
    assert "Tehtävä lähti 2 agentille; 1 on raportoinut ja tavoittanut yhteensä 12 ihmistä." in summary.text
    records = await read_topic(kafka.bootstrap, network_topic(prefix, REGION), 18)
    assert any(b'"task.reported"' in r.value for r in records)
    assert not any(note.encode() in r.value for r in records)
    # Case staff (no coordinator session) find no task pages.
    stranger = client_of(apps["network"])
    assert (await stranger.get(task_path)).status_code == 404
    assert (await stranger.get("/tasks")).status_code == 404


NEWS_SUBJECT = {"fi": "Uutisia muutosagenttien verkostosta", "sv": "Nyheter från förändringsagenternas nätverk"}


async def test_news_reach_the_segment_once_in_each_language_and_unsubscribing_stops_them(
        deployment: dict[str, Any]) -> None:  # noqa: F811
    network, apps, smtp = deployment["network"], deployment["apps"], deployment["smtp"]
    today = datetime.now(UTC).date()
    await open_campaign(apps["network"], REGION, today - timedelta(days=1), today + timedelta(days=30))
    pool = apps["network"].state.runtime.pool
    emails = {}
    for who, lang, sector in (("fi_school", "fi", "school"), ("sv_school", "sv", "school"), ("ngo", "fi", "ngo")):
        body = application(sector=sector, language=lang, email=f"{who}-{uuid.uuid4().hex[:6]}@example.fi")
        applied = await network.post("/api/v1/applications", json=body)
        await pool.execute("UPDATE agents SET status = 'confirmed' WHERE agent_id = $1",
                           uuid.UUID(applied.json()["agent_id"]))
        emails[who] = body["email"]
    csrf = await signed_in(network, apps["network"], language="sv")
    news = {"csrf": csrf, "lang": "sv", "title_fi": "Nappi uudistui", "title_sv": "Knappen har förnyats",
            "body_fi": "Uusi nappi on nyt käytössä.", "body_sv": "Den nya knappen används nu.", "sectors": ["school"]}
    assert (await network.post("/news", data=news)).status_code == 303

    def news_mails() -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for message in smtp.mailbox.messages:
            if message["Subject"] in NEWS_SUBJECT.values():
                found.setdefault(message["To"], []).append(message)
        return found

    async def both() -> dict[str, list[Any]] | None:
        return news_mails() if len(news_mails()) >= 2 else None

    await eventually(both, what="the news to the two school agents")
    await asyncio.sleep(2)
    mails = news_mails()
    assert set(mails) == {emails["fi_school"], emails["sv_school"]} and all(len(m) == 1 for m in mails.values())
    swedish = mails[emails["sv_school"]][0]
    assert swedish["Subject"] == NEWS_SUBJECT["sv"]
    link = re.search(r"http://network\.example(/n/[A-Za-z0-9_-]+)\?lang=sv",
                     swedish.get_body(preferencelist=("plain",)).get_content())
    assert link
    page = await network.get(link.group(1), params={"lang": "sv"})
    assert page.status_code == 200 and "Knappen har förnyats" in page.text and "Den nya knappen" in page.text
    assert (await network.post(link.group(1), data={"lang": "sv"})).status_code == 303
    assert "Du får inte längre nyheter" in (await network.get(link.group(1), params={"lang": "sv"})).text

    assert (await network.post("/news", data={**news, "title_fi": "Toinen", "title_sv": "Andra"})).status_code == 303

    async def second() -> dict[str, list[Any]] | None:
        found = news_mails()
        return found if len(found.get(emails["fi_school"], [])) >= 2 else None

    await eventually(second, what="the second news to the Finnish school agent")
    await asyncio.sleep(2)
    assert len(news_mails()[emails["sv_school"]]) == 1  # unsubscribed: no second news
