"""The change agents' recruitment on real Kafka, PostgreSQL and SMTP: an application one second before the closing
moment is kept and one second after it is refused (410), on the closing days of both daylight-saving changes;
double opt-in through the link notify mails, once; the network's records keyed by their subject and carrying
nothing personal in the clear; bad input named field by field."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from services.network import service
from services.network.domain import closing_moment
from shared.app import UnitOfWork
from shared.democlock import DEMO_TIME_HEADER
from shared.keyroll import MARKER_KEY
from shared.topics import network_keys_topic, network_topic
from tests.integration.test_notify import SmtpServer
from tests.support import APPS, eventually, read_topic, running, settings_for

pytestmark = pytest.mark.integration
REGION = "varsinais-suomi"


@pytest.fixture
async def deployment(postgres: Any, kafka: Any, prefix: str):  # type: ignore[no-untyped-def]
    smtp = SmtpServer()
    smtp.start()
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {"network": APPS["network"](settings_for("network", **env, demo_clock=True,
                                                    network_url="http://network.example")),
            "notify": APPS["notify"](settings_for("notify", **env, smtp_port=smtp.port, sender_interval_s=0.1))}
    async with running(apps["network"]) as network, running(apps["notify"]):
        yield {"apps": apps, "network": network, "smtp": smtp}
    smtp.stop()


async def open_campaign(app: Any, region: str, opening: date, closing: date) -> uuid.UUID:
    runtime = app.state.runtime
    async with runtime.pool.acquire() as conn:
        return await service.open_campaign(uow=UnitOfWork(conn), settings=runtime.settings, regions=runtime.regions,
                                           region=region, opening_day=opening, closing_day=closing)


def application(municipality: str = "raisio", **changes: Any) -> dict[str, Any]:
    return {"submission_id": str(uuid.uuid4()), "municipality": municipality, "language": "fi",
            "name": "Aino Agentti", "email": f"aino-{uuid.uuid4().hex[:8]}@example.fi", "phone": "040 123 4567",
            "organisation": "Raision kaupunki", "sector": "municipality", "themes": ["schools"],
            "languages": ["fi", "sv"], "why": "Haluan auttaa perheitä.", "consent": True, **changes}


@pytest.mark.parametrize(("region", "municipality", "closing_day"), [
    # The closing day of autumn's change has 25 hours: the moment is 22:00 UTC, not 21:00.
    ("varsinais-suomi", "raisio", date(2026, 10, 25)),
    # The closing day of spring's change has 23 hours: the moment is 21:00 UTC, not 22:00.
    ("pohjois-pohjanmaa", "oulu", date(2026, 3, 29)),
])
async def test_a_second_before_the_closing_moment_is_kept_and_a_second_after_is_refused(
        deployment: dict[str, Any], region: str, municipality: str, closing_day: date) -> None:
    network, app = deployment["network"], deployment["apps"]["network"]
    await open_campaign(app, region, closing_day - timedelta(days=30), closing_day)
    moment = closing_moment(closing_day)
    assert moment.hour == (22 if closing_day.month == 10 else 21)

    before = application(municipality)
    kept = await network.post("/api/v1/applications", json=before,
                              headers={DEMO_TIME_HEADER: (moment - timedelta(seconds=1)).isoformat()})
    assert kept.status_code == 201, kept.text
    after = application(municipality)
    refused = await network.post("/api/v1/applications", json=after,
                                 headers={DEMO_TIME_HEADER: (moment + timedelta(seconds=1)).isoformat()})
    assert refused.status_code == 410, refused.text
    assert refused.json()["error"] == "recruitment_closed"
    at_the_moment = await network.post("/api/v1/applications", json=application(municipality),
                                       headers={DEMO_TIME_HEADER: moment.isoformat()})
    assert at_the_moment.status_code == 410
    pool = app.state.runtime.pool
    stored = await pool.fetch("SELECT submission_id FROM agents WHERE region = $1", region)
    assert [str(r["submission_id"]) for r in stored] == [before["submission_id"]]
    # A retry of the kept one is the same applicant, even after the moment.
    again = await network.post("/api/v1/applications", json=before,
                               headers={DEMO_TIME_HEADER: (moment + timedelta(hours=1)).isoformat()})
    assert again.status_code == 200 and again.json()["agent_id"] == kept.json()["agent_id"]

    # The form today (after the closing day) is the closed page, and a sent form is refused with it.
    page = await network.get(f"/join/{municipality}", params={"lang": "sv"})
    assert page.status_code == 410 and "Ansökningstiden har gått ut" in page.text
    form = {k: v for k, v in application(municipality).items() if k not in ("consent", "themes", "languages")}
    sent = await network.post(f"/join/{municipality}", data={**form, "lang": "fi", "consent": "yes",
                                                            "themes": "schools", "languages": "fi"})
    assert sent.status_code == 410 and "Haku on päättynyt" in sent.text


async def test_double_opt_in_through_the_mailed_link_once(deployment: dict[str, Any], kafka: Any,
                                                         prefix: str) -> None:
    network, app, smtp = deployment["network"], deployment["apps"]["network"], deployment["smtp"]
    today = datetime.now(UTC).date()
    await open_campaign(app, REGION, today - timedelta(days=1), today + timedelta(days=30))
    body = application()
    applied = await network.post("/api/v1/applications", json=body)
    assert applied.status_code == 201, applied.text
    agent_id = applied.json()["agent_id"]

    async def mailed() -> list[Any] | None:
        return [m for m in smtp.mailbox.messages if m["To"] == body["email"]] or None

    [mail] = await eventually(mailed, what="the confirmation link in the applicant's mailbox")
    text = mail.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://network\.example/confirm\?\S+", text)
    assert link, text
    assert body["name"] not in text and body["why"] not in text
    token = parse_qs(urlsplit(link.group(0)).query)["token"][0]

    shown = await network.get("/confirm", params={"token": token, "lang": "fi"})
    assert shown.status_code == 200 and 'name="token"' in shown.text  # opening the link confirms nothing
    pool = app.state.runtime.pool
    assert await pool.fetchval("SELECT status FROM agents WHERE agent_id = $1", uuid.UUID(agent_id)) == "applied"
    confirmed = await network.post("/confirm", data={"token": token, "lang": "fi"})
    assert confirmed.status_code == 200 and "Tervetuloa" in confirmed.text
    assert await pool.fetchval("SELECT status FROM agents WHERE agent_id = $1", uuid.UUID(agent_id)) == "confirmed"
    assert (await network.post("/confirm", data={"token": token, "lang": "fi"})).status_code == 404
    assert (await network.post("/api/v1/confirmations", json={"token": token})).status_code == 404

    async def registered() -> str | None:
        return await pool.fetchval("SELECT status FROM registry WHERE agent_id = $1 AND status = 'confirmed'",
                                   uuid.UUID(agent_id))

    await eventually(registered, what="the projection's registry to show the confirmation")
    # The confirmation was mailed once; after it, the welcome with the personal link, once.
    async def welcomed() -> list[str] | None:
        found = sorted(m["Subject"] for m in smtp.mailbox.messages if m["To"] == body["email"])
        return found if len(found) >= 2 else None

    subjects = await eventually(welcomed, what="the welcome mail")
    assert subjects == ["Tervetuloa muutosagenttien verkostoon", "Vahvista hakemuksesi muutosagentiksi"]

    records = await read_topic(kafka.bootstrap, network_topic(prefix, REGION), 4)
    mine = [r for r in records if r.key == agent_id.encode()]
    assert {orjson.loads(r.value)["type"] for r in mine} == {"agent.applied", "network.mail_requested",
                                                             "agent.confirmed"}
    for record in records:
        raw = record.value.decode()
        assert "case_id" not in orjson.loads(record.value)
        for secret in (body["name"], body["email"], "401234567", body["why"], body["organisation"], token):
            assert secret not in raw
    keys = await read_topic(kafka.bootstrap, network_keys_topic(prefix, REGION), 1)
    assert [r.key for r in keys if r.key != MARKER_KEY] == [agent_id.encode()]


async def test_bad_input_is_named_and_nothing_is_kept(deployment: dict[str, Any]) -> None:
    network, app = deployment["network"], deployment["apps"]["network"]
    today = datetime.now(UTC).date()
    await open_campaign(app, REGION, today - timedelta(days=1), today + timedelta(days=30))
    for changes, field in (({"email": "x"}, "email"), ({"themes": []}, "themes"), ({"consent": False}, "consent"),
                           ({"phone": "soita"}, "phone"), ({"municipality": "atlantis"}, "municipality")):
        answer = await network.post("/api/v1/applications", json=application(**changes))
        assert answer.status_code == 422, (changes, answer.text)
        assert field in answer.text, (field, answer.text)
    form = await network.post("/join/raisio", data={"lang": "sv", "name": "Anna", "email": "nope",
                                                    "organisation": "Skolan", "sector": "school", "why": "Jo.",
                                                    "themes": "youth", "languages": "sv"})
    assert form.status_code == 422
    assert "Skriv en e-postadress" in form.text and "godkänner" in form.text
    assert await app.state.runtime.pool.fetchval("SELECT count(*) FROM agents") == 0
