"""Absences on real Kafka and PostgreSQL: assigning to an absent professional asks for a confirmation, handing a
case off to one is refused, the queue marks their cases, and the deadline warning and the family's new message
go to the substitute, not to the one who is away."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from services.routing.deadlines import raise_due_alerts
from services.routing.directory import helsinki_today
from tests.integration.test_notify import channels, stack  # noqa: F401 - the fixtures: intake, routing, notify, SMTP
from tests.support import eventually, request_body, staff

pytestmark = pytest.mark.integration


async def command(client, case_id, name, version, **arguments):  # type: ignore[no-untyped-def]
    return await client.post(f"/api/v1/cases/{case_id}/commands",
                             json={"command": name, "expected_version": version, "arguments": arguments})


async def test_an_absent_professionals_cases_go_to_the_substitute(stack, prefix) -> None:  # noqa: F811
    intake, routing, notify, apps = stack["intake"], stack["routing"], stack["notify"], stack["apps"]
    for name in ("pekka", "liisa"):
        await staff(routing, apps["routing"], role="professional", team="family-work", username=name,
                    email=f"{name}@varha.example")
    await staff(routing, apps["routing"])  # the coordinator, signed in from here on
    today = helsinki_today()
    recorded = await routing.post("/api/v1/absences", json={
        "account_id": "pekka", "starts": today.isoformat(), "ends": (today + timedelta(days=9)).isoformat(),
        "substitute": "professional:liisa"})
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["substitute_name"] == "Liisa"
    overlapping = await routing.post("/api/v1/absences", json={
        "account_id": "pekka", "starts": (today + timedelta(days=2)).isoformat(),
        "ends": (today + timedelta(days=3)).isoformat()})
    assert overlapping.status_code == 422

    receipt = (await intake.post("/api/v1/requests", json=request_body("raisio"))).json()
    case_id = receipt["case_id"]

    async def visible():  # type: ignore[no-untyped-def]
        response = await routing.get(f"/api/v1/cases/{case_id}")
        return response.json() if response.status_code == 200 else None

    await eventually(visible, what="the case in routing")
    asked = await command(routing, case_id, "assign", 0, assignee_kind="professional", assignee_id="pekka")
    assert asked.status_code == 422 and asked.json()["error"] == "assignee_absent", asked.text
    confirmed = await command(routing, case_id, "assign", 0, assignee_kind="professional", assignee_id="pekka",
                              confirm_absent=True)
    assert confirmed.status_code == 200, confirmed.text
    item = [c for c in (await routing.get("/api/v1/cases")).json() if c["case_id"] == case_id][0]
    assert item["assignee_absent"] is True
    page = (await routing.get(f"/cases/{case_id}?lang=fi")).text
    assert "sijaisena Liisa" in page

    # A hand-off to him is refused whatever the confirmation says.
    other = (await intake.post("/api/v1/requests", json=request_body("raisio"))).json()["case_id"]

    async def other_visible():  # type: ignore[no-untyped-def]
        return (await routing.get(f"/api/v1/cases/{other}")).status_code == 200 or None

    await eventually(other_visible, what="the second case in routing")
    assert (await command(routing, other, "assign", 0, assignee_kind="professional", assignee_id="liisa")
            ).status_code == 200
    refused = await command(routing, other, "hand_off", 1, assignee_kind="professional", assignee_id="pekka",
                            note="Pekka tuntee perheen", confirm_absent=True)
    assert refused.status_code == 422 and refused.json()["error"] == "assignee_absent"

    # The deadline warning of his case, and the family's new message, reach Liisa, not Pekka.
    due_at = datetime.fromisoformat((await visible())["case"]["due_at"])
    assert due_at.date() <= today + timedelta(days=9)
    async with apps["routing"].state.runtime.pool.acquire() as conn:
        assert await raise_due_alerts(conn, now=due_at - timedelta(minutes=30), topic_prefix=prefix) == 2  # both cases
    apps["routing"].state.runtime.relay.wake()
    wrote = await intake.post("/api/v1/status/messages", json={
        "reference": receipt["reference"], "pickup_code": receipt["pickup_code"], "message_id": str(uuid.uuid4()),
        "message": "Unohdin kertoa, että lapsi on 8-vuotias."})
    assert wrote.status_code == 201, wrote.text

    async def told():  # type: ignore[no-untyped-def]
        rows = (await notify.get("/api/v1/notifications", params={"case_id": case_id})).json()
        wanted = {(n["template"], n["recipient"]) for n in rows if n["template"] in ("deadline_warning",
                                                                                     "family_wrote_again")}
        return wanted if len(wanted) >= 3 else None

    found = await eventually(told, timeout=30, what="the warning and the family's message to the substitute")
    assert ("deadline_warning", "staff:liisa") in found and ("family_wrote_again", "staff:liisa") in found
    assert not any(recipient == "staff:pekka" for _, recipient in found), found
    assert ("deadline_warning", "team:family-work") in found  # the team's mailbox hears as before

    # Cancelled, the absence no longer marks his cases.
    absence_id = recorded.json()["absence_id"]
    assert (await routing.post(f"/api/v1/absences/{absence_id}/cancel")).status_code == 204
    item = [c for c in (await routing.get("/api/v1/cases")).json() if c["case_id"] == case_id][0]
    assert item["assignee_absent"] is False
