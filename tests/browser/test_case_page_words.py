"""The case page as staff read it: every label in their language, choices made on purpose, nothing lost to a
conflict. A coordinator in Swedish opens a case: the family's contact details are named in Swedish, the
notifications in the timeline say which message went to whom (never "request_receipt" or "family"), the
professionals in the assign list carry their team's name and nobody is chosen for them. Someone else changes
the case while the coordinator writes a reply: the refused page shows the case as it now is and keeps the reply
in its box. axe-core on the refused page at 320 px and 1,366 px."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.async_api import Page, expect

from shared.codec import encode
from shared.events import (
    NotificationFailed,
    NotificationFailedPayload,
    NotificationPayload,
    NotificationSent,
    new_event,
)
from shared.topics import cases_topic
from tests.browser.test_followups import accessible_at_both_widths, act, coordinator_api
from tests.browser.test_staff import PASSWORD, routing_server  # noqa: F401 - the fixture, with its accounts
from tests.support import eventually, produce, request_body

pytestmark = pytest.mark.browser


async def notifications_about(kafka, prefix: str, case_id: str, municipality: str) -> None:
    """What notify would say on the stream: a receipt sent to the family, a reply's word that failed."""
    common = {"case_id": uuid.UUID(case_id), "region": "varsinais-suomi", "municipality": municipality,
              "actor": "notify"}
    sent = new_event(NotificationSent, **common, payload=NotificationPayload(
        notification_id=uuid.uuid4(), cause_event_id=uuid.uuid4(), channel="sms", recipient="family",
        template="request_receipt", attempts=1))
    failed = new_event(NotificationFailed, **common, payload=NotificationFailedPayload(
        notification_id=uuid.uuid4(), cause_event_id=uuid.uuid4(), channel="email", recipient="coordinators",
        template="staff_new_case", attempts=5, reason="no coordinators' mailbox is configured"))
    await produce(kafka.bootstrap, cases_topic(prefix, "varsinais-suomi"),
                  [(case_id.encode(), encode(e)) for e in (sent, failed)])


async def sign_in_sv(page: Page, url: str) -> None:
    await page.goto(f"{url}/login?lang=sv")
    await page.fill("#username", "koordinaattori")
    await page.fill("#password", PASSWORD)
    await page.get_by_role("button", name="Logga in").click()


async def test_a_swedish_coordinator_reads_every_label_in_swedish_and_keeps_a_reply_through_a_conflict(
        browser, intake_server, routing_server, kafka, prefix) -> None:  # noqa: F811
    async with httpx.AsyncClient(base_url=intake_server.url) as intake, \
            coordinator_api(routing_server.url) as routing:
        receipt = (await intake.post("/api/v1/requests", json=request_body("naantali", language="sv"))).json()
        case_id = receipt["case_id"]
        await act(routing, case_id, "add_note", text="Perhe on tuttu neuvolasta.")  # the case is in routing now
        await notifications_about(kafka, prefix, case_id, "naantali")

        async def told() -> bool | None:
            found = await routing.get(f"/api/v1/cases/{case_id}")
            types = [e["type"] for e in found.json()["timeline"]] if found.status_code == 200 else []
            return "notification.failed" in types or None

        await eventually(told, what="the notifications in routing's timeline")

        context = await browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
        page = await context.new_page()
        await sign_in_sv(page, routing_server.url)
        await page.goto(f"{routing_server.url}/cases/{case_id}?lang=sv")

        contact = page.locator("dl.contact")
        await expect(contact.locator("dt").first).to_have_text("Namn")
        await expect(contact).to_contain_text("Telefon")
        assert "phone" not in (await contact.inner_text())
        timeline = await page.locator("ol.timeline").inner_text()
        assert "Mottagningskvitto, mottagare: familjen" in timeline
        assert "Ny kontakt, mottagare: koordinatorerna: mottagarens adress är inte inställd" in timeline
        for code in ("request_receipt", "staff_new_case", "family", "coordinators", "configured"):
            assert code not in timeline, code

        assign = page.locator("#assign-to")
        assert await assign.input_value() == ""  # nobody is chosen until the coordinator chooses
        options = await assign.locator("option").all_inner_texts()
        assert any("Pekka Perhetyöntekijä" in o and "Familjearbete" in o for o in options), options
        assert not any("(family-work)" in o for o in options), options

        await page.fill("#reply-text", "Hej! Vi ringer er i morgon förmiddag.")
        await act(routing, case_id, "triage", topic="child_emotions", urgency="urgent")  # someone else, meanwhile

        async def triaged() -> bool | None:
            found = (await routing.get(f"/api/v1/cases/{case_id}")).json()
            return any(e["type"] == "case.triaged" for e in found["timeline"]) or None

        await eventually(triaged, what="the other person's triage in routing's view")
        await page.get_by_role("button", name="Svara skriftligt").click()

        await expect(page.locator("#notice")).to_contain_text("finns kvar i formuläret")
        await expect(page.locator("#reply-text")).to_have_value("Hej! Vi ringer er i morgon förmiddag.")
        await expect(page.locator("ol.timeline")).to_contain_text("brådskande")  # the case as it now is
        await accessible_at_both_widths(page, "the case page after a conflict, in Swedish")
        await context.close()
