"""The family's status page after a follow-up, after feedback and after closing, in Swedish.

Their own message shows at once after sending (post/redirect/get), from what intake stored, even while the
projection lags (here: Kafka is not there at all); a second feedback is refused with a message, on the page
and in the API; a closed case says how it ended and promises nothing.
"""

from __future__ import annotations

import re
import uuid

import pytest

from deploy.local.infra import free_port
from shared.codec import encode
from shared.events import CaseClosed, CaseClosedPayload, ReplySent, ReplySentPayload, new_event
from shared.places import sealed_place
from shared.sealing import new_data_key, seal
from shared.topics import cases_topic
from tests.support import APPS, eventually, produce, request_body, running, settings_for

pytestmark = pytest.mark.integration
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def signed_in(intake, receipt) -> str:
    """Sign in on the status page as a browser would; the page's CSRF token."""
    done = await intake.post("/status", data={"reference": receipt["reference"],
                                              "pickup_code": receipt["pickup_code"], "lang": "sv"})
    assert done.status_code == 303
    page = await intake.get("/status", params={"lang": "sv"})
    match = CSRF.search(page.text)
    assert match, page.text
    return match.group(1)


async def test_own_message_shows_at_once_while_the_projection_lags(postgres, prefix):
    nowhere = f"127.0.0.1:{free_port()}"  # no broker: nothing reaches the projection
    app = APPS["intake"](settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap=nowhere))
    async with running(app) as intake:
        receipt = (await intake.post("/api/v1/requests", json=request_body("parainen", language="sv"))).json()
        csrf = await signed_in(intake, receipt)
        sent = await intake.post("/status/messages", data={"csrf": csrf, "lang": "sv", "message_id": str(uuid.uuid4()),
                                                           "message": "Det blev värre i natt."})
        assert sent.status_code == 303 and sent.headers["location"] == "/status?lang=sv&sent=message"
        page = await intake.get(sent.headers["location"])
        assert page.status_code == 200
        assert "Det blev värre i natt." in page.text and "Ditt meddelande har skickats." in page.text
        assert "Inget svar ännu." in page.text  # the request itself is not projected: no broker
        # A reload reads the page again and sends nothing twice.
        again = await intake.get("/status", params={"lang": "sv"})
        assert again.text.count("Det blev värre i natt.") == 1


async def test_after_a_follow_up_feedback_and_closing_the_page_says_so_in_swedish(postgres, kafka, prefix):
    app = APPS["intake"](settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap))
    topic = cases_topic(prefix, "varsinais-suomi")
    async with running(app) as intake:
        receipt = (await intake.post("/api/v1/requests", json=request_body("parainen", language="sv"))).json()
        case_id = uuid.UUID(receipt["case_id"])
        csrf = await signed_in(intake, receipt)
        page = await intake.get("/status", params={"lang": "sv"})
        assert "Du får svar senast" in page.text  # not answered yet: the request's day

        # Staff answer; the family writes again: the page promises the follow-up its own day.
        answer = new_event(ReplySent, case_id=case_id, region="varsinais-suomi", municipality="parainen",
                           actor="staff:test", payload=ReplySentPayload(
                               reply_id=uuid.uuid4(),
                               text=seal(new_data_key(), case_id, "svar", sealed_place("reply.sent"))))
        await produce(kafka.bootstrap, topic, [(str(case_id).encode(), encode(answer))])

        async def answered():
            text = (await intake.get("/status", params={"lang": "sv"})).text
            return text if "Du får svar senast" not in text else None

        await eventually(answered, what="the answer on the status page")
        sent = await intake.post("/status/messages", data={"csrf": csrf, "lang": "sv",
                                                           "message_id": str(uuid.uuid4()), "message": "Tack, men…"})
        page = await intake.get(sent.headers["location"])
        assert "Vi svarar på ditt nya meddelande senast" in page.text and "Tack, men…" in page.text

        # Closed, referred to a named service: how it ended, no promise, a feedback form.
        closed = new_event(CaseClosed, case_id=case_id, region="varsinais-suomi", municipality="parainen",
                           actor="staff:test", payload=CaseClosedPayload(outcome="referred",
                                                                         referred_to="perheneuvola"))
        await produce(kafka.bootstrap, topic, [(str(case_id).encode(), encode(closed))])

        async def shows_closed():
            text = (await intake.get("/status", params={"lang": "sv"})).text
            return text if "avslutat" in text else None

        page_text = await eventually(shows_closed, what="the closing on the status page")
        assert "Ditt ärende är avslutat: du hänvisades till Familjerådgivning." in page_text
        assert "senast" not in page_text and 'action="/status/feedback"' in page_text
        credentials = {"reference": receipt["reference"], "pickup_code": receipt["pickup_code"]}
        status = (await intake.post("/api/v1/status", json=credentials)).json()
        assert (status["closed"], status["outcome"], status["referred_to"]) == (True, "referred", "perheneuvola")

        given = await intake.post("/status/feedback", data={"csrf": csrf, "lang": "sv", "score": "4"})
        assert given.status_code == 303 and given.headers["location"] == "/status?lang=sv&sent=feedback"
        page = await intake.get(given.headers["location"])
        assert "Tack för din respons!" in page.text and 'action="/status/feedback"' not in page.text

        # A second one, from a page left open: refused, and told so.
        twice = await intake.post("/status/feedback", data={"csrf": csrf, "lang": "sv", "score": "1"})
        assert twice.status_code == 409
        assert "Du har redan gett respons på det här ärendet." in twice.text
        api = await intake.post("/api/v1/status/feedback", json={
            "reference": receipt["reference"], "pickup_code": receipt["pickup_code"], "score": 2})
        assert api.status_code == 409 and "already given" in api.text
