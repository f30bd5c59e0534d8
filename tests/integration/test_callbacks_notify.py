"""Calls to the family on real Kafka, PostgreSQL, SMTP and SMS gateway: what the family and the caller are told.

A scheduled call is one text message with its time and the reference and nothing else; a moved one and a
cancelled one one more each; a replay sends nothing again. The caller's reminder goes out at its time (a moved
clock: ``send_due(now=…)``), never before it, and never once the call moved, was cancelled or used up. The
'we tried to reach you' notice goes to the family once, and to an anonymous family not at all.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.notify.projection import projection as notify_projection
from services.notify.sender import DUE_SQL
from services.notify.when import call_values
from shared.callbacks import next_window
from shared.rebuild import rebuild
from tests.integration.test_notify import channels  # noqa: F401 - the SMTP sink and SMS gateway fixture
from tests.support import APPS, eventually, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
WORDS = "SALAINEN-SOITTOPYYNTO"
PHONE = "040 765 4321"


@pytest.fixture
async def stack(postgres, kafka, prefix, channels):  # noqa: F811 - the fixture imported above
    smtp, sms, sms_url = channels
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {
        "intake": APPS["intake"](settings_for("intake", **env)),
        "routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600)),
        # The sender's own rounds wait an hour: the test runs each round itself, at the moment it chooses.
        "notify": APPS["notify"](settings_for("notify", **env, smtp_port=smtp.port, sms_url=sms_url,
                                              retry_base_s=0.3, send_attempts=10, sender_interval_s=3600)),
    }
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, \
            running(apps["notify"]) as notify:
        yield {"intake": intake, "routing": routing, "notify": notify, "apps": apps, "smtp": smtp, "sms": sms}


async def new_case(intake, routing, **overrides) -> tuple[str, str]:
    """A request through intake, visible in routing: its case id and reference."""
    body = request_body("raisio", message=f"Lapsi ei nuku. {WORDS}", **overrides)
    receipt = (await intake.post("/api/v1/requests", json=body)).json()

    async def projected():
        return (await routing.get(f"/api/v1/cases/{receipt['case_id']}")).status_code == 200

    await eventually(projected, what="the case in routing")
    return receipt["case_id"], receipt["reference"]


async def command(routing, case_id: str, name: str, **arguments: Any):
    version = (await routing.get(f"/api/v1/cases/{case_id}")).json()["command_version"]
    return await routing.post(f"/api/v1/cases/{case_id}/commands",
                              json={"command": name, "expected_version": version, "arguments": arguments})


async def schedule(routing, case_id: str, window: tuple[datetime, datetime]) -> None:
    opens, closes = window
    done = await command(routing, case_id, "schedule_callback", day=opens.date().isoformat(),
                         start=opens.strftime("%H:%M"), end=closes.strftime("%H:%M"))
    assert done.status_code == 200, done.text


def window_after(moment: datetime) -> tuple[datetime, datetime]:
    """The region's next call window (a band on a business day) that opens after ``moment``."""
    found = next_window([], after=moment)
    assert found is not None
    return found


async def notifications(notify, case_id: str) -> list[dict[str, Any]]:
    return (await notify.get("/api/v1/notifications", params={"case_id": case_id, "limit": 1000})).json()


async def by_template(notify, case_id: str) -> Counter[tuple[str, str]]:
    return Counter((n["template"], n["status"]) for n in await notifications(notify, case_id))


async def send_at(stack, case_id: str, now: datetime | None, check) -> Any:
    """Run the sender's rounds as if it were ``now`` (now by default) until ``check`` holds for the case's
    notifications."""
    sender, notify = stack["apps"]["notify"].state.sender, stack["notify"]

    async def done():
        await sender.send_due(now=now)
        rows = await notifications(notify, case_id)
        return rows if check(rows) else None

    return await eventually(done, timeout=20, what=f"the sender at {now}")


async def due_at(stack, now: datetime) -> set[str]:
    """The notification ids the sender would take at ``now``."""
    rows = await stack["apps"]["notify"].state.runtime.pool.fetch(DUE_SQL, now, 1000)
    return {str(r["notification_id"]) for r in rows}


def hours(window: tuple[datetime, datetime]) -> str:
    values = call_values(*window, "fi")
    return f"{values['call_day']} klo {values['call_from']}–{values['call_to']}"


async def test_a_call_is_told_to_the_family_once_per_change_and_its_caller_reminded_at_its_time(stack, postgres,
                                                                                                kafka):
    intake, routing, notify, smtp, sms = (stack[k] for k in ("intake", "routing", "notify", "smtp", "sms"))
    await staff(routing, stack["apps"]["routing"], role="professional", team="family-work", username="sanna",
                email="sanna@varha.example")
    await staff(routing, stack["apps"]["routing"])
    case_id, reference = await new_case(intake, routing, contact={"method": "phone", "name": "Testi Vanhempi",
                                                                  "phone": PHONE})
    assert (await command(routing, case_id, "assign", assignee_kind="professional", assignee_id="sanna")) \
        .status_code == 200

    async def texts(n: int) -> list[str]:
        """The case's text messages once there are ``n`` of them (the sender run now until then)."""
        await send_at(stack, case_id, None, lambda rows: len(
            [m for m in sms if reference in m["text"]]) >= n and not _waiting(rows))
        found = [m["text"].strip() for m in sms if reference in m["text"]]
        assert len(found) == n, found
        return found

    def reminders() -> list[Any]:
        return [m for m in smtp.mailbox.messages if m["Subject"].startswith("Muistutus")]

    # Scheduled: one text message, the time and the reference only.
    first = window_after(datetime.now(UTC) + timedelta(hours=3))
    await schedule(routing, case_id, first)
    assert f"Soitamme teille {hours(first)} ({reference})" in await texts(2)  # and the receipt

    # Moved: one more, with the new time; cancelled: one more, naming the time that no longer holds.
    second = window_after(first[1] + timedelta(days=1))
    await schedule(routing, case_id, second)
    assert (await texts(3))[-1] == f"Soittoaika muuttui: soitamme teille {hours(second)} ({reference})"
    assert (await command(routing, case_id, "cancel_callback")).status_code == 200
    assert (await texts(4))[-1] == f"Soitto {hours(second)} on peruttu ({reference})"
    assert (await command(routing, case_id, "cancel_callback")).status_code == 422  # nothing left to cancel
    mine = [m for m in sms if reference in m["text"]]
    assert {m["to"] for m in mine} == {"+358407654321"} and len({m["key"] for m in mine}) == 4
    everything = json.dumps([m["text"] for m in sms]) + smtp.mailbox.texts()
    assert WORDS not in everything and "765 4321" not in everything and "7654321" not in everything

    # Both reminders were withdrawn: at their times the sender takes neither, and the caller hears nothing.
    counts = await by_template(notify, case_id)
    assert counts[("callback_reminder", "withdrawn")] == 2 and not _waiting_counts(counts)
    withdrawn = {n["notification_id"] for n in await notifications(notify, case_id)
                 if n["template"] == "callback_reminder"}
    for window in (first, second):
        moment = window[0] - timedelta(minutes=29)
        assert not withdrawn & await due_at(stack, moment)
        await stack["apps"]["notify"].state.sender.send_due(now=moment)
    assert reminders() == []

    # Scheduled again: the reminder waits for its time (30 minutes before the window) and then goes, once.
    third = window_after(second[1] + timedelta(days=1))
    await schedule(routing, case_id, third)
    await texts(5)

    def reminder(status: str):
        return lambda rows: [r for r in rows if r["template"] == "callback_reminder" and r["status"] == status]

    await send_at(stack, case_id, third[0] - timedelta(minutes=31), reminder("due"))
    assert reminders() == []
    await send_at(stack, case_id, third[0] - timedelta(minutes=29), reminder("sent"))
    await send_at(stack, case_id, third[0] - timedelta(minutes=20), reminder("sent"))  # and not again
    assert len(reminders()) == 1 and reminders()[0]["To"] == "sanna@varha.example"
    values = call_values(*third, "fi")
    assert reminders()[0]["Subject"] == \
        f"Muistutus: soitto klo {values['call_from']}–{values['call_to']} ({reference})"
    body = reminders()[0].get_body(("plain",)).get_content()
    assert f"/cases/{case_id}" in body and hours(third) in body
    assert WORDS not in reminders()[0].as_string() and "765 4321" not in reminders()[0].as_string()

    # A contact attempt uses a call up: its reminder is withdrawn, and never sent at its time.
    fourth = window_after(third[1] + timedelta(days=1))
    await schedule(routing, case_id, fourth)
    await texts(6)
    assert (await command(routing, case_id, "record_contact", result="reached")).status_code == 200
    await eventually(lambda: _reminders(notify, case_id, "withdrawn", 3), what="the used-up call's reminder withdrawn")
    await stack["apps"]["notify"].state.sender.send_due(now=fourth[0] - timedelta(minutes=29))
    assert len(reminders()) == 1

    # A replay from offset 0 sends nothing again.
    before = (await by_template(notify, case_id), len(sms), len(smtp.mailbox.messages))
    runtime = stack["apps"]["notify"].state.runtime
    proj = notify_projection(runtime)
    result = await rebuild(dsn=postgres.dsn, service_schema=runtime.settings.db_schema,
                           projection_schema=runtime.projection_schema, bootstrap=kafka.bootstrap,
                           topics=runtime.projection_topics(proj), projection=proj)
    assert result.swapped
    await stack["apps"]["notify"].state.sender.send_due()
    await stack["apps"]["notify"].state.sender.send_due(now=fourth[0] - timedelta(minutes=29))
    assert (await by_template(notify, case_id), len(sms), len(smtp.mailbox.messages)) == before
    family = Counter(n["template"] for n in await notifications(notify, case_id) if n["recipient"] == "family")
    # Scheduled (1st, 3rd after the cancel), moved (2nd, 4th), cancelled: once each.
    assert family == Counter({"request_receipt": 1, "callback_scheduled": 2, "callback_changed": 2,
                              "callback_cancelled": 1})


def _waiting_counts(counts: Counter[tuple[str, str]]) -> bool:
    """Whether anything due now is still to be sent or tried again (a reminder ahead of its time is not)."""
    return any(status in ("retry", "sending") or (status == "due" and template != "callback_reminder")
               for template, status in counts)


def _waiting(rows: list[dict[str, Any]]) -> bool:
    return _waiting_counts(Counter((r["template"], r["status"]) for r in rows))


async def _reminders(notify, case_id: str, status: str, n: int) -> bool:
    return (await by_template(notify, case_id))[("callback_reminder", status)] == n


async def test_the_not_reached_notice_goes_once_and_never_to_an_anonymous_family(stack, postgres, kafka):
    intake, routing, notify, smtp = (stack[k] for k in ("intake", "routing", "notify", "smtp"))
    await staff(routing, stack["apps"]["routing"])
    by_mail, reference = await new_case(intake, routing, contact={"method": "email", "email": "isa@example.fi"})
    anonymous, _ = await new_case(intake, routing, contact={"method": "anonymous"})
    for case_id in (by_mail, anonymous):
        early = await command(routing, case_id, "send_not_reached_notice")
        assert early.status_code == 422  # not before the region's three unanswered attempts
        for _ in range(3):
            assert (await command(routing, case_id, "record_contact", channel="email", result="no_answer")) \
                .status_code == 200
        assert (await command(routing, case_id, "send_not_reached_notice")).status_code == 200
        assert (await command(routing, case_id, "send_not_reached_notice")).status_code == 422  # once

    def notices() -> list[Any]:
        return [m for m in smtp.mailbox.messages if m["To"] == "isa@example.fi"
                and m["Subject"].startswith("Pyydä apua!: emme tavoittaneet")]

    rows = await send_at(stack, by_mail, None, lambda rows: ("not_reached_notice", "sent") in {
        (r["template"], r["status"]) for r in rows} and not _waiting(rows))
    assert len(notices()) == 1 and sum(r["template"] == "not_reached_notice" for r in rows) == 1
    body = notices()[0].get_body(("plain",)).get_content()
    assert reference in notices()[0]["Subject"] and f"status?ref={reference}" in body
    assert "Kirjoittakaa uudelleen tai lukekaa vastaus tilasivulta" in body and WORDS not in notices()[0].as_string()
    assert not [n for n in await notifications(notify, anonymous) if n["recipient"] == "family"]

    # The case may now close as not reached; a replay tells nobody again.
    assert (await command(routing, by_mail, "close", outcome="not_reached")).status_code == 200
    runtime = stack["apps"]["notify"].state.runtime
    proj = notify_projection(runtime)
    await rebuild(dsn=postgres.dsn, service_schema=runtime.settings.db_schema,
                  projection_schema=runtime.projection_schema, bootstrap=kafka.bootstrap,
                  topics=runtime.projection_topics(proj), projection=proj)
    await stack["apps"]["notify"].state.sender.send_due()
    assert len(notices()) == 1
    assert len([m for m in smtp.mailbox.messages if m["To"] == "isa@example.fi"]) == 2  # the receipt and the notice
    assert not [n for n in await notifications(notify, anonymous) if n["recipient"] == "family"]
