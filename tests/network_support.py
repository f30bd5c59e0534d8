"""Helpers for the network's tests: a network coordinator in the network's copy of the staff directory, signed in
with a pass and holding the session's CSRF token, as routing's redirect and the pages' forms give them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx

from shared.staffpass import issue_pass

ROLE = "network_coordinator"


async def listed(app: Any, account_id: str = "verkosto", *, region: str = "varsinais-suomi", role: str = ROLE,
                 active: bool = True) -> None:
    """The account as routing's staff directory would have reached the network's projection (a test without
    routing: the row the directory's record makes)."""
    await app.state.runtime.pool.execute(
        "INSERT INTO staff_accounts (account_id, region, role, active) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (account_id) DO UPDATE SET region = EXCLUDED.region, role = EXCLUDED.role,"
        " active = EXCLUDED.active", account_id, region, role, active)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


async def form_token(client: httpx.AsyncClient) -> str:
    """The session's CSRF token, from a coordinator's form."""
    page = await client.get("/tasks/new")
    assert page.status_code == 200, page.status_code
    return csrf_of(page.text)


async def signed_in(client: httpx.AsyncClient, app: Any, account_id: str = "verkosto", *,
                    region: str = "varsinais-suomi", language: str = "fi") -> str:
    """Sign ``client`` in to the network as a listed network coordinator; the session's CSRF token."""
    await listed(app, account_id, region=region)
    token = issue_pass(app.state.runtime.settings.staff_pass_secret, account_id=account_id, role=ROLE,
                       region=region, language=language, session_started=datetime.now(UTC))
    answer = await client.get("/auth/pass", params={"token": token})
    assert answer.status_code == 303, answer.text
    return await form_token(client)
