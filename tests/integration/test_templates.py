"""Reply templates on real Kafka and PostgreSQL: kept by coordinators through the API and the pages, refused to
other regions and roles, never overwritten by a concurrent edit, offered in the reply box, and rebuilt."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import uuid

import httpx
import pytest
import structlog

from services.routing.projection import projection as routing_projection
from shared.logging import configure_logging
from shared.rebuild import rebuild
from shared.topics import templates_topic
from tests.support import APPS, eventually, read_topic, request_body, running, settings_for, staff, table_rows

pytestmark = pytest.mark.integration
SV_TEXT = "Hej! Tack för att ni skrev. Vi ringer er i morgon mellan 16 och 18."


@pytest.fixture
async def stack(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    intake_app = APPS["intake"](settings_for("intake", **env))
    routing_app = APPS["routing"](settings_for("routing", **env, deadline_check_s=3600))
    async with running(intake_app) as intake, running(routing_app) as routing:
        yield intake, routing, routing_app


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def body(**overrides):
    return {"language": "sv", "title": "Familjerådgivning", "text": SV_TEXT, "topic": "family_change", **overrides}


async def test_coordinator_keeps_templates_through_the_api(stack):
    _, routing, app = stack
    await staff(routing, app)
    created = await routing.post("/api/v1/templates", json=body())
    assert created.status_code == 201, created.text
    template = created.json()
    assert (template["version"], template["language"], template["topic"]) == (1, "sv", "family_change")
    tid = template["template_id"]
    listed = (await routing.get("/api/v1/templates", params={"language": "sv"})).json()
    assert [t["template_id"] for t in listed] == [tid]  # read your own write: the projection shows it already
    assert (await routing.get("/api/v1/templates", params={"language": "fi"})).json() == []

    edited = await routing.put(f"/api/v1/templates/{tid}", json=body(title="Rådgivning", topic=None,
                                                                     expected_version=1))
    assert edited.status_code == 200 and edited.json()["version"] == 2 and edited.json()["topic"] is None
    assert (await routing.get(f"/api/v1/templates/{tid}")).json()["title"] == "Rådgivning"
    stale = await routing.put(f"/api/v1/templates/{tid}", json=body(expected_version=1))
    assert stale.status_code == 409 and stale.json()["current_version"] == 2

    bad = await routing.post("/api/v1/templates", json=body(title="", language="de", colour="red"))
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["fields"]} == {"title", "language", "colour"}
    nul = await routing.put(f"/api/v1/templates/{tid}", json=body(text="a\x00b", expected_version=2))
    assert nul.status_code == 422 and [f["field"] for f in nul.json()["fields"]] == ["text"]
    no_csrf = await routing.post("/api/v1/templates", json=body(), headers={"X-CSRF-Token": "wrong"})
    assert no_csrf.status_code == 403

    assert (await routing.delete(f"/api/v1/templates/{tid}", params={"expected_version": 1})).status_code == 409
    assert (await routing.delete(f"/api/v1/templates/{tid}", params={"expected_version": 2})).status_code == 204
    assert (await routing.get(f"/api/v1/templates/{tid}")).status_code == 404
    assert (await routing.get("/api/v1/templates")).json() == []
    assert (await routing.put(f"/api/v1/templates/{tid}", json=body(expected_version=3))).status_code == 404
    assert (await routing.delete(f"/api/v1/templates/{tid}", params={"expected_version": 3})).status_code == 404


async def test_another_region_and_other_roles_are_refused(stack):
    _, routing, app = stack
    await staff(routing, app)
    tid = (await routing.post("/api/v1/templates", json=body())).json()["template_id"]
    async with client_for(app) as oulu, client_for(app) as pro, client_for(app) as manager, \
            client_for(app) as admin, client_for(app) as nobody:
        await staff(oulu, app, region="pohjois-pohjanmaa")
        assert (await oulu.get("/api/v1/templates")).json() == []
        assert (await oulu.get(f"/api/v1/templates/{tid}")).status_code == 404
        assert (await oulu.put(f"/api/v1/templates/{tid}", json=body(expected_version=1))).status_code == 404
        assert (await oulu.delete(f"/api/v1/templates/{tid}", params={"expected_version": 1})).status_code == 404

        await staff(pro, app, role="professional", team="family-work")
        assert [t["template_id"] for t in (await pro.get("/api/v1/templates")).json()] == [tid]  # they use them
        assert (await pro.post("/api/v1/templates", json=body())).status_code == 403
        assert (await pro.put(f"/api/v1/templates/{tid}", json=body(expected_version=1))).status_code == 403
        assert (await pro.delete(f"/api/v1/templates/{tid}", params={"expected_version": 1})).status_code == 403
        assert (await pro.get("/templates")).status_code == 303  # the templates page is not theirs

        await staff(manager, app, role="manager")
        assert (await manager.get("/api/v1/templates")).status_code == 403
        assert (await manager.post("/api/v1/templates", json=body())).status_code == 403

        await staff(admin, app, role="admin")
        edited = await admin.put(f"/api/v1/templates/{tid}", json=body(title="Av admin", expected_version=1))
        assert edited.status_code == 200 and edited.json()["version"] == 2
        assert (await nobody.get("/api/v1/templates")).status_code == 401
    assert (await routing.get(f"/api/v1/templates/{tid}")).json()["title"] == "Av admin"


async def test_two_coordinators_editing_at_once_one_wins_one_gets_409(stack):
    _, routing, app = stack
    await staff(routing, app)
    tid = (await routing.post("/api/v1/templates", json=body())).json()["template_id"]
    async with client_for(app) as other:
        await staff(other, app)
        results = await asyncio.gather(
            routing.put(f"/api/v1/templates/{tid}", json=body(title="Första", expected_version=1)),
            other.put(f"/api/v1/templates/{tid}", json=body(title="Andra", expected_version=1)))
    assert sorted(r.status_code for r in results) == [200, 409]
    winner = next(r for r in results if r.status_code == 200).json()
    assert next(r for r in results if r.status_code == 409).json()["current_version"] == 2
    assert (await routing.get(f"/api/v1/templates/{tid}")).json()["title"] == winner["title"]


async def test_the_templates_page_creates_edits_and_removes(stack):
    _, routing, app = stack
    csrf = await staff(routing, app, language="sv")
    page = await routing.get("/templates?lang=sv")
    assert page.status_code == 200 and 'href="/templates?lang=sv" aria-current="page"' in page.text
    form = {"csrf": csrf, "lang": "sv", "language": "sv", "title": "Rådgivning", "text": SV_TEXT, "topic": ""}
    done = await routing.post("/templates", data=form)
    assert done.status_code == 303 and done.headers["location"].startswith("/templates?lang=sv&done=created")
    (template,) = (await routing.get("/api/v1/templates")).json()
    listed = await routing.get("/templates?lang=sv&done=created")
    assert "Svarsmallen har lagts till." in listed.text and "Rådgivning" in listed.text

    invalid = await routing.post("/templates", data={**form, "title": " ", "language": "de"})
    assert invalid.status_code == 422
    assert 'id="tpl-title-error"' in invalid.text and 'id="tpl-language-error"' in invalid.text
    assert "Skriv en rubrik" in invalid.text and SV_TEXT in invalid.text  # what was written stays
    assert len((await routing.get("/api/v1/templates")).json()) == 1

    tid = template["template_id"]
    editing = await routing.get(f"/templates/{tid}/edit?lang=sv")
    assert editing.status_code == 200 and 'name="expected_version" value="1"' in editing.text
    saved = await routing.post(f"/templates/{tid}", data={**form, "title": "Ny rubrik", "expected_version": "1"})
    assert saved.status_code == 303
    stale = await routing.post(f"/templates/{tid}", data={**form, "title": "Gammal", "expected_version": "1"})
    assert stale.status_code == 409 and "Någon annan ändrade svarsmallen" in stale.text
    # A problem on an edit keeps the version the person saw, so fixing it cannot pass over a colleague's edit.
    unfixed = await routing.post(f"/templates/{tid}", data={**form, "title": "", "expected_version": "1"})
    assert unfixed.status_code == 422 and 'name="expected_version" value="1"' in unfixed.text
    assert (await routing.post(f"/templates/{tid}/remove", data={"csrf": "wrong", "expected_version": "2"})
            ).status_code == 403
    removed = await routing.post(f"/templates/{tid}/remove", data={"csrf": csrf, "lang": "sv",
                                                                   "expected_version": "2"})
    assert removed.status_code == 303 and "done=removed" in removed.headers["location"]
    assert (await routing.get("/api/v1/templates")).json() == []
    assert (await routing.get(f"/templates/{tid}/edit?lang=sv")).status_code == 404


async def test_the_reply_box_offers_templates_and_inserting_sends_nothing(stack):
    intake, routing, app = stack
    await staff(routing, app)
    made = {}
    for language, title, topic in [("fi", "Yleinen", None), ("sv", "Allmän", None),
                                   ("sv", "Ny familj", "family_change"), ("en", "General", None)]:
        made[title] = (await routing.post("/api/v1/templates", json=body(language=language, title=title,
                                                                         text=f"{title}: {SV_TEXT}",
                                                                         topic=topic))).json()["template_id"]
    case_id = (await intake.post("/api/v1/requests", json=request_body(
        "parainen", language="sv", topic="family_change", message="Det har blivit värre."))).json()["case_id"]

    async def shown() -> httpx.Response | None:
        response = await routing.get(f"/cases/{case_id}?lang=fi")
        return response if response.status_code == 200 else None

    page = await eventually(shown, what="the case page")
    titles = re.findall(r'<option value="[0-9a-f-]{36}" lang="(\w\w)" data-text="[^"]*">([^<]+)</option>', page.text)
    assert titles == [("sv", "Ny familj"), ("sv", "Allmän"), ("fi", "Yleinen"), ("en", "General")]
    assert '<script src="/static/templates.js" defer></script>' in page.text
    assert re.search(r'<textarea id="reply-text"[^>]*></textarea>', page.text)  # empty until one is chosen

    chosen = await routing.get(f"/cases/{case_id}", params={"lang": "fi", "template": made["Allmän"]})
    assert f"Allmän: {SV_TEXT}</textarea>" in chosen.text and "nyt vastauskentässä" in chosen.text
    assert (await routing.get(f"/cases/{case_id}", params={"template": "nonsense"})).status_code == 200
    timeline = (await routing.get(f"/api/v1/cases/{case_id}")).json()["timeline"]
    assert [e["type"] for e in timeline] == ["request.submitted"]  # inserting sent nothing


async def test_template_texts_are_never_logged(postgres, kafka, prefix):
    out = io.StringIO()
    configure_logging("test", "DEBUG", stream=out)
    marker = f"MARKER{uuid.uuid4().hex}"
    try:
        env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
        app = APPS["routing"](settings_for("routing", **env, deadline_check_s=3600))
        async with running(app) as routing:
            await staff(routing, app)
            tid = (await routing.post("/api/v1/templates", json=body(title=marker, text=marker))).json()
            await routing.put(f"/api/v1/templates/{tid['template_id']}",
                              json=body(title=marker, text=f"{marker}!", expected_version=1))
    finally:
        structlog.reset_defaults()
        structlog.contextvars.clear_contextvars()
        logging.getLogger().handlers = []
    lines = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    assert {"template.created", "template.edited"} <= {line.get("msg") for line in lines}
    assert marker not in out.getvalue()


async def test_templates_survive_a_rebuild(postgres, kafka, prefix):
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    app = APPS["routing"](settings_for("routing", **env, deadline_check_s=3600))
    runtime = app.state.runtime
    proj = routing_projection(runtime)
    async with running(app) as routing:
        await staff(routing, app)
        kept = (await routing.post("/api/v1/templates", json=body())).json()["template_id"]
        gone = (await routing.post("/api/v1/templates", json=body(language="fi", title="Poistuva"))).json()
        await routing.put(f"/api/v1/templates/{kept}", json=body(title="Version två", expected_version=1))
        await routing.delete(f"/api/v1/templates/{gone['template_id']}", params={"expected_version": 1})
        third = (await routing.post("/api/v1/templates", json=body(language="en", title="Third"))).json()
        records = await read_topic(kafka.bootstrap, templates_topic(prefix, "varsinais-suomi"), expected=5)
        assert len(records) == 5 and records[3].value is None  # the removal is a tombstone

        async def caught_up() -> bool:
            rows = await table_rows(postgres.dsn, runtime.projection_schema, "reply_templates", "title")
            return [r["title"] for r in rows] == ["Third", "Version två"]

        await eventually(caught_up, what="the templates in the projection")
        live = await table_rows(postgres.dsn, runtime.projection_schema, "reply_templates", "template_id")
        result = await rebuild(dsn=postgres.dsn, service_schema=runtime.settings.db_schema,
                               projection_schema=runtime.projection_schema, bootstrap=kafka.bootstrap,
                               topics=runtime.projection_topics(proj), projection=proj)
        assert result.swapped
        assert await table_rows(postgres.dsn, runtime.projection_schema, "reply_templates", "template_id") == live
        listed = (await routing.get("/api/v1/templates")).json()
        assert {t["template_id"]: t["version"] for t in listed} == {kept: 2, third["template_id"]: 1}
        # The live consumer goes on in the rebuilt schema, and so do edits.
        again = await routing.put(f"/api/v1/templates/{kept}", json=body(title="Tre", expected_version=2))
        assert again.status_code == 200
        assert (await routing.get(f"/api/v1/templates/{kept}")).json()["title"] == "Tre"
