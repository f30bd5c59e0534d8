"""Call windows and callbacks on the family's side, on real Kafka and PostgreSQL.

The windows a family ticks travel sealed with the rest of the contact: the event's plain fields, the request's
row and the log lines never carry them. Once routing schedules a call, the status page and the JSON status say
when it comes, follow a move and a cancellation, and drop it after a contact attempt; the notice that staff could
not reach the family shows as their entry; a rebuild gives the same tables and erasure deletes the call.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta

import asyncpg
import orjson
import pytest
from babel.dates import format_date

from bench.page_weight import linked_assets
from services.intake.projection import projection as intake_projection
from shared.businessdays import HELSINKI, is_business_day
from shared.codec import decode
from shared.events import RequestSubmitted
from shared.places import sealed_place
from shared.rebuild import rebuild
from shared.sealing import Sealed, WrappedKey, unseal, unwrap_key
from shared.topics import cases_topic
from tests.integration.test_logs import json_logs  # noqa: F401 - the fixture: the services' JSON log lines
from tests.integration.test_rebuild import snapshot
from tests.support import APPS, eventually, read_topic, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
REGION = "varsinais-suomi"
WINDOWS = ["thu-8-12", "tue-16-18", "tue-16-18", "fri-12-16"]
KEPT = ["tue-16-18", "thu-8-12", "fri-12-16"]
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def phone_request(windows: list[str], **contact: str) -> dict[str, object]:
    return request_body("raisio", language="sv", contact={
        "method": "phone", "phone": "+358 40 555 0199", "call_windows": windows, **contact})


async def opened_contact(dsn: str, prefix: str, app, case_id: uuid.UUID, sealed: Sealed) -> dict[str, object]:
    """What routing and notify read: the personal payload opened with the case's key."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(f'SELECT region, kek_id, nonce, wrapped FROM "intake_{prefix}".case_keys'
                                  f' JOIN "intake_{prefix}".requests USING (case_id) WHERE case_id = $1', case_id)
    finally:
        await conn.close()
    key = unwrap_key(app.state.runtime.settings.kek_bytes, WrappedKey(
        case_id=case_id, region=row["region"], kek_id=row["kek_id"], nonce=row["nonce"], wrapped=row["wrapped"]))
    personal = unseal(key, case_id, sealed, sealed_place("request.submitted"))
    assert isinstance(personal, dict)
    contact = personal["contact"]
    assert isinstance(contact, dict)
    return contact


async def test_windows_travel_sealed_and_nowhere_else(postgres, kafka, prefix, json_logs):  # noqa: F811
    app = APPS["intake"](settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap))
    async with running(app) as intake:
        accepted = await intake.post("/api/v1/requests", json=phone_request(WINDOWS, call_times="helst efter fem"))
        assert accepted.status_code == 201, accepted.text
        case_id = uuid.UUID(accepted.json()["case_id"])
        # The form's way in: a text message, two windows, sent as a browser sends ticked checkboxes.
        form = {"submission_id": str(uuid.uuid4()), "lang": "fi", "requester_role": "parent", "message": "Apua",
                "contact_method": "sms", "phone": "040 555 0198", "consent": "yes",
                "call_windows": ["wed-12-16", "mon-8-12"]}
        page = await intake.post("/m/raisio", data=form)
        assert page.status_code == 201, page.text
        records = await read_topic(kafka.bootstrap, cases_topic(prefix, REGION), expected=2)
    assert len(records) == 2
    events = [(r.value, decode(r.value)) for r in records]
    by_case = {event.case_id: (raw, event) for raw, event in events if isinstance(event, RequestSubmitted)}
    raw, event = by_case[case_id]
    plain = orjson.loads(raw)
    assert "call_windows" not in raw.decode() and not any(w.encode() in raw for w in WINDOWS)
    assert set(plain["payload"]["personal"]) == set(Sealed.model_fields)  # only ciphertext
    contact = await opened_contact(postgres.dsn, prefix, app, case_id, event.payload.personal)
    assert contact["call_windows"] == KEPT and contact["call_times"] == "helst efter fem"
    (other_id,) = set(by_case) - {case_id}
    other = await opened_contact(postgres.dsn, prefix, app, other_id, by_case[other_id][1].payload.personal)
    assert other["call_windows"] == ["mon-8-12", "wed-12-16"] and other["method"] == "sms"

    rows = await every_intake_row(postgres.dsn, prefix)
    assert rows and not any(w in row for row in rows for w in WINDOWS + ["mon-8-12", "wed-12-16"])
    out = json_logs.getvalue()
    assert "request.accepted" in out  # the lines were read
    assert "call_windows" not in out and not any(w in out for w in WINDOWS + ["mon-8-12", "wed-12-16"])


async def every_intake_row(dsn: str, prefix: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetch("SELECT table_schema, table_name FROM information_schema.tables WHERE"
                                  " table_schema LIKE $1 AND table_type = 'BASE TABLE'", f"intake_{prefix}%")
        return [r["j"] for t in tables for r in await conn.fetch(
            f'SELECT row_to_json(x)::text AS j FROM "{t["table_schema"]}"."{t["table_name"]}" x')]
    finally:
        await conn.close()


@pytest.mark.parametrize("contact,problem", [
    ({"method": "phone", "phone": "040 555 0199", "call_windows": ["sat-8-12"]}, "not a call window"),
    ({"method": "phone", "phone": "040 555 0199", "call_windows": "tue-16-18"}, "list"),
    ({"method": "email", "email": "perhe@example.fi", "call_windows": ["tue-16-18"]}, "phone or text message"),
    ({"method": "phone", "phone": "040 555 0199", "call_windows": [f"mon-{h}-{h + 1}" for h in range(7, 20)]
      + ["tue-7-8", "tue-8-9", "tue-9-10"]}, "at most 15"),
    ({"method": "phone", "phone": "040 555 0199", "call_windows": ["tue-16-17"]}, "outside the region's bands"),
])
async def test_a_bad_window_is_422_naming_the_field(postgres, kafka, prefix, contact, problem):
    app = APPS["intake"](settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap))
    async with running(app) as intake:
        answer = await intake.post("/api/v1/requests", json=request_body("raisio", contact=contact))
        conn = await asyncpg.connect(postgres.dsn)
        try:
            stored = await conn.fetchval(f'SELECT count(*) FROM "intake_{prefix}".requests')
        finally:
            await conn.close()
    assert answer.status_code == 422, answer.text
    fields = answer.json()["fields"]
    assert [f["field"] for f in fields] == ["contact.call_windows"], fields
    assert problem in fields[0]["problem"], fields
    assert stored == 0


async def test_the_form_shows_the_ticked_windows_again_with_an_error(postgres, kafka, prefix):
    app = APPS["intake"](settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap))
    async with running(app) as intake:
        form = {"submission_id": str(uuid.uuid4()), "lang": "sv", "requester_role": "parent", "message": "Hjälp",
                "contact_method": "phone", "phone": "040 555 0199", "call_windows": ["tue-16-18", "fri-8-12"]}
        page = await intake.post("/m/raisio", data=form)  # no consent
        empty = await intake.get("/m/raisio", params={"lang": "sv"})
        weights = [len((await intake.get("/m/raisio", params={"lang": lang})).content) for lang in ("fi", "sv", "en")]
        linked = linked_assets(empty.text)
        assets = sum([len((await intake.get(path)).content) for path in linked])
    assert page.status_code == 422
    checked = set(re.findall(r'value="([a-z]{3}-\d+-\d+)" checked', page.text))
    assert checked == {"tue-16-18", "fri-8-12"}
    assert len(re.findall(r'name="call_windows"', page.text)) == 15
    assert "Tisdag" in page.text and "kl. 16–18" in page.text and "När kan vi ringa dig?" in page.text
    assert not re.findall(r'value="[a-z]{3}-\d+-\d+" checked', empty.text)
    # The family's pages stay light: the form with its 15 windows, and with its stylesheets and script.
    assert "/static/form.js" in linked and any(path.endswith(".css") for path in linked), linked
    assert max(weights) < 11_000 and max(weights) + assets < 21_500, (weights, assets)


def next_business_day(after: date) -> date:
    day = after + timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def when(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), HELSINKI)


def window(status: dict) -> tuple[datetime, datetime] | None:
    """The JSON status's call, as aware datetimes."""
    call = status["callback"]
    return (datetime.fromisoformat(call["starts_at"]), datetime.fromisoformat(call["ends_at"])) if call else None


async def test_the_status_page_follows_the_call_and_the_notice(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {name: APPS[name](settings_for(name, **env)) for name in ("intake", "routing")}
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing:
        await staff(routing, apps["routing"])
        receipt = (await intake.post("/api/v1/requests", json=phone_request(["tue-16-18"]))).json()
        case_id = receipt["case_id"]
        credentials = {"reference": receipt["reference"], "pickup_code": receipt["pickup_code"]}

        async def command(name: str, **arguments: object) -> None:
            async def ready():
                found = await routing.get(f"/api/v1/cases/{case_id}")
                return found.json() if found.status_code == 200 else None

            version = (await eventually(ready, what="the case in routing"))["command_version"]
            done = await routing.post(f"/api/v1/cases/{case_id}/commands", json={
                "command": name, "expected_version": version, "arguments": arguments})
            assert done.status_code == 200, done.text

        async def status_where(check):
            async def seen():
                answer = (await intake.post("/api/v1/status", json=credentials)).json()
                return answer if check(answer) else None

            return await eventually(seen, what="the status to change")

        signed = await intake.post("/status", data={**credentials, "lang": "sv"})
        assert signed.status_code == 303
        first = await intake.get("/status", params={"lang": "sv"})
        assert first.status_code == 200 and 'id="callback"' not in first.text  # readable with nothing of this

        today = datetime.now(HELSINKI).date()
        day_one = next_business_day(today)
        day_two = next_business_day(day_one)
        await command("schedule_callback", day=day_one.isoformat(), start="16:00", end="17:00")
        status = await status_where(lambda s: s["callback"] is not None)
        assert window(status) == (when(day_one, 16), when(day_one, 17))
        page = (await intake.get("/status", params={"lang": "sv"})).text
        said = f"Vi ringer dig {format_date(day_one, 'EEE d MMM', locale='sv_FI')} mellan klockan 16 och 17."
        assert said in page
        english = (await intake.get("/status", params={"lang": "en"})).text
        assert f"We will call you on {format_date(day_one, 'EEE d MMM', locale='en_GB')} between 16 and 17." \
            in english

        # Moved: only the new time is shown.
        await command("schedule_callback", day=day_two.isoformat(), start="08:00", end="09:30")
        await status_where(lambda s: window(s) == (when(day_two, 8), when(day_two, 9, 30)))
        page = (await intake.get("/status", params={"lang": "fi"})).text
        assert f"Soitamme sinulle {format_date(day_two, 'EEE d.M.', locale='fi_FI')} kello 8 ja 9.30 välillä." \
            in page
        assert page.count('id="callback"') == 1
        await command("cancel_callback")
        await status_where(lambda s: s["callback"] is None)
        assert 'id="callback"' not in (await intake.get("/status", params={"lang": "fi"})).text

        # A call scheduled, then tried: the attempt uses it up. After the region's three, the notice.
        await command("schedule_callback", day=day_one.isoformat(), start="12:00", end="13:00")
        await status_where(lambda s: s["callback"] is not None)
        for _ in range(3):
            await command("record_contact", channel="phone", result="no_answer")
        await status_where(lambda s: s["callback"] is None)
        await command("send_not_reached_notice")
        status = await status_where(lambda s: any(e["kind"] == "not_reached_notice" for e in s["timeline"]))
        notice = [e for e in status["timeline"] if e["kind"] == "not_reached_notice"]
        assert len(notice) == 1 and notice[0]["author"] == "staff"
        assert notice[0]["text"].startswith("Vi försökte nå dig per telefon")  # the case's language
        page = (await intake.get("/status", params={"lang": "sv"})).text
        assert "Vi försökte nå dig per telefon" in page and "Inget svar ännu." in page  # a notice is no answer
        assert "Du får svar senast" in page

        # Scheduled once more: then a rebuild gives the same tables, and erasure deletes the call.
        await command("schedule_callback", day=day_two.isoformat(), start="16:00", end="17:00")
        await status_where(lambda s: s["callback"] is not None)
        runtime = apps["intake"].state.runtime
        proj = intake_projection(runtime)
        tables = ["family_callbacks", "family_notices"]
        live = await snapshot(postgres.dsn, runtime.projection_schema, tables)
        assert all(len(rows) == 1 for rows in live.values()), live
        result = await rebuild(dsn=postgres.dsn, service_schema=runtime.settings.db_schema,
                               projection_schema=runtime.projection_schema, bootstrap=kafka.bootstrap,
                               topics=runtime.projection_topics(proj), projection=proj)
        assert result.swapped
        assert await snapshot(postgres.dsn, runtime.projection_schema, tables) == live

        await staff(routing, apps["routing"], role="admin")
        erased = await routing.post(f"/api/v1/cases/{case_id}/erase", json={"reason": "family_request"})
        assert erased.status_code == 200, erased.text

        async def scrubbed() -> bool:
            rows = await snapshot(postgres.dsn, runtime.projection_schema, ["family_callbacks"])
            return rows["family_callbacks"] == []

        await eventually(scrubbed, what="erasure to delete the scheduled call")
