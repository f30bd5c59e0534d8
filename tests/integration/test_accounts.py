"""Staff accounts on real Kafka, PostgreSQL and SMTP: disabling ends the person's sessions in routing and
reporting, a password link is mailed and works once, role and team changes take effect, and each change is in
the account's history and on the audit stream."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest

from services.routing.admin import main as admin_main
from shared.topics import audit_topic
from tests.integration.test_notify import SmtpServer
from tests.integration.test_reporting import signed_in_reporting
from tests.support import APPS, eventually, read_topic, running, settings_for, staff

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"  # what tests.support.staff gives every account
PERIOD = {"region": "varsinais-suomi", "period": "2026", "lang": "en"}


def client_of(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def deployment(postgres: Any, kafka: Any, prefix: str):  # type: ignore[no-untyped-def]
    smtp = SmtpServer()
    smtp.start()
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {"routing": APPS["routing"](settings_for("routing", **env, deadline_check_s=3600)),
            "reporting": APPS["reporting"](settings_for("reporting", **env)),
            "notify": APPS["notify"](settings_for("notify", **env, smtp_port=smtp.port, sender_interval_s=0.1,
                                                  routing_url="http://staff.example"))}
    async with running(apps["routing"]) as routing, running(apps["reporting"]) as reporting, \
            running(apps["notify"]):
        yield {"apps": apps, "routing": routing, "reporting": reporting, "smtp": smtp}
    smtp.stop()


async def admin_client(apps: dict[str, Any]) -> httpx.AsyncClient:
    admin = client_of(apps["routing"])
    await staff(admin, apps["routing"], role="admin", username="aino")
    return admin


async def act(admin: httpx.AsyncClient, account_id: str, action: str, **fields: str) -> httpx.Response:
    page = await admin.get(f"/admin/accounts/{account_id}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and csrf, page.text[:300]
    return await admin.post(f"/admin/accounts/{account_id}", data={"csrf": csrf.group(1), "lang": "fi",
                                                                   "action": action, **fields})


async def test_a_disabled_account_cannot_sign_in_and_its_sessions_end_in_both_services(deployment, kafka, prefix):
    apps, routing, reporting = deployment["apps"], deployment["routing"], deployment["reporting"]
    await signed_in_reporting(routing, reporting, apps["routing"], role="coordinator")
    assert (await reporting.get("/api/v1/tables/per_month", params=PERIOD)).status_code == 200
    assert (await routing.get("/api/v1/cases")).status_code == 200
    who = await apps["routing"].state.runtime.pool.fetchval("SELECT id FROM accounts ORDER BY created_at DESC LIMIT 1")
    admin = await admin_client(apps)

    done = await act(admin, who, "disable")
    assert done.status_code == 303 and done.headers["location"].startswith(f"/admin/accounts/{who}?done=disable")
    assert (await routing.get("/api/v1/cases")).status_code == 401  # at once, in routing

    async def statistics_closed() -> bool | None:
        return (await reporting.get("/api/v1/tables/per_month", params=PERIOD)).status_code == 401 or None

    await eventually(statistics_closed, what="the statistics session to end with the disabling")
    username = who
    refused = await routing.post("/api/v1/session", json={"username": username, "password": PASSWORD})
    assert refused.status_code == 401
    page = (await admin.get(f"/admin/accounts/{who}")).text
    assert "Poistettu käytöstä" in page and "Aino" in page  # the history names who did it

    assert (await act(admin, who, "enable")).status_code == 303
    assert (await routing.post("/api/v1/session", json={"username": username, "password": PASSWORD})
            ).status_code == 200
    apps["routing"].state.runtime.relay.wake()
    records = await read_topic(kafka.bootstrap, audit_topic(prefix, "varsinais-suomi"), expected=2)
    changes = [json.loads(r.value) for r in records if json.loads(r.value)["type"] == "staff.account_changed"]
    assert [(c["account_id"], c["change"], c["by"]) for c in changes] == [(who, "disabled", "aino"),
                                                                          (who, "enabled", "aino")]


async def test_a_password_link_is_mailed_and_works_once(deployment):
    apps, smtp = deployment["apps"], deployment["smtp"]
    person = client_of(apps["routing"])
    await staff(person, apps["routing"], role="professional", team="family-work", username="pekka",
                email="pekka@varha.example", language="sv")
    admin = await admin_client(apps)
    assert (await act(admin, "pekka", "reset")).status_code == 303

    async def mailed() -> str | None:
        found = [m for m in smtp.mailbox.messages if m["To"] == "pekka@varha.example"]
        return found[0].get_body(("plain",)).get_content() if found else None

    body = await eventually(mailed, timeout=30, what="the password link in Pekka's mailbox")
    assert "lösenord" in body  # his language
    link = re.search(r"http://staff\.example(/password/reset\?token=\S+)", body)
    assert link, body
    path = link.group(1)
    assert (await person.get("/api/v1/cases")).status_code == 200  # the link alone ends nothing
    page = await admin.get(path)
    assert page.status_code == 200 and 'name="token"' in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    short = await admin.post("/password/reset", data={"token": token, "new": "too short", "lang": "fi"})
    assert short.status_code == 422  # and the link still works
    new_password = "a brand new passphrase"
    done = await admin.post("/password/reset", data={"token": token, "new": new_password, "lang": "fi"})
    assert done.status_code == 303
    assert (await person.get("/api/v1/cases")).status_code == 401  # his sessions ended
    assert (await person.post("/api/v1/session", json={"username": "pekka", "password": PASSWORD})
            ).status_code == 401
    assert (await person.post("/api/v1/session", json={"username": "pekka", "password": new_password})
            ).status_code == 200
    again = await admin.post("/password/reset", data={"token": token, "new": "another new passphrase"})
    assert again.status_code == 404
    assert (await admin.get(path)).status_code == 404
    await asyncio.sleep(0.5)
    assert len([m for m in smtp.mailbox.messages if m["To"] == "pekka@varha.example"]) == 1
    pool = apps["notify"].state.runtime.pool
    assert await pool.fetchval("SELECT count(*) FROM staff_resets") == 0  # notify kept no copy of the token


async def test_role_team_and_language_changes_take_effect(deployment):
    apps, routing, reporting = deployment["apps"], deployment["routing"], deployment["reporting"]
    await staff(routing, apps["routing"], role="professional", team="family-work", username="liisa")
    admin = await admin_client(apps)
    assert (await act(admin, "liisa", "team", team="")).status_code == 422  # a professional has a team
    assert (await act(admin, "liisa", "role", role="manager")).status_code == 303
    assert (await routing.get("/api/v1/cases")).status_code == 401  # the old role's session ended
    assert (await routing.post("/api/v1/session", json={"username": "liisa", "password": PASSWORD})
            ).status_code == 200
    assert (await routing.get("/api/v1/cases")).status_code == 403  # a manager sees statistics, not cases

    async def statistics_open() -> bool | None:
        gave = await routing.get("/pass/reporting", params={"next": "/overview"})
        query = gave.headers["location"].split("?", 1)[1]
        return (await reporting.get(f"/auth/pass?{query}")).status_code == 303 or None

    await eventually(statistics_open, what="reporting to know her as a manager")
    assert (await act(admin, "liisa", "language", language="sv")).status_code == 303
    page = (await admin.get("/admin/accounts/liisa?lang=fi")).text
    for line in ("Rooli: ammattilainen → esihenkilö", "Kieli: Suomi → Ruotsi"):
        assert line in page, line


def test_the_command_line_changes_accounts(postgres, kafka, prefix, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    env = {"APUA_DATABASE_URL": postgres.dsn, "APUA_KAFKA_BOOTSTRAP": kafka.bootstrap, "APUA_TOPIC_PREFIX": prefix,
           "APUA_DB_SCHEMA": f"routing_{prefix}", "APUA_ENVIRONMENT": "test", "APUA_NEW_PASSWORD": PASSWORD}
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def run(*argv: str) -> str:
        assert admin_main(list(argv)) == 0, capsys.readouterr().err
        return capsys.readouterr().out

    run("users", "add", "--username", "ella", "--name", "Ella", "--role", "admin", "--region", "varsinais-suomi")
    run("users", "add", "--username", "olli", "--name", "Olli", "--role", "coordinator",
        "--region", "varsinais-suomi")
    assert "disabled" in run("users", "disable", "--username", "olli", "--admin", "ella")
    assert "olli\tcoordinator\t-\tfi\tdisabled" in run("users", "list", "--region", "varsinais-suomi")
    run("users", "enable", "--username", "olli", "--admin", "ella")
    run("users", "set-role", "--username", "olli", "--admin", "ella", "--role", "manager")
    run("users", "set-language", "--username", "olli", "--admin", "ella", "--language", "sv")
    history = run("users", "history", "--username", "olli", "--admin", "ella")
    assert [line.split("\t")[2] for line in history.strip().splitlines()] == ["language", "role", "enabled",
                                                                              "disabled"]
    assert admin_main(["users", "disable", "--username", "olli", "--admin", "olli"]) == 1  # not an admin
