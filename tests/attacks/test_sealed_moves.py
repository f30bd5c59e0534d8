"""A writer to the case stream moves ciphertext between events: a staff member's internal note, taken from
its real ``note.added`` record, republished as a ``reply.sent`` of the same case.

Before the binding, the note opened as a reply on the family's status page. Now each sealed field is bound to
its case, its event type and its field name: the moved note opens nowhere, routing and the status page show
nothing of it and answer 200, and the refusal is logged (without the text)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from shared.codec import decode, encode
from shared.events import InternalNoteAdded, ReplySent, ReplySentPayload, new_event
from shared.topics import cases_topic
from tests.support import APPS, eventually, produce, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
REGION = "varsinais-suomi"


async def stream_of(bootstrap: str, topic: str, case_id: str) -> list[Any]:
    """The case's events as they are on its topic, read raw from offset 0."""
    reader = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                              enable_auto_commit=False)
    await reader.start()
    try:
        found, idle = [], 0
        while idle < 3:
            batch = await reader.getmany(timeout_ms=300)
            idle = 0 if batch else idle + 1
            found += [decode(r.value) for recs in batch.values() for r in recs if r.key == case_id.encode()]
        return [e for e in found if e is not None]
    finally:
        await reader.stop()


async def test_an_internal_note_republished_as_a_reply_opens_nowhere(postgres, kafka, prefix, capfd):
    note_text, reply_text = f"Sisäinen{uuid.uuid4().hex[:10]}", f"Vastaus{uuid.uuid4().hex[:10]}"
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    apps = {name: APPS[name](settings_for(name, **env)) for name in ("intake", "routing")}
    topic = cases_topic(prefix, REGION)
    async with running(apps["intake"]) as intake, running(apps["routing"]) as routing:
        receipt = (await intake.post("/api/v1/requests", json=request_body("naantali"))).json()
        case_id = receipt["case_id"]
        credentials = {"reference": receipt["reference"], "pickup_code": receipt["pickup_code"]}
        await staff(routing, apps["routing"], role="coordinator")

        async def case() -> dict[str, Any] | None:
            response = await routing.get(f"/api/v1/cases/{case_id}")
            return response.json() if response.status_code == 200 and response.json()["message"] else None

        version = (await eventually(case, what="the case in routing"))["command_version"]
        for command, text in (("add_note", note_text), ("reply", reply_text)):
            done = await routing.post(f"/api/v1/cases/{case_id}/commands", json={
                "command": command, "expected_version": version, "arguments": {"text": text}})
            assert done.status_code == 200, done.text
            version = done.json()["command_version"]

        async def family_sees_the_reply() -> dict[str, Any] | None:
            body = (await intake.post("/api/v1/status", json=credentials)).json()
            return body if any(e["text"] == reply_text for e in body.get("timeline", [])) else None

        # The real reply opens for the family: the binding refuses only what was moved.
        before = await eventually(family_sees_the_reply, what="the real reply on the status page")
        page_before = (await routing.get(f"/cases/{case_id}")).text
        assert page_before.count(note_text) >= 1

        # The attack: the note's sealed text, as it is on the stream, republished as a reply of the same case.
        note = next(e for e in await stream_of(kafka.bootstrap, topic, case_id) if isinstance(e, InternalNoteAdded))
        forged = new_event(ReplySent, case_id=note.case_id, region=note.region, municipality=note.municipality,
                           actor=note.actor, payload=ReplySentPayload(reply_id=uuid.uuid4(), text=note.payload.note))
        await produce(kafka.bootstrap, topic, [(case_id.encode(), encode(forged))])

        async def routing_has_it() -> dict[str, Any] | None:
            view = (await routing.get(f"/api/v1/cases/{case_id}")).json()
            return view if sum(e["type"] == "reply.sent" for e in view["timeline"]) == 2 else None

        view = await eventually(routing_has_it, what="the forged reply on routing's timeline")
        replies = [e for e in view["timeline"] if e["type"] == "reply.sent"]
        assert [e["text"] for e in replies] == [reply_text, None]
        assert [(e["refused"], e["erased"]) for e in replies] == [(False, False), (True, False)]
        assert [e["text"] for e in view["timeline"] if e["type"] == "note.added"] == [note_text]
        page = await routing.get(f"/cases/{case_id}")
        assert page.status_code == 200 and page.text.count(note_text) == page_before.count(note_text)
        assert "Tekstiä ei näytetä, koska se ei kuulu tähän tapahtumaan." in page.text

        async def family_has_it() -> dict[str, Any] | None:
            body = (await intake.post("/api/v1/status", json=credentials)).json()
            return body if len(body["timeline"]) == len(before["timeline"]) + 1 else None

        after = await eventually(family_has_it, what="the forged reply in intake's projection")
        assert not any(note_text in (e["text"] or "") for e in after["timeline"])
        signed_in = await intake.post("/status", data={**credentials, "lang": "fi"})
        assert signed_in.status_code == 303
        status_page = await intake.get("/status", params={"lang": "fi"})
        assert status_page.status_code == 200
        assert note_text not in status_page.text and reply_text in status_page.text

    logged = capfd.readouterr()
    assert re.search(r"sealed\.refused", logged.out + logged.err)
    assert note_text not in logged.out + logged.err
