"""Attacks with control characters (issue 18, item 12), run against the services on the real PostgreSQL and Kafka.

Once, NUL and the bidirectional overrides were taken into the family's and the staff's texts (an override turns
what a colleague reads around: "Trojan Source"), and a CR LF in a CSV file's name answered 500. Each test runs
the attack and fails while it works: every door refuses such a text with a 422 naming the field (on a page, in
the page's language, beside the field) and keeps nothing of it; a download's name carrying CR LF, quotes or
characters outside Latin-1 gives one safe header, through a real HTTP server (which is what refused the header).
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from deploy.local.infra import free_port
from services.intake.i18n import t as intake_t
from services.routing.i18n import t as routing_t
from tests.integration.test_reporting import signed_in_reporting
from tests.integration.test_staff import new_case
from tests.support import APPS, LiveServer, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration

OVERRIDE = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: what follows reads backwards
PERIOD = {"region": "varsinais-suomi", "period": "2026", "lang": "en"}


def apps_for(postgres: Any, kafka: Any, prefix: str, *names: str) -> dict[str, FastAPI]:
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    more = {"routing": {"deadline_check_s": 3600}}
    return {name: APPS[name](settings_for(name, **env, **more.get(name, {}))) for name in names}


def refused_fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, (response.status_code, response.text[:300])
    return [f["field"] for f in response.json()["fields"]]


def field_error(page: httpx.Response, field: str) -> str:
    """The error shown beside ``field`` on a page (the paragraph the field is described by)."""
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]+)</p>', page.text)
    assert found, f"no error beside {field}: {page.text[:500]}"
    return found.group(1)


async def test_the_family_s_doors_refuse_them_by_field(postgres: Any, kafka: Any, prefix: str) -> None:
    apps = apps_for(postgres, kafka, prefix, "intake")
    async with running(apps["intake"]) as intake:
        # The JSON API: each text names its field.
        for body, field in ((request_body(message=f"Lapsi{OVERRIDE} voi hyvin"), "message"),
                            (request_body(message="Apua\x00"), "message"),
                            (request_body(contact={"method": "sms", "phone": "+358 40 765 4321",
                                                   "name": "Maija\u2066"}), "contact.name"),
                            (request_body(contact={"method": "email", "email": "a\x1b@example.fi"}), "contact.email")):
            assert refused_fields(await intake.post("/api/v1/requests", json=body)) == [field]
        receipt = (await intake.post("/api/v1/requests", json=request_body())).json()
        credentials = {"reference": receipt["reference"], "pickup_code": receipt["pickup_code"]}
        more = {**credentials, "message_id": str(uuid.uuid4()), "message": f"Lisäksi{OVERRIDE} tämä"}
        assert refused_fields(await intake.post("/api/v1/status/messages", json=more)) == ["message"]
        assert refused_fields(await intake.post("/api/v1/status", json={**credentials,
                                                                        "reference": "K7M4\x00"})) == ["reference"]

        # The form without JavaScript, in Swedish: the error beside each field, the text kept.
        form = {"submission_id": str(uuid.uuid4()), "lang": "sv", "requester_role": "parent",
                "message": f"Hjälp{OVERRIDE} oss", "contact_method": "sms", "phone": "+358 40 765 4321",
                "name": "Mormor\x00", "call_times": "kväll\u2067", "consent": "yes", "website": ""}
        page = await intake.post("/m/raisio", data=form)
        assert page.status_code == 422
        said = intake_t("err_control_chars", "sv")
        assert all(field_error(page, f) == said for f in ("message", "name", "call_times"))
        assert "Hjälp" in page.text  # what was written stays in its box

        # The accessibility feedback, in English: a NUL once went to the database.
        feedback = await intake.post("/accessibility/feedback", data={"lang": "en", "feedback": "Fine\x00",
                                                                     "contact": "me\u202e@example.fi"})
        assert feedback.status_code == 422
        assert field_error(feedback, "feedback") == field_error(feedback, "contact") == intake_t(
            "err_control_chars", "en")

        # The status page, in Finnish, signed in: a message with an escape character.
        signed_in = await intake.post("/status", data={**credentials, "lang": "fi"})
        assert signed_in.status_code == 303
        case_page = await intake.get("/status?lang=fi")
        csrf = re.search(r'name="csrf" value="([^"]+)"', case_page.text)
        assert csrf is not None
        refused = await intake.post("/status/messages", data={"csrf": csrf.group(1), "lang": "fi",
                                                              "message_id": str(uuid.uuid4()),
                                                              "message": "Terveisiä\x1b[31m"})
        assert refused.status_code == 422 and field_error(refused, "message") == intake_t("err_control_chars", "fi")
        sign_in_again = await intake.post("/status", data={"reference": "K7M4\x00", "pickup_code": "x", "lang": "fi"})
        assert sign_in_again.status_code == 422 and intake_t("err_control_chars", "fi") in sign_in_again.text

        # Nothing of it was kept: the family's case holds only the request that was sent.
        status = (await intake.post("/api/v1/status", json=credentials)).json()
        assert all("\x1b" not in (item["text"] or "") for item in status["timeline"])


async def test_the_staff_s_commands_and_templates_refuse_them_by_field(postgres: Any, kafka: Any,
                                                                       prefix: str) -> None:
    apps = apps_for(postgres, kafka, prefix, "intake", "routing")
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing:
        await staff(routing, apps["routing"], language="sv")
        case_id = await new_case(intake, routing)
        version = (await routing.get(f"/api/v1/cases/{case_id}")).json()["command_version"]

        async def command(name: str, **arguments: Any) -> httpx.Response:
            return await routing.post(f"/api/v1/cases/{case_id}/commands",
                                      json={"command": name, "expected_version": version, "arguments": arguments})

        assert refused_fields(await command("reply", text=f"Soitamme{OVERRIDE} huomenna")) == ["arguments.text"]
        assert refused_fields(await command("add_note", text="muistio\x00")) == ["arguments.text"]
        assert refused_fields(await command("hand_off", assignee_kind="team", assignee_id="perhe",
                                            note="\u2068siirto")) == ["arguments.note"]
        template = {"language": "fi", "title": f"Kiitos{OVERRIDE}", "text": "Hei,\n\nkiitos viestistä."}
        assert refused_fields(await routing.post("/api/v1/templates", json=template)) == ["title"]

        # The case page's form, in Swedish: the refusal says which field and why; the text stays in its box.
        page = await routing.get(f"/cases/{case_id}?lang=sv")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        refused = await routing.post(f"/cases/{case_id}/act", data={
            "csrf": csrf.group(1), "lang": "sv", "command": "reply", "expected_version": str(version),
            "text": f"Vi ringer{OVERRIDE} i morgon"})
        assert refused.status_code == 422
        said = routing_t("control_chars_in", "sv", fields=routing_t("field_text", "sv"))
        assert said in refused.text.replace("&#39;", "'") and "Vi ringer" in refused.text

        # Nothing was decided: the case is at the version it was.
        assert (await routing.get(f"/api/v1/cases/{case_id}")).json()["command_version"] == version


async def test_a_crlf_in_a_download_s_name_never_answers_500(postgres: Any, kafka: Any, prefix: str) -> None:
    apps = apps_for(postgres, kafka, prefix, "routing", "reporting")
    async with LiveServer(apps["routing"], free_port()) as routing_live, \
            LiveServer(apps["reporting"], free_port()) as reporting_live, \
            httpx.AsyncClient(base_url=routing_live.url) as admin, \
            httpx.AsyncClient(base_url=routing_live.url) as manager, \
            httpx.AsyncClient(base_url=reporting_live.url) as reporting:
        await staff(admin, apps["routing"], role="admin")
        # The access log's export is named by the case the admin typed, whatever it holds.
        for typed in ("K7M4-2Q9X\r\nSet-Cookie: stolen=1", 'K7M4 "2Q9X";', "Åbo–€", "\r\n"):
            export = await admin.get("/admin/access.csv", params={"case": typed, "lang": "fi"})
            assert export.status_code == 200, (typed, export.status_code)
            disposition = export.headers["content-disposition"]
            assert disposition.startswith('attachment; filename="access-log-') and "\r" not in disposition
            assert "stolen" not in export.headers.get("set-cookie", "")
            assert f"filename*=UTF-8''{quote('access-log-', safe='')}" in disposition
        assert "filename*=UTF-8''access-log-%C3%85bo%E2%80%93%E2%82%AC.csv" in (
            await admin.get("/admin/access.csv", params={"case": "Åbo–€"})).headers["content-disposition"]

        # Reporting's downloads: the same header, and a CR LF in a table's name or a filter is refused, not a 500.
        await signed_in_reporting(manager, reporting, apps["routing"])
        table = await reporting.get("/export/per_month.csv", params=PERIOD)
        assert table.status_code == 200
        plain = re.fullmatch(r'attachment; filename="(pyyda-apua-per_month-varsinais-suomi-2026-01-01-2026-\d\d-\d\d'
                             r'\.csv)"; filename\*=UTF-8\'\'(.+)', table.headers["content-disposition"])
        assert plain is not None and plain.group(1) == plain.group(2), table.headers["content-disposition"]
        for path, params in (("/export/per_month%0D%0ASet-Cookie:%20x=1.csv", PERIOD),
                             ("/export/per_month.csv", {**PERIOD, "region": "varsinais-suomi\r\nX-Evil: 1"}),
                             ("/export/per_month.csv", {**PERIOD, "period": "2026\r\n"})):
            answer = await reporting.get(path, params=params)
            assert 400 <= answer.status_code < 500, (path, params, answer.status_code)
            assert "x-evil" not in answer.headers and "x=1" not in answer.headers.get("set-cookie", "")
