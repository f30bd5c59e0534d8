"""Follow-ups on real Kafka and PostgreSQL: the family writes again after the answer, and the worker hears of it.

The queue badges and sorts it with the unanswered; the assignee (else the team, else the coordinators) gets an
e-mail without the family's words; its own promised day raises a warning and a miss once each with a moved
clock, and a reply clears it.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import timedelta

import pytest

from services.routing.deadlines import raise_due_alerts
from shared.topics import cases_topic
from tests.integration.test_notify import channels  # noqa: F401 - the SMTP sink and SMS gateway fixture
from tests.support import APPS, eventually, read_topic, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
SECRET_WORDS = "SALAINEN-JATKOVIESTI"


@pytest.fixture
async def stack(postgres, kafka, prefix, channels):  # noqa: F811 - the fixture imported above
    smtp, _, sms_url = channels
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {
        "intake": APPS["intake"](settings_for("intake", **env)),
        "routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600)),
        "notify": APPS["notify"](settings_for("notify", **env, smtp_port=smtp.port, sms_url=sms_url,
                                              retry_base_s=0.3, send_attempts=10, sender_interval_s=0.1)),
    }
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, \
            running(apps["notify"]) as notify:
        yield {"intake": intake, "routing": routing, "notify": notify, "apps": apps, "smtp": smtp}


async def new_case(intake, routing, **overrides) -> tuple[str, dict[str, str]]:
    """A request through intake, visible in routing: its case id and the family's credentials."""
    receipt = (await intake.post("/api/v1/requests", json=request_body("raisio", **overrides))).json()

    async def projected():
        return (await routing.get(f"/api/v1/cases/{receipt['case_id']}")).status_code == 200

    await eventually(projected, what="the case in routing")
    return receipt["case_id"], {"reference": receipt["reference"], "pickup_code": receipt["pickup_code"]}


async def command(routing, case_id, name, **arguments):
    version = (await routing.get(f"/api/v1/cases/{case_id}")).json()["command_version"]
    done = await routing.post(f"/api/v1/cases/{case_id}/commands",
                              json={"command": name, "expected_version": version, "arguments": arguments})
    assert done.status_code == 200, done.text


async def family_writes(intake, credentials, text=f"Se paheni. {SECRET_WORDS}") -> None:
    sent = await intake.post("/api/v1/status/messages",
                             json={**credentials, "message_id": str(uuid.uuid4()), "message": text})
    assert sent.status_code == 201, sent.text


async def case_of(routing, case_id, check):
    async def seen():
        case = (await routing.get(f"/api/v1/cases/{case_id}")).json()["case"]
        return case if check(case) else None

    return await eventually(seen, what=f"case {case_id} in routing")


async def test_a_follow_up_is_badged_sorted_with_the_unanswered_and_told_without_its_words(stack):
    intake, routing, smtp = stack["intake"], stack["routing"], stack["smtp"]
    await staff(routing, stack["apps"]["routing"], role="professional", team="family-work", username="sanna",
                email="sanna@varha.example", language="sv")
    await staff(routing, stack["apps"]["routing"])
    # Made in this order so that the old order (by the request's day, then arrival) would put them the other
    # way round: an answered case, the one the family writes again on, an unanswered one, an urgent one.
    answered, _ = await new_case(intake, routing)
    followed, credentials = await new_case(intake, routing)
    waiting, _ = await new_case(intake, routing)
    urgent, _ = await new_case(intake, routing)
    for case_id in (answered, followed):
        await command(routing, case_id, "reply", text="Soitamme huomenna.")
    await command(routing, followed, "assign", assignee_kind="professional", assignee_id="sanna")
    await command(routing, urgent, "triage", urgency="urgent")

    await family_writes(intake, credentials)
    await family_writes(intake, credentials, text="Ja vielä yksi asia.")
    case = await case_of(routing, followed, lambda c: c["unread_messages"] == 2)
    assert case["followups"] == 1 and case["awaiting_since"] is not None and case["followup_due"] is not None
    assert case["risk"] in ("ok", "at_risk")  # waiting for an answer again, not "answered"

    order = [c["case_id"] for c in (await routing.get("/api/v1/cases")).json()]
    ours = [c for c in order if c in (answered, followed, waiting, urgent)]
    assert ours == [urgent, followed, waiting, answered]
    page = await routing.get("/queue", params={"lang": "en"})
    assert page.status_code == 200 and "New message from the family (2)" in page.text
    case_page = await routing.get(f"/cases/{followed}", params={"lang": "en"})
    assert "Follow-up 1: answer by" in case_page.text

    async def to_sanna():
        mails = [m for m in smtp.mailbox.messages if m["To"] == "sanna@varha.example"
                 and m["Subject"].startswith("Familjen skrev igen")]
        return mails if len(mails) == 2 else None

    mails = await eventually(to_sanna, timeout=30, what="the assignee to hear of both messages, in Swedish")
    assert len({m["X-Apua-Notification"] for m in mails}) == 2
    everything = smtp.mailbox.texts()
    assert SECRET_WORDS not in everything and "paheni" not in everything and "yksi asia" not in everything
    reference = (await routing.get(f"/api/v1/cases/{followed}")).json()["case"]["reference"]
    assert all(reference in m["Subject"] for m in mails)

    # Nobody has the case: the team's mailbox hears; no team either: the coordinators'.
    for assign, mailbox in (({"assignee_kind": "team", "assignee_id": "family-work"}, "family-work@varha.example"),
                            (None, "koordinaattorit@varha.example")):
        case_id, family = await new_case(intake, routing)
        await command(routing, case_id, "reply", text="Vastaus")
        if assign:
            await command(routing, case_id, "assign", **assign)
        await family_writes(intake, family)
        case_reference = (await routing.get(f"/api/v1/cases/{case_id}")).json()["case"]["reference"]

        async def told(mailbox=mailbox, case_reference=case_reference):
            return [m for m in smtp.mailbox.messages if m["To"] == mailbox and case_reference in m["Subject"]
                    and m["Subject"].startswith("Perhe kirjoitti uudelleen")] or None  # shared boxes: Finnish

        assert len(await eventually(told, timeout=30, what=f"{mailbox} to hear of the follow-up")) == 1

    # A reply answers it: no badge, the answered sort below the waiting again.
    await command(routing, followed, "reply", text="Soitan tänään.")
    case = await case_of(routing, followed, lambda c: c["unread_messages"] == 0)
    assert case["awaiting_since"] is None and case["risk"] == "answered" and case["followups"] == 1
    order = [c["case_id"] for c in (await routing.get("/api/v1/cases")).json()]
    assert [c for c in order if c in (answered, followed, waiting, urgent)][:2] == [urgent, waiting]


async def test_a_follow_ups_own_day_warns_and_misses_once_each_and_a_reply_clears_it(stack, kafka, prefix):
    intake, routing, notify = stack["intake"], stack["routing"], stack["notify"]
    app = stack["apps"]["routing"]
    await staff(routing, app)
    case_id, credentials = await new_case(intake, routing)
    await command(routing, case_id, "reply", text="Vastaus")
    await family_writes(intake, credentials)
    case = await case_of(routing, case_id, lambda c: c["followups"] == 1)
    due_day = case["followup_due"]
    row = await app.state.runtime.pool.fetchrow("SELECT followup_due_at FROM cases WHERE case_id = $1",
                                                uuid.UUID(case_id))
    late = row["followup_due_at"] + timedelta(hours=1)
    pool = app.state.runtime.pool
    async with pool.acquire() as conn:
        # The first request was answered: nothing of follow-up 0 is due, however late it is.
        first = await raise_due_alerts(conn, now=late, topic_prefix=prefix)
        again = await raise_due_alerts(conn, now=late + timedelta(minutes=5), topic_prefix=prefix)
        later = await raise_due_alerts(conn, now=late + timedelta(days=2), topic_prefix=prefix)
    assert (first, again, later) == (2, 0, 0)  # a warning and a miss of follow-up 1, once each
    app.state.runtime.relay.wake()

    async def both_published():
        records = await read_topic(kafka.bootstrap, cases_topic(prefix, "varsinais-suomi"), expected=5, timeout=2)
        found = [json.loads(r.value) for r in records if r.key.decode() == case_id
                 and json.loads(r.value)["type"].startswith("deadline.")]
        return found if len(found) >= 2 else None

    alerts = await eventually(both_published, what="the two alerts on the stream")
    assert sorted(a["type"] for a in alerts) == ["deadline.missed", "deadline.warning"]
    assert {(a["schema_version"], a["payload"]["followup"], a["payload"]["answer_due"]) for a in alerts} == {
        (2, 1, due_day)}

    # notify reads version 2: the coordinators hear of the miss, naming the follow-up's day.
    async def missed_told():
        rows = (await notify.get("/api/v1/notifications", params={"case_id": case_id})).json()
        return [r for r in rows if r["template"] == "deadline_missed"] or None

    assert len(await eventually(missed_told, timeout=30, what="the miss in notify")) == 1

    # A reply answers follow-up 1; a second follow-up answered in time raises nothing at its own day.
    await command(routing, case_id, "reply", text="Toinen vastaus")
    await family_writes(intake, credentials, text="Kiitos, vielä kysymys")
    await case_of(routing, case_id, lambda c: c["followups"] == 2)
    await command(routing, case_id, "reply", text="Kolmas vastaus")
    await case_of(routing, case_id, lambda c: c["awaiting_since"] is None)
    async with pool.acquire() as conn:
        assert await raise_due_alerts(conn, now=late + timedelta(days=10), topic_prefix=prefix) == 0
    kinds = Counter((r["kind"], r["followup"]) for r in await pool.fetch(
        "SELECT kind, followup FROM deadline_alerts WHERE case_id = $1", uuid.UUID(case_id)))
    assert kinds == Counter({("warning", 1): 1, ("missed", 1): 1})
