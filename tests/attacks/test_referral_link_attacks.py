"""Attacks on the receiving service's referral link, against routing on the real PostgreSQL and Kafka.

The link is the only key to a family's contact and the worker's note outside the staff's sign-in. Each test runs an
attack and fails while it works: a forged or altered token, a link moved to another service or another case, an
expired one, one that gives away which check refused it, and input that would make the page fail.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.referral_links import ReferralLink, sign_link
from shared.sealing import Keyring
from tests.support import APPS, eventually, request_body, running, settings_for, staff

pytestmark = pytest.mark.integration
NOTE = "Isä pyysi, ettei kouluun soiteta."


@pytest.fixture
async def referral(postgres: Any, kafka: Any, prefix: str) -> AsyncIterator[dict[str, Any]]:
    """A real case referred with consent to perheneuvola, and a client that is signed in nowhere."""
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    intake_app = APPS["intake"](settings_for("intake", **env))
    routing_app = APPS["routing"](settings_for("routing", **env, deadline_check_s=3600))
    async with running(intake_app) as intake, running(routing_app) as routing:
        await staff(routing, routing_app)
        case_ids = []
        for _ in range(2):
            body = request_body("raisio")
            body["contact"] = {"method": "email", "email": "perhe@example.fi"}
            case_id = (await intake.post("/api/v1/requests", json=body)).json()["case_id"]

            async def visible(case_id: str = case_id) -> bool | None:
                return (await routing.get(f"/api/v1/cases/{case_id}")).status_code == 200 or None

            await eventually(visible, what="the case in routing")
            done = await routing.post(f"/api/v1/cases/{case_id}/commands", json={
                "command": "refer", "expected_version": 0,
                "arguments": {"service_id": "perheneuvola", "consent": "written", "note": NOTE}})
            assert done.status_code == 200, done.text
            case_ids.append(case_id)

        async def referral_ids() -> list[str] | None:
            views = [(await routing.get(f"/api/v1/cases/{c}")).json() for c in case_ids]
            found = [v["referrals"][0]["referral_id"] for v in views if v["referrals"]]
            return found if len(found) == 2 else None

        ids = await eventually(referral_ids, what="the referrals on the cases")
        keyring: Keyring = routing_app.state.runtime.settings.keyring
        public = httpx.AsyncClient(transport=httpx.ASGITransport(app=routing_app), base_url="http://testserver")
        async with public:
            yield {"public": public, "keyring": keyring, "cases": case_ids, "referrals": ids, "app": routing_app}


def link(r: dict[str, Any], *, index: int = 0, service: str = "perheneuvola", days: float = 5,
         case: int | None = None, keyring: Keyring | None = None) -> str:
    return sign_link(keyring or r["keyring"], ReferralLink(
        referral_id=uuid.UUID(r["referrals"][index]), case_id=uuid.UUID(r["cases"][index if case is None else case]),
        service_id=service, expires_at=(datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)))


async def open_(r: dict[str, Any], token: str) -> httpx.Response:
    return await r["public"].post(f"/referral/{token}/open", data={"name": "Matti Meikäläinen", "lang": "fi"})


async def test_the_real_link_opens_and_every_forgery_is_refused_alike(referral: dict[str, Any]) -> None:
    r = referral
    real = await open_(r, link(r))
    assert real.status_code == 200 and NOTE in real.text
    refusals = []
    token = link(r)
    kek, body, mac = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[-1] ^= 1  # the expiry's last digit: a longer life
    longer = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    attacks = {
        "flipped expiry": f"{kek}.{longer}.{mac}",
        "no signature": f"{kek}.{body}.",
        "signed with a key of its own": link(r, keyring=Keyring(current="dev", keks={"dev": b"\x07" * 32})),
        "another KEK id": f"{base64.urlsafe_b64encode(b'k-unknown').rstrip(b'=').decode()}.{body}.{mac}",
        "another service": link(r, service="perhetyo"),
        "another case's referral": link(r, index=0, case=1),
        "expired": link(r, days=-1 / 24),
        # Signed right, but for a referral the case never had: none is made without the family's consent.
        "a referral never sent": sign_link(r["keyring"], ReferralLink(
            referral_id=uuid.uuid4(), case_id=uuid.UUID(r["cases"][0]), service_id="perheneuvola",
            expires_at=(datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0))),
        "garbage": "x" * 50,
        "huge": "a.b." + "c" * 20_000,
    }
    for what, forged in attacks.items():
        answer = await open_(r, forged)
        assert answer.status_code == 404, (what, answer.status_code)
        assert NOTE not in answer.text and "perhe@example.fi" not in answer.text, what
        refusals.append(answer.text.replace(forged, "<token>"))  # its language links lead to its own address
    # One answer for every refusal: the page never tells an expired link from a forged one.
    assert len(set(refusals)) == 1
    # The other case's own link opens its own referral only.
    other = await open_(r, link(r, index=1))
    assert other.status_code == 200 and NOTE in other.text


async def test_a_refused_link_discloses_nothing_and_logs_no_disclosure(referral: dict[str, Any]) -> None:
    r = referral
    pool = r["app"].state.runtime.pool
    for forged in (link(r, service="perhetyo"), link(r, days=-1)):
        await open_(r, forged)
        await r["public"].post(f"/referral/{forged}/answer", data={"name": "Matti M", "answer": "accept"})
    assert await pool.fetchval("SELECT count(*) FROM access_log WHERE disclosed_to IS NOT NULL") == 0
    view = await pool.fetchval("SELECT state FROM cases WHERE case_id = $1", uuid.UUID(r["cases"][0]))
    assert '"status":"sent"' in view.replace(" ", "")  # no forged answer reached the case


async def test_bad_input_is_422_naming_the_field_never_a_500(referral: dict[str, Any]) -> None:
    r = referral
    token = link(r)
    for data, field_text in (
            ({"name": "Matti\x00Meikäläinen", "answer": "accept"}, "Kirjoita nimesi"),
            ({"name": "M", "answer": "accept"}, "Kirjoita nimesi"),
            ({"name": "Matti M", "answer": "accept_all"}, "Valitse vastaus"),
            ({"name": "Matti M", "answer": "decline", "reason": "because"}, "Valitse syy"),
            ({"name": "Matti M", "answer": "decline", "reason": "no_capacity", "better_service_id": "neuvola"},
             "sopivampi palvelu"),
            ({"name": "Matti M", "answer": "complete", "outcome": "<script>"}, "päättyi")):
        answer = await r["public"].post(f"/referral/{token}/answer", data={**data, "lang": "fi"})
        assert answer.status_code == 422, (data, answer.status_code)
        assert field_text.lower() in answer.text.lower(), (data, answer.text[:400])
        assert "<script>" not in answer.text
    # An answer no rule allows yet (done before accepting) is refused, and the referral stays unanswered.
    early = await r["public"].post(f"/referral/{token}/answer", data={"name": "Matti M", "answer": "complete",
                                                                      "outcome": "service_given", "lang": "fi"})
    assert early.status_code == 422


async def test_two_answers_at_once_record_one(referral: dict[str, Any]) -> None:
    import asyncio

    r = referral
    token = link(r)
    answers = await asyncio.gather(*(r["public"].post(f"/referral/{token}/answer", data={
        "name": f"Henkilö {i}", "lang": "fi",
        **({"answer": "accept"} if i % 2 else {"answer": "decline", "reason": "no_capacity"})}) for i in range(6)))
    assert sorted(a.status_code for a in answers).count(200) == 1, [a.status_code for a in answers]
    assert all(a.status_code in (200, 409) for a in answers)
    pool = r["app"].state.runtime.pool

    async def answered() -> int | None:
        n = await pool.fetchval("SELECT count(*) FROM case_timeline WHERE case_id = $1 AND type IN"
                                " ('referral.accepted', 'referral.declined')", uuid.UUID(r["cases"][0]))
        return int(n) or None

    assert await eventually(answered, what="the one answer on the case's stream") == 1
    await asyncio.sleep(1)  # nothing more follows
    assert await answered() == 1
