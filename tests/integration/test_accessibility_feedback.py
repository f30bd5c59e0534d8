"""Accessibility feedback on real Kafka, PostgreSQL and SMTP: junk to an unknown municipality is refused before
anything is stored; real feedback is sealed on the region's stream, reaches the accessibility contact's mailbox
(without its words), is listed for the admins with its 14-day answer date, is answered, and is erased by the
retention rule."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from services.routing.erasure import run_retention
from shared.businessdays import HELSINKI
from shared.feedback import ANSWER_DAYS
from shared.topics import feedback_topic
from tests.integration.test_notify import channels, stack  # noqa: F401 - the fixtures: intake, routing, notify, SMTP
from tests.support import eventually, read_topic, staff

pytestmark = pytest.mark.integration
WORDS = "Painike ei toimi ruudunlukijalla"
CONTACT = "maija.meikalainen@example.fi"


async def test_feedback_is_refused_stored_mailed_listed_answered_and_erased(stack, kafka, prefix) -> None:  # noqa: F811
    intake, smtp, apps = stack["intake"], stack["smtp"], stack["apps"]
    junk = await intake.post("/accessibility/feedback", data={"m": "atlantis", "lang": "fi", "feedback": "spam"})
    assert junk.status_code == 404
    nowhere = await intake.post("/accessibility/feedback", data={"m": "", "lang": "sv", "feedback": "Knappen"})
    assert nowhere.status_code == 422 and "Välj kommunen" in nowhere.text
    assert await apps["intake"].state.runtime.pool.fetchval("SELECT count(*) FROM outbox") == 0

    sent = await intake.post("/accessibility/feedback", data={"m": "raisio", "lang": "fi", "feedback": WORDS,
                                                              "contact": CONTACT})
    assert sent.status_code == 200 and "Kiitos" in sent.text
    records = await read_topic(kafka.bootstrap, feedback_topic(prefix, "varsinais-suomi"), expected=1)
    assert len(records) == 1  # the junk made none
    raw = records[0].value.decode()
    assert WORDS not in raw and CONTACT not in raw and "ruudunlukija" not in raw

    async def mailed():  # type: ignore[no-untyped-def]
        found = [m for m in smtp.mailbox.messages if m["To"] == "saavutettavuus@varha.example"]
        return found or None

    mail = (await eventually(mailed, timeout=30, what="the mail to the accessibility contact"))[0]
    body = mail.get_body(("plain",)).get_content()
    reference = re.search(r"Saavutettavuuspalaute (\S+)", mail["Subject"]).group(1)  # type: ignore[union-attr]
    assert WORDS not in body and CONTACT not in body and "/admin/feedback/" in body

    admin = stack["routing"]
    await staff(admin, apps["routing"], role="admin", username="aila")

    async def listed():  # type: ignore[no-untyped-def]
        page = await admin.get("/admin/feedback?lang=fi")
        return page.text if reference in page.text else None

    page = await eventually(listed, what="the feedback in the admins' list")
    due = datetime.now(HELSINKI).date() + timedelta(days=ANSWER_DAYS)  # counted from the Helsinki day it came
    assert due.strftime("%d.%m.%Y") in page  # the answer date, 14 days on
    link = re.search(r'href="(/admin/feedback/[0-9a-f-]+)\?', page).group(1)  # type: ignore[union-attr]
    opened = await admin.get(f"{link}?lang=fi")
    assert WORDS in opened.text and CONTACT in opened.text
    log = await admin.get("/admin/access?lang=fi")
    assert "Avasi saavutettavuuspalautteen" in log.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', opened.text).group(1)  # type: ignore[union-attr]
    answered = await admin.post(link, data={"csrf": csrf, "lang": "fi", "note": "Vastattu sähköpostilla."})
    assert answered.status_code == 303
    assert "Vastattu" in (await admin.get(f"{link}?lang=fi")).text

    # The retention rule: the answered feedback goes (its key and its record) once the region's days have passed.
    pool = apps["routing"].state.runtime.pool
    regions = apps["routing"].state.runtime.regions
    async with pool.acquire() as conn:
        assert await run_retention(conn, list(regions), topic_prefix=prefix) == 0
        later = datetime.now(UTC) + timedelta(days=regions.by_id["varsinais-suomi"].retention.days + 1)
        assert await run_retention(conn, list(regions), topic_prefix=prefix, now=later) == 1
    apps["routing"].state.runtime.relay.wake()
    assert (await admin.get(f"{link}?lang=fi")).status_code == 404
    tombstones = await read_topic(kafka.bootstrap, feedback_topic(prefix, "varsinais-suomi"), expected=3)
    assert tombstones[-1].value is None
    assert await apps["intake"].state.runtime.pool.fetchval("SELECT count(*) FROM accessibility_feedback") == 0


async def test_feedback_kept_in_plain_text_by_an_earlier_version_is_moved_and_deleted(stack, kafka, prefix) -> None:  # noqa: F811
    from services.intake.admin import move_legacy_feedback

    apps = stack["apps"]
    runtime = apps["intake"].state.runtime
    async with runtime.pool.acquire() as conn:
        await conn.execute("INSERT INTO accessibility_feedback (municipality, language, feedback, contact) VALUES"
                           " ('raisio', 'fi', $1, $2), (NULL, 'fi', 'Ilman kuntaa', NULL)", WORDS, CONTACT)
        assert await move_legacy_feedback(conn, runtime.settings, runtime.regions) == (1, 1)
        assert await conn.fetchval("SELECT count(*) FROM accessibility_feedback WHERE feedback = $1", WORDS) == 0
    runtime.relay.wake()
    records = await read_topic(kafka.bootstrap, feedback_topic(prefix, "varsinais-suomi"), expected=1)
    assert len(records) == 1 and WORDS not in records[0].value.decode()
