"""The demo's staff sign in as a well-behaved client: a 429 with Retry-After is waited out, anything else is
routing's answer."""

from __future__ import annotations

import httpx
import pytest

from deploy.demo import signin


def _routing(answers: list[int]) -> tuple[httpx.MockTransport, list[str]]:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        status = answers.pop(0)
        headers = {"retry-after": "0"} if status == 429 else {}
        return httpx.Response(status, headers=headers, json={"csrf_token": "t"} if status == 200 else {})

    return httpx.MockTransport(answer), seen


async def test_a_busy_routing_is_waited_for() -> None:
    transport, seen = _routing([429, 429, 200])
    async with httpx.AsyncClient(transport=transport, base_url="http://routing") as client:
        response = await signin.sign_in(client, "koordinaattori", "salasana")
    assert response.status_code == 200 and seen == [signin.PATH] * 3


async def test_a_wrong_password_is_not_tried_again() -> None:
    transport, seen = _routing([401, 200])
    async with httpx.AsyncClient(transport=transport, base_url="http://routing") as client:
        response = await signin.sign_in(client, "koordinaattori", "väärä")
    assert response.status_code == 401 and len(seen) == 1


def test_the_synchronous_client_waits_too_but_not_past_its_patience(monkeypatch: pytest.MonkeyPatch) -> None:
    transport, seen = _routing([429, 200])
    with httpx.Client(transport=transport, base_url="http://routing") as client:
        assert signin.sign_in_now(client, "verkosto", "salasana").status_code == 200
    monkeypatch.setattr(signin, "PATIENCE_S", 0.05)
    transport, seen = _routing([429, 429, 200])
    with httpx.Client(transport=transport, base_url="http://routing") as client:
        assert signin.sign_in_now(client, "verkosto", "salasana").status_code == 429
    assert len(seen) == 1
