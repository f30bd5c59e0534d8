"""Notify's operations API: open in development without a token, closed in production without one."""

from __future__ import annotations

import base64
import os
from types import SimpleNamespace

import pytest
from starlette.requests import Request

from services.notify.api import operator
from services.notify.settings import NotifySettings
from shared.errors import Unauthorized

KEK = base64.b64encode(os.urandom(32)).decode()


def asking(authorization: str | None) -> Request:
    headers = [(b"authorization", authorization.encode())] if authorization else []
    return Request({"type": "http", "method": "GET", "path": "/api/v1/notifications", "headers": headers})


async def allowed(settings: NotifySettings, authorization: str | None) -> bool:
    try:
        await operator(asking(authorization), SimpleNamespace(settings=settings))  # type: ignore[arg-type]
    except Unauthorized:
        return False
    return True


async def test_without_a_token_open_in_development_and_closed_in_production() -> None:
    assert await allowed(NotifySettings(environment="development"), None)
    production = NotifySettings(environment="production", kek=KEK)
    assert not await allowed(production, None)
    assert not await allowed(production, "Bearer ")
    assert not await allowed(production, "Bearer None")
    # An empty token (an empty variable in docker-compose's environment) is no token at all.
    empty = NotifySettings(environment="production", kek=KEK, api_token="")
    assert not await allowed(empty, "Bearer ")
    assert not await allowed(empty, None)


@pytest.mark.parametrize("environment", ["development", "production"])
async def test_with_a_token_only_its_bearer(environment: str) -> None:
    settings = NotifySettings(environment=environment, kek=KEK, api_token="avain")
    assert await allowed(settings, "Bearer avain")
    assert not await allowed(settings, None)
    assert not await allowed(settings, "Bearer avaim")
    assert not await allowed(settings, "avain")
