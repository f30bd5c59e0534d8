"""Issue 18 item 11 at notify: the daily cap of text messages per number, and numbers on the stream from before
intake checked them.

Anyone could type a stranger's number into the form again and again, and each receipt was a text message to
it. Now the region's ``sms_daily_cap`` holds: the cap+1-th message to one number in a Helsinki day is not sent
but recorded as refused (the case page says why), while another number's still goes. Notify counts without
keeping the number (a blind-index digest), so a raw read of its tables finds none, nor do its logs. Requests
published before the check carry the number as the family typed it: notify normalises it, and one that the
rule refuses is recorded the same way, never a crash.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from deploy.local.infra import free_port
from services.notify.smscap import helsinki_day
from services.routing.i18n import t
from shared.blind_index import current_digest
from shared.businessdays import answer_due
from shared.codec import encode
from shared.events import RequestSubmitted, RequestSubmittedPayload, new_event
from shared.places import sealed_place
from shared.sealing import new_data_key, seal
from shared.topics import cases_topic, keys_topic
from tests.attacks.test_sealed_moves import stream_of
from tests.integration.test_notify import SmtpServer, gateway
from tests.support import APPS, LiveServer, eventually, produce, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
REGION = "varsinais-suomi"
# One number, as people write it; the gateway always gets +358401112233.
WRITINGS = ["040 111 2233", "+358 40 111 2233", "0401112233", "00358 40 111 2233", "(040) 111-2233"]
DIGITS = ("1112233", "111 2233", "111-2233")


@pytest.fixture
async def stack(postgres, kafka, prefix):
    smtp = SmtpServer()
    smtp.start()
    sms: list[dict[str, Any]] = []
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    async with LiveServer(gateway(sms, set()), free_port()) as server:
        apps = {
            "intake": APPS["intake"](settings_for("intake", **env)),
            "routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600)),
            "notify": APPS["notify"](settings_for("notify", **env, smtp_port=smtp.port, sms_url=f"{server.url}/sms",
                                                  retry_base_s=0.3, send_attempts=10, sender_interval_s=0.1)),
        }
        async with running(apps["intake"]) as intake, running(apps["routing"]) as routing, \
                running(apps["notify"]) as notify:
            yield {"intake": intake, "routing": routing, "notify": notify, "apps": apps, "sms": sms}
    smtp.stop()


async def receipts(notify) -> dict[str, str]:
    """Each family receipt's delivery status, by case id."""
    rows = (await notify.get("/api/v1/notifications", params={"limit": 1000})).json()
    return {r["case_id"]: r["status"] for r in rows if r["template"] == "request_receipt"}


async def settled(notify, n: int) -> dict[str, str]:
    async def done() -> dict[str, str] | None:
        found = await receipts(notify)
        return found if len(found) == n and set(found.values()) <= {"sent", "failed"} else None

    return await eventually(done, timeout=60, what=f"{n} receipts sent or refused")


async def raw_rows(dsn: str, prefix: str) -> list[str]:
    """Every row of every table of notify's schemas, as JSON text."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetch("SELECT table_schema, table_name FROM information_schema.tables WHERE"
                                  " table_schema LIKE $1 AND table_type = 'BASE TABLE'", f"notify_{prefix}%")
        return [r["j"] for t in tables for r in await conn.fetch(
            f'SELECT row_to_json(x)::text AS j FROM "{t["table_schema"]}"."{t["table_name"]}" x')]
    finally:
        await conn.close()


async def failure_of(bootstrap: str, prefix: str, case_id: str) -> dict[str, Any]:
    """The case's notification.failed event as it is on the stream (raw JSON), once it is there."""
    async def published() -> dict[str, Any] | None:
        found = [e for e in await stream_of(bootstrap, cases_topic(prefix, REGION), case_id)
                 if e.type == "notification.failed"]
        return json.loads(found[0].model_dump_json()) if found else None

    return await eventually(published, what="the refusal on the stream")


async def test_the_text_past_the_daily_cap_is_refused_and_another_number_still_gets_its_own(
        stack, postgres, kafka, prefix, capfd):
    intake, routing, notify, sms = (stack[k] for k in ("intake", "routing", "notify", "sms"))
    cap = stack["apps"]["notify"].state.runtime.regions.by_id[REGION].contact.sms_daily_cap
    cases = []
    for n in range(cap + 1):
        body = request_body("raisio", contact={"method": "sms", "phone": WRITINGS[n % len(WRITINGS)]})
        answer = await intake.post("/api/v1/requests", json=body)
        assert answer.status_code == 201, answer.text
        cases.append(answer.json()["case_id"])
        await settled(notify, n + 1)  # one at a time: the last one is the one past the cap
    found = await receipts(notify)
    assert [found[c] for c in cases] == ["sent"] * cap + ["failed"]
    assert Counter(m["to"] for m in sms) == Counter({"+358401112233": cap})

    # Another number, the same day: sent.
    other = await intake.post("/api/v1/requests", json=request_body(
        "raisio", contact={"method": "sms", "phone": "050 987 6543"}))
    await settled(notify, cap + 2)
    assert (await receipts(notify))[other.json()["case_id"]] == "sent"
    assert Counter(m["to"] for m in sms) == Counter({"+358401112233": cap, "+358509876543": 1})

    # Recorded as refused, with a reason and no number; the case page says why in the reader's language.
    refused = await failure_of(kafka.bootstrap, prefix, cases[-1])
    assert refused["payload"]["reason"] == f"daily cap reached: {cap} text messages to this number today"
    assert refused["payload"]["channel"] == "sms" and refused["payload"]["recipient"] == "family"
    await staff(routing, stack["apps"]["routing"])

    async def case_page_says_why() -> bool:
        page = await routing.get(f"/cases/{cases[-1]}")
        return page.status_code == 200 and t("failure_daily_cap", "fi") in page.text

    await eventually(case_page_says_why, what="the refusal on the case page")
    page_sv = await routing.get(f"/cases/{cases[-1]}", params={"lang": "sv"})
    assert t("failure_daily_cap", "sv").replace("'", "&#39;") in page_sv.text

    # Counted without the number: one row per number, a digest, the day; no table, log or event has it.
    rows = await raw_rows(postgres.dsn, prefix)
    counts = [json.loads(r) for r in rows if '"digest"' in r]
    assert sorted(c["sent"] for c in counts) == [1, cap] and all(len(c["digest"]) == 64 for c in counts)
    assert {c["day"] for c in counts} == {helsinki_day(datetime.now(UTC)).isoformat()}
    everything = "\n".join(rows) + json.dumps(refused)
    logs = capfd.readouterr()
    assert not any(d in everything or d in logs.out + logs.err for d in DIGITS + ("9876543",))


async def test_a_new_day_counts_afresh_and_past_days_are_pruned(stack, postgres, prefix):
    """Yesterday's full count does not hold today's message, and yesterday's rows go as today's are counted."""
    intake, notify, sms = stack["intake"], stack["notify"], stack["sms"]
    runtime = stack["apps"]["notify"].state.runtime
    cap = runtime.regions.by_id[REGION].contact.sms_daily_cap
    kek_id, digest = current_digest(runtime.settings.keyring, "phone", "+358401112233")
    async with runtime.pool.acquire() as conn:
        await conn.execute("INSERT INTO sms_daily_counts (day, kek_id, digest, sent)"
                           " VALUES ($1, $2, $3, $4)", helsinki_day(datetime.now(UTC)) - timedelta(days=1), kek_id,
                           digest, cap)
    answer = await intake.post("/api/v1/requests", json=request_body(
        "raisio", contact={"method": "sms", "phone": "040 111 2233"}))
    assert (await settled(notify, 1))[answer.json()["case_id"]] == "sent"
    assert [m["to"] for m in sms] == ["+358401112233"]
    async with runtime.pool.acquire() as conn:
        days = await conn.fetch("SELECT day, sent FROM sms_daily_counts")
    assert [(r["day"], r["sent"]) for r in days] == [(helsinki_day(datetime.now(UTC)), 1)]


async def test_numbers_published_before_the_check_are_normalised_or_refused_never_a_crash(stack, kafka, prefix):
    """Old requests on the stream, sealed with the number as typed: the rule applies when notify sends."""
    notify, sms = stack["notify"], stack["sms"]
    runtime = stack["apps"]["notify"].state.runtime
    old = {"040-765 43 21": ("sms", "sent"), "+882 1348 0000": ("sms", "failed"), "(((((": ("sms", "failed"),
           "+1 900 555 0123": ("phone", "failed"), "09 123 4567": ("phone", "failed")}
    expected: dict[str, tuple[str, str]] = {}
    keys, events = [], []
    now = datetime.now(UTC)
    for typed, (method, status) in old.items():
        case_id, data_key = uuid.uuid4(), new_data_key()
        personal = {"message": "vanha", "contact": {"method": method, "phone": typed}}
        event = new_event(RequestSubmitted, case_id=case_id, region=REGION, municipality="raisio", actor="family",
                          occurred_at=now, payload=RequestSubmittedPayload(
                              submission_id=uuid.uuid4(), reference=uuid.uuid4().hex[:8].upper(), language="fi",
                              requester_role="parent", contact_method=method, answer_due=answer_due(now, 1),
                              deadline_business_days=1,
                              personal=seal(data_key, case_id, personal, sealed_place("request.submitted"))))
        wrapped = runtime.settings.keyring.wrap(case_id, REGION, data_key)
        keys.append((str(case_id).encode(), wrapped.model_dump_json().encode()))
        events.append((str(case_id).encode(), encode(event)))
        expected[str(case_id)] = (typed, status)
    await produce(kafka.bootstrap, keys_topic(prefix, REGION), keys)
    await produce(kafka.bootstrap, cases_topic(prefix, REGION), events)
    found = await settled(notify, len(old))
    assert {case: status for case, (_, status) in expected.items()} == found
    assert [m["to"] for m in sms] == ["+358407654321"]
    reasons = {case: (await failure_of(kafka.bootstrap, prefix, case))["payload"]["reason"]
               for case, (_, status) in expected.items() if status == "failed"}
    by_typed = {expected[case][0]: reason for case, reason in reasons.items()}
    assert by_typed["+882 1348 0000"].startswith("number refused (service_number)")
    assert by_typed["+1 900 555 0123"].startswith("number refused (service_number)")
    assert by_typed["((((("].startswith("number refused (invalid)")
    assert by_typed["09 123 4567"].startswith("number refused (not_mobile)")
    assert not any(digits in json.dumps(reasons) for digits in ("1348", "555 0123", "1234567", "123 4567"))
    # And notify goes on: a request of today's intake is still texted.
    answer = await stack["intake"].post("/api/v1/requests", json=request_body(
        "raisio", contact={"method": "sms", "phone": "040 222 3344"}))
    assert (await settled(notify, len(old) + 1))[answer.json()["case_id"]] == "sent"
