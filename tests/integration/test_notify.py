"""Notifications through a real SMTP server (aiosmtpd) and a real HTTP SMS gateway on loopback."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from deploy.local.infra import free_port
from services.notify.projection import projection as notify_projection
from shared.rebuild import rebuild
from shared.topics import cases_topic
from tests.support import (
    APPS,
    LiveServer,
    eventually,
    read_topic,
    request_body,
    running,
    settings_for,
    staff,
)

pytestmark = pytest.mark.integration


class Mailbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def ids(self) -> Counter[str]:
        return Counter(m["X-Apua-Notification"] for m in self.messages)

    def texts(self) -> str:
        return "\n".join(m.as_string() for m in self.messages)


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def gateway(received: list[dict], refuse: set[str]) -> FastAPI:
    app = FastAPI()

    @app.post("/sms")
    async def sms(request: Request) -> JSONResponse:
        body = await request.json()
        if body["to"] in refuse:
            return JSONResponse({"error": "unknown number"}, status_code=400)
        received.append({**body, "key": request.headers.get("idempotency-key")})
        return JSONResponse({"status": "queued"}, status_code=202)

    return app


@pytest.fixture
async def channels():
    smtp = SmtpServer()
    smtp.start()
    sms: list[dict] = []
    refuse = {"+358409999999"}
    port = free_port()
    async with LiveServer(gateway(sms, refuse), port) as server:
        yield smtp, sms, f"{server.url}/sms"
    smtp.stop()


@pytest.fixture
async def stack(postgres, kafka, prefix, channels):
    smtp, sms, sms_url = channels
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {
        "intake": APPS["intake"](settings_for("intake", **env)),
        "routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600)),
        "notify": APPS["notify"](settings_for("notify", **env, smtp_port=smtp.port, sms_url=sms_url,
                                              retry_base_s=0.3, send_attempts=10, sender_interval_s=0.1)),
    }
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, \
            running(apps["notify"]) as notify:
        yield {"intake": intake, "routing": routing, "notify": notify, "apps": apps, "smtp": smtp, "sms": sms}


async def statuses(notify) -> Counter[str]:
    return Counter(n["status"] for n in (await notify.get("/api/v1/notifications", params={"limit": 1000})).json())


async def test_burst_while_smtp_is_down_arrives_exactly_once(stack, postgres, kafka, prefix):
    intake, notify, smtp, sms = stack["intake"], stack["notify"], stack["smtp"], stack["sms"]
    smtp.stop()
    for i in range(8):
        body = request_body("raisio", contact={"method": "email", "email": f"perhe{i}@example.fi"})
        assert (await intake.post("/api/v1/requests", json=body)).status_code == 201
    for i in range(4):
        body = request_body("oulu", contact={"method": "sms", "phone": f"040 555 00{i:02d}"})
        assert (await intake.post("/api/v1/requests", json=body)).status_code == 201

    async def retrying():
        s = await statuses(notify)
        return s if s["retry"] >= 8 else None

    await eventually(retrying, what="e-mails to wait for the SMTP server")

    async def texts_sent():
        return len(sms) == 4

    await eventually(texts_sent, what="text messages to go through meanwhile")
    smtp.start()

    async def delivered():
        s = await statuses(notify)
        return s if s == Counter({"sent": 24}) else None  # 8 + 4 family receipts, 12 words to coordinators

    await eventually(delivered, timeout=60, what="every notification to be sent")
    ids = smtp.mailbox.ids()
    assert len(ids) == 20 and set(ids.values()) == {1}
    assert len({m["key"] for m in sms}) == 4 and {m["to"] for m in sms} == {f"+35840555000{i}" for i in range(4)}
    receipts = [m for m in smtp.mailbox.messages if m["To"].startswith("perhe")]
    assert len(receipts) == 8 and all("viimeistään" in m.get_body(("plain",)).get_content() for m in receipts)

    # A replay from offset 0 sends nothing new.
    runtime = stack["apps"]["notify"].state.runtime
    proj = notify_projection(runtime)
    result = await rebuild(dsn=postgres.dsn, service_schema=runtime.settings.db_schema,
                           projection_schema=runtime.projection_schema, bootstrap=kafka.bootstrap,
                           topics=runtime.projection_topics(proj), projection=proj)
    assert result.records >= 24
    await asyncio.sleep(1.5)
    assert await statuses(notify) == Counter({"sent": 24})
    assert len(smtp.mailbox.messages) == 20 and len(sms) == 4
    events = await read_topic(kafka.bootstrap, cases_topic(prefix, "varsinais-suomi"), expected=8 + 8 + 8)
    assert sum(json.loads(r.value)["type"] == "notification.sent" for r in events) == 16


async def test_no_message_carries_what_the_family_or_staff_wrote(stack):
    intake, routing, notify, smtp, sms = (stack[k] for k in ("intake", "routing", "notify", "smtp", "sms"))
    await staff(routing, stack["apps"]["routing"])
    words = "SALAINEN-PERHEEN-SANA"
    reply = "SALAINEN-VASTAUS"
    cases = []
    for contact in ({"method": "email", "email": "aiti@example.fi"}, {"method": "sms", "phone": "0401112222"}):
        body = request_body("naantali", message=f"Viesti {words}", contact=contact)
        cases.append((await intake.post("/api/v1/requests", json=body)).json()["case_id"])
    for case_id in cases:
        async def visible(case_id=case_id):
            return (await routing.get(f"/api/v1/cases/{case_id}")).status_code == 200

        await eventually(visible, what="the case in routing")
        done = await routing.post(f"/api/v1/cases/{case_id}/commands", json={
            "command": "reply", "expected_version": 0, "arguments": {"text": reply}})
        assert done.status_code == 200
        done = await routing.post(f"/api/v1/cases/{case_id}/commands", json={
            "command": "assign", "expected_version": 1,
            "arguments": {"assignee_kind": "team", "assignee_id": "family-work"}})
        assert done.status_code == 200

    async def all_sent():
        s = await statuses(notify)
        return s if s == Counter({"sent": 8}) else None  # 2 receipts, 2 replies waiting, 2 new, 2 assigned

    await eventually(all_sent, timeout=30, what="receipts, replies waiting and staff notices")
    everything = smtp.mailbox.texts() + json.dumps(sms)
    assert words not in everything and reply not in everything and "Viesti" not in everything
    waiting = [m for m in sms if "vastattu" in m["text"]]
    assert len(waiting) == 1 and "/status?ref=" in waiting[0]["text"]
    assert {m["To"] for m in smtp.mailbox.messages} == {"aiti@example.fi", "koordinaattorit@varha.example",
                                                        "family-work@varha.example"}
    # The team's mailbox reads "to your team".
    team_mails = [m for m in smtp.mailbox.messages if m["To"] == "family-work@varha.example"]
    assert team_mails and all(m["Subject"].endswith("ohjattiin tiimillenne") for m in team_mails)


async def test_a_send_that_can_never_succeed_is_reported(stack, kafka, prefix):
    intake, notify, smtp = stack["intake"], stack["notify"], stack["smtp"]
    body = request_body("raisio", contact={"method": "sms", "phone": "040 999 9999"})  # the gateway refuses it
    case_id = (await intake.post("/api/v1/requests", json=body)).json()["case_id"]

    async def told():
        rows = (await notify.get("/api/v1/notifications", params={"case_id": case_id})).json()
        by_template = {r["template"]: r["status"] for r in rows}
        return by_template if by_template.get("notification_failed") == "sent" else None

    outcome = await eventually(told, timeout=30, what="the coordinators to hear of the failure")
    assert outcome["request_receipt"] == "failed"
    failed = [m for m in smtp.mailbox.messages if "ei saatu" in m["Subject"]]
    assert len(failed) == 1 and failed[0]["To"] == "koordinaattorit@varha.example"
    events = await read_topic(kafka.bootstrap, cases_topic(prefix, "varsinais-suomi"), expected=3)
    failures = [json.loads(r.value) for r in events if json.loads(r.value)["type"] == "notification.failed"]
    assert len(failures) == 1 and failures[0]["payload"]["reason"] == "SMS gateway answered 400"
    # No way of writing the number (not a bare "040": the ids are random hex and may hold it).
    assert "999 9999" not in json.dumps(failures[0]) and "9999999" not in json.dumps(failures[0])


async def test_the_person_a_case_goes_to_hears_in_their_language(stack):
    intake, routing, smtp = stack["intake"], stack["routing"], stack["smtp"]
    await staff(routing, stack["apps"]["routing"], role="professional", team="family-work", username="sanna",
                email="sanna@varha.example", language="sv")
    await staff(routing, stack["apps"]["routing"])
    case_id = (await intake.post("/api/v1/requests", json=request_body("parainen"))).json()["case_id"]

    async def visible():
        return (await routing.get(f"/api/v1/cases/{case_id}")).status_code == 200

    await eventually(visible, what="the case in routing")
    done = await routing.post(f"/api/v1/cases/{case_id}/commands", json={
        "command": "assign", "expected_version": 0,
        "arguments": {"assignee_kind": "professional", "assignee_id": "sanna"}})
    assert done.status_code == 200

    async def to_sanna():
        mails = [m for m in smtp.mailbox.messages if m["To"] == "sanna@varha.example"]
        return mails or None

    mails = await eventually(to_sanna, timeout=30, what="the assignee's own notice")
    assert len(mails) == 1 and mails[0]["Subject"].startswith("Kontakten")  # Swedish, her choice
    assert "Pargas" in mails[0].get_body(("plain",)).get_content()
    # Assigned to her, not to her team: the message speaks to her.
    assert mails[0]["Subject"].endswith("tilldelades dig") and "ert team" not in mails[0].get_body(("plain",))\
        .get_content()


async def test_the_operations_api_needs_its_token_once_one_is_set(postgres, kafka, prefix):
    """Case ids, references and delivery states are for operators: with a token, only its bearer sees them."""
    app = APPS["notify"](settings_for("notify", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap,
                                      smtp_port=free_port(), api_token="operaattorin-avain"))
    async with running(app) as notify:
        refused = await notify.get("/api/v1/notifications")
        assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
        wrong = await notify.get("/api/v1/notifications", headers={"Authorization": "Bearer arvaus"})
        assert wrong.status_code == 401
        allowed = await notify.get("/api/v1/notifications", headers={"Authorization": "Bearer operaattorin-avain"})
        assert allowed.status_code == 200 and allowed.json() == []
        assert (await notify.get("/readyz")).status_code in (200, 503)  # the probes need no token


async def test_a_flagged_concern_without_a_notification_warns_once_and_the_decision_date_stays(stack, prefix):
    """Child welfare: past the region's limit the coordinators and the assignee hear once; the queue marks the
    case; once the notification is recorded the 26 § decision date shows, whatever triage says later."""
    from datetime import datetime, timedelta

    from services.routing.child_welfare import raise_child_welfare_alerts
    from shared.businessdays import HELSINKI, add_business_days
    from shared.i18n import long_date

    intake, routing, apps = stack["intake"], stack["routing"], stack["apps"]
    await staff(routing, apps["routing"], role="professional", team="family-work", username="ville",
                email="ville@varha.example")
    await staff(routing, apps["routing"])
    case_id = (await intake.post("/api/v1/requests", json=request_body("raisio"))).json()["case_id"]

    async def visible():
        response = await routing.get(f"/api/v1/cases/{case_id}")
        return response.json() if response.status_code == 200 else None

    await eventually(visible, what="the case in routing")
    for version, (name, arguments) in enumerate((
            ("triage", {"child_welfare_concern": True}),
            ("assign", {"assignee_kind": "professional", "assignee_id": "ville"}))):
        done = await routing.post(f"/api/v1/cases/{case_id}/commands",
                                  json={"command": name, "expected_version": version, "arguments": arguments})
        assert done.status_code == 200, done.text
    case = await visible()
    assert case["case"]["child_welfare_pending"] and not case["case"]["child_welfare_late"]
    flagged = datetime.fromisoformat(next(e["at"] for e in case["timeline"] if e["type"] == "case.triaged"))
    runtime = apps["routing"].state.runtime
    region = runtime.regions.by_id["varsinais-suomi"]
    limit = region.child_welfare.due(flagged, region.working_day)
    assert limit.astimezone(HELSINKI).time() == region.office_hours.closes  # the same (or next) business day

    async with runtime.pool.acquire() as conn:
        args = {"regions": runtime.regions, "topic_prefix": prefix}
        assert await raise_child_welfare_alerts(conn, now=limit - timedelta(minutes=1), **args) == 0
        assert await raise_child_welfare_alerts(conn, now=limit + timedelta(minutes=1), **args) == 1
        assert await raise_child_welfare_alerts(conn, now=limit + timedelta(hours=30), **args) == 0
    runtime.relay.wake()
    notify = stack["notify"]

    async def warnings() -> list[dict] | None:
        # Due at the moved clock's moment (Monday's limit), so queued, not yet sent: who and what is what counts.
        found = [n for n in (await notify.get("/api/v1/notifications", params={"case_id": case_id})).json()
                 if n["template"] == "child_welfare_due"]
        return found if {n["recipient"] for n in found} == {"staff:ville", "coordinators"} else None

    told = await eventually(warnings, timeout=30, what="the child-welfare warning to the assignee and coordinators")
    assert len(told) == 2 and all(n["channel"] == "email" for n in told)

    async def marked():
        items = [c for c in (await routing.get("/api/v1/cases")).json() if c["case_id"] == case_id]
        return items[0] if items and items[0]["child_welfare_late"] else None

    await eventually(marked, what="the queue's mark of the late notification")
    page = (await routing.get(f"/cases/{case_id}?lang=fi")).text
    assert "Alueen määräaika" in page

    version = (await visible())["command_version"]
    done = await routing.post(f"/api/v1/cases/{case_id}/commands", json={
        "command": "record_child_welfare_notification", "expected_version": version, "arguments": {}})
    assert done.status_code == 200, done.text
    notified = next(e["at"] for e in (await visible())["timeline"] if e["type"] == "child_welfare.notified")
    decision = add_business_days(datetime.fromisoformat(notified).astimezone(HELSINKI).date(), 7)
    # Triage later says there is no concern: the notification was made, and its decision date stays in view.
    version = (await visible())["command_version"]
    done = await routing.post(f"/api/v1/cases/{case_id}/commands", json={
        "command": "triage", "expected_version": version, "arguments": {"child_welfare_concern": False}})
    assert done.status_code == 200, done.text
    page = (await routing.get(f"/cases/{case_id}?lang=fi")).text
    assert long_date(decision, "fi") in page and "Ilmoitus kirjattu" in page
    item = (await visible())["case"]
    assert not item["child_welfare_pending"] and not item["child_welfare_late"]
    await asyncio.sleep(1)
    assert len(await warnings() or []) == 2  # once each, never again
