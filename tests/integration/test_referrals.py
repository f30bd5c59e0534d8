"""Referrals on real Kafka, PostgreSQL and SMTP: the consent is required, the service's mailbox gets a signed link
and nothing else, opening it is a logged disclosure, and accept, decline, done and overdue reach the case, the
family's status page and the statistics; an altered or expired link is refused; erasure takes the note and the
contact from behind the link too."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from services.routing.referral_overdue import raise_referral_alerts
from shared.referral_links import ReferralLink, sign_link
from shared.topics import audit_topic
from tests.integration.test_notify import SmtpServer
from tests.support import APPS, eventually, read_topic, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
NOTE = "Perhe toivoo perheneuvolan aikaa iltapäivisin; äiti jaksaa huonosti."
FAMILY_MAIL = "perhe.virtanen@example.fi"
MAILBOX = "perheneuvola@varha.example.org"


@pytest.fixture
async def services(postgres: Any, kafka: Any, prefix: str) -> AsyncIterator[dict[str, Any]]:
    smtp = SmtpServer()
    smtp.start()
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {
        "intake": APPS["intake"](settings_for("intake", **env)),
        "routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600)),
        "notify": APPS["notify"](settings_for("notify", **env, smtp_port=smtp.port, retry_base_s=0.3,
                                              send_attempts=10, sender_interval_s=0.1)),
        "reporting": APPS["reporting"](settings_for("reporting", **env)),
    }
    try:
        async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, \
                running(apps["notify"]), running(apps["reporting"]):
            yield {"intake": intake, "routing": routing, "apps": apps, "smtp": smtp}
    finally:
        smtp.stop()


async def new_case(s: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    body = request_body("raisio")
    body["contact"] = {"method": "email", "email": FAMILY_MAIL, "name": "Virtanen"}
    receipt = (await s["intake"].post("/api/v1/requests", json=body)).json()
    case_id = receipt["case_id"]

    async def visible() -> bool | None:
        return (await s["routing"].get(f"/api/v1/cases/{case_id}")).status_code == 200 or None

    await eventually(visible, what="the case in routing")
    return case_id, receipt


async def command(routing: httpx.AsyncClient, case_id: str, name: str, **arguments: Any) -> httpx.Response:
    version = (await routing.get(f"/api/v1/cases/{case_id}")).json()["command_version"]
    return await routing.post(f"/api/v1/cases/{case_id}/commands", json={
        "command": name, "expected_version": version, "arguments": arguments})


async def referred(s: dict[str, Any], case_id: str, service: str = "perheneuvola") -> str:
    """Refer the case with the family's consent; the path of the link mailed to the service."""
    done = await command(s["routing"], case_id, "refer", service_id=service, consent="spoken", note=NOTE)
    assert done.status_code == 200, done.text
    reference = (await s["routing"].get(f"/api/v1/cases/{case_id}")).json()["case"]["reference"]

    async def mailed() -> Any:
        found = [m for m in s["smtp"].mailbox.messages if reference in m["Subject"] and m["To"] == MAILBOX]
        return found or None

    mail = (await eventually(mailed, timeout=30, what="the referral's mail to the service"))[0]
    text = mail.get_body(("plain",)).get_content()
    assert NOTE not in text and FAMILY_MAIL not in text and "Virtanen" not in text and "Raisio" not in text
    found = re.search(r"http://\S+(/referral/[A-Za-z0-9_.-]+)", text)
    assert found is not None, text
    return found.group(1)


async def referral_of(routing: httpx.AsyncClient, case_id: str, status: str) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        view = (await routing.get(f"/api/v1/cases/{case_id}")).json()
        return next((r for r in view["referrals"] if r["status"] == status), None)

    return await eventually(reached, what=f"the referral {status} on the case")


async def family_page(s: dict[str, Any], receipt: dict[str, Any], text: str) -> str:
    family = httpx.AsyncClient(transport=s["intake"]._transport, base_url=str(s["intake"].base_url))
    async with family:
        await family.post("/status", data={"reference": receipt["reference"], "pickup_code": receipt["pickup_code"],
                                           "lang": "fi"})

        async def shows() -> str | None:
            page = (await family.get("/status", params={"lang": "fi"})).text
            return page if text in page else None

        return await eventually(shows, what=f"'{text}' on the family's status page")


async def facts(s: dict[str, Any], case_id: str, answer: str) -> dict[str, Any]:
    runtime = s["apps"]["reporting"].state.runtime

    async def counted() -> dict[str, Any] | None:
        row = await runtime.pool.fetchrow(f"SELECT * FROM {runtime.projection_schema}.case_facts WHERE case_id = $1",
                                          uuid.UUID(case_id))
        return dict(row) if row is not None and row["referral_answer"] == answer else None

    return await eventually(counted, what=f"the statistics' facts: {answer}")


async def test_consent_link_disclosure_accept_done_and_erasure(services: dict[str, Any], kafka: Any,
                                                               prefix: str) -> None:
    s, routing = services, services["routing"]
    await staff(routing, s["apps"]["routing"], role="admin", username="aila")
    coordinator = httpx.AsyncClient(transport=routing._transport, base_url=str(routing.base_url))
    await staff(coordinator, s["apps"]["routing"], username="kaisa")
    s = {**s, "routing": coordinator}
    case_id, receipt = await new_case(s)

    # No consent, no referral: 422 naming the field, and nothing recorded.
    refused = await command(coordinator, case_id, "refer", service_id="perheneuvola", note=NOTE)
    assert refused.status_code == 422 and "consent" in refused.text
    assert (await coordinator.get(f"/api/v1/cases/{case_id}")).json()["referrals"] == []

    path = await referred(s, case_id)
    link = await referral_of(coordinator, case_id, "sent")
    public = httpx.AsyncClient(transport=routing._transport, base_url=str(routing.base_url))  # nobody signed in
    async with public:
        first = await public.get(path, params={"lang": "fi"})
        assert first.status_code == 200 and "Perheneuvola" in first.text
        assert NOTE not in first.text and FAMILY_MAIL not in first.text  # a mail client's preview discloses nothing

        # An altered link, an expired one and another service's are all refused alike.
        token = path.rsplit("/", 1)[1]
        altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        keyring = s["apps"]["routing"].state.runtime.settings.keyring
        expired = sign_link(keyring, ReferralLink(referral_id=uuid.UUID(link["referral_id"]),
                                                  case_id=uuid.UUID(case_id), service_id="perheneuvola",
                                                  expires_at=datetime.now(UTC).replace(microsecond=0)
                                                  - timedelta(seconds=1)))
        other = sign_link(keyring, ReferralLink(referral_id=uuid.UUID(link["referral_id"]),
                                                case_id=uuid.UUID(case_id), service_id="perhetyo",
                                                expires_at=datetime.now(UTC) + timedelta(days=1)))
        for bad in (altered, expired, other):
            page = await public.post(f"/referral/{bad}/open", data={"name": "Outo Ihminen", "lang": "fi"})
            assert page.status_code == 404 and NOTE not in page.text and "Linkki ei kelpaa" in page.text

        nameless = await public.post(f"{path}/open", data={"name": "", "lang": "fi"})
        assert nameless.status_code == 422 and "Kirjoita nimesi" in nameless.text and NOTE not in nameless.text
        opened = await public.post(f"{path}/open", data={"name": "Pirjo Perheneuvoja", "lang": "fi"})
        assert opened.status_code == 200 and NOTE in opened.text and FAMILY_MAIL in opened.text

        # The opening is a disclosure in the access log (who at which service) and on the audit stream.
        pool = s["apps"]["routing"].state.runtime.pool
        logged = await pool.fetchrow("SELECT account_id, role, disclosed_to, disclosed_person, action FROM access_log"
                                     " WHERE case_id = $1 AND disclosed_to IS NOT NULL", uuid.UUID(case_id))
        assert dict(logged) == {"account_id": "service:perheneuvola", "role": "receiving_service",
                                "disclosed_to": "perheneuvola", "disclosed_person": "Pirjo Perheneuvoja",
                                "action": "referral_disclosed"}
        async def disclosed() -> list[Any] | None:
            records = await read_topic(kafka.bootstrap, audit_topic(prefix, "varsinais-suomi"), expected=1)
            return [r for r in records if b"disclosure.recorded" in r.value] or None

        audit = await eventually(disclosed, what="the disclosure on the audit stream")
        assert orjson.loads(audit[0].value)["disclosed_to"] == "perheneuvola"
        assert "Pirjo" not in b"".join(r.value for r in audit).decode()  # the person's name stays in routing
        log = (await routing.get("/admin/access", params={"lang": "fi"})).text  # the region's admin reads it
        assert "Pirjo Perheneuvoja (Perheneuvola)" in log and "Lähete luovutettiin palvelulle" in log

        accepted = await public.post(f"{path}/answer", data={"name": "Pirjo Perheneuvoja", "answer": "accept",
                                                             "lang": "fi"})
        assert accepted.status_code == 200 and "hyväksytty" in accepted.text
        again = await public.post(f"{path}/answer", data={"name": "Pirjo Perheneuvoja", "answer": "accept",
                                                          "lang": "fi"})
        assert again.status_code == 409 and "on jo vastattu" in again.text  # answered once, never twice
        await referral_of(coordinator, case_id, "accepted")
        await family_page(s, receipt, "Palvelu on ottanut sinut asiakkaaksi")
        assert (await facts(s, case_id, "accepted"))["referral_accept_hours"] is not None

        no_outcome = await public.post(f"{path}/answer", data={"name": "Pirjo P", "answer": "complete", "lang": "fi"})
        assert no_outcome.status_code == 422 and "miten työ perheen kanssa päättyi" in no_outcome.text
        done = await public.post(f"{path}/answer", data={"name": "Pirjo P", "answer": "complete",
                                                         "outcome": "service_given", "lang": "sv"})
        assert done.status_code == 200 and "klar" in done.text
        completed = await referral_of(coordinator, case_id, "completed")
        assert completed["outcome"] == "service_given"
        await family_page(s, receipt, "Asiointi palvelussa on päättynyt")
        await facts(s, case_id, "completed")
        case_page = (await coordinator.get(f"/cases/{case_id}", params={"lang": "fi"})).text
        assert "Lähetteet" in case_page and "Valmis" in case_page and "Perhe sai palvelun" in case_page

        # Erasure takes the note and the contact from behind the link too.
        erased = await routing.post(f"/api/v1/cases/{case_id}/erase", json={"reason": "family_request"})
        assert erased.status_code == 200, erased.text

        async def gone() -> httpx.Response | None:
            page = await public.post(f"{path}/open", data={"name": "Pirjo Perheneuvoja", "lang": "fi"})
            return page if page.status_code == 410 else None

        page = await eventually(gone, what="the erased referral refused")
        assert NOTE not in page.text and FAMILY_MAIL not in page.text and "poistettu" in page.text


async def test_decline_and_overdue_reach_the_worker_the_family_and_the_statistics(services: dict[str, Any]) -> None:
    s, routing = services, services["routing"]
    await staff(routing, s["apps"]["routing"], username="kaisa")
    declined_case, declined_receipt = await new_case(s)
    path = await referred(s, declined_case)
    public = httpx.AsyncClient(transport=routing._transport, base_url=str(routing.base_url))
    async with public:
        no_better = await public.post(f"{path}/answer", data={"name": "Pirjo P", "answer": "decline",
                                                              "reason": "better_elsewhere", "lang": "fi"})
        assert no_better.status_code == 422 and "sopivampi palvelu" in no_better.text.lower()
        declined = await public.post(f"{path}/answer", data={
            "name": "Pirjo P", "answer": "decline", "reason": "better_elsewhere", "better_service_id": "neuvola",
            "lang": "fi"})
        assert declined.status_code == 200
    referral = await referral_of(routing, declined_case, "declined")
    assert (referral["reason"], referral["better_service_id"]) == ("better_elsewhere", "neuvola")
    queue = (await routing.get("/queue", params={"lang": "fi"})).text  # back in the worker's queue, marked
    assert "Lähete palautui" in queue
    await family_page(s, declined_receipt, "Palvelu ei voinut ottaa sinua vastaan")
    assert (await facts(s, declined_case, "declined"))["referral_decline"] == "better_elsewhere"

    async def worker_told() -> Any:
        return [m for m in s["smtp"].mailbox.messages if m["Subject"].startswith("Lähetettä ei otettu vastaan")] \
            or None

    await eventually(worker_told, what="the decline's word to the worker")

    # No answer by the region's limit: referral.overdue once, whatever the scheduler's rounds.
    waiting_case, waiting_receipt = await new_case(s)
    await referred(s, waiting_case)
    runtime = s["apps"]["routing"].state.runtime
    async with runtime.pool.acquire() as conn:
        assert await raise_referral_alerts(conn, now=datetime.now(UTC), regions=runtime.regions,
                                           topic_prefix=runtime.settings.topic_prefix) == 0
        # As if it had been sent ten days ago (the scheduler reads the projection's state; notify sends what is
        # due by now, so the alert's own time must not lie ahead).
        await conn.execute("UPDATE cases SET state = jsonb_set(state, '{referrals,0,sent_at}',"
                           " to_jsonb(now() - interval '10 days')) WHERE case_id = $1", uuid.UUID(waiting_case))
        for expected in (1, 0):  # once, however often the scheduler looks
            assert await raise_referral_alerts(conn, now=datetime.now(UTC), regions=runtime.regions,
                                               topic_prefix=runtime.settings.topic_prefix) == expected
    runtime.relay.wake()

    async def overdue() -> dict[str, Any] | None:
        view = (await routing.get(f"/api/v1/cases/{waiting_case}")).json()
        marked = [r for r in view["referrals"] if r["overdue_at"]]
        events = [e for e in view["timeline"] if e["type"] == "referral.overdue"]
        return view if marked and len(events) == 1 else None

    await eventually(overdue, what="referral.overdue on the case")
    await family_page(s, waiting_receipt, "Palvelu ei ole vielä vastannut")

    async def overdue_told() -> Any:
        return [m for m in s["smtp"].mailbox.messages if m["Subject"].startswith("Lähetteeseen ei ole vastattu")] \
            or None

    assert len(await eventually(overdue_told, what="the overdue word to the worker")) == 1
    assert (await facts(s, waiting_case, "waiting"))["referral_answer"] == "waiting"
