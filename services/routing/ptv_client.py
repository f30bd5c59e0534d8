"""Fetching a region's services from Suomi.fi PTV's open API, version 11 (no sign-in: the read API is open).

``fetch_bundle`` returns the bundle :mod:`services.routing.ptv` reads and ``--save`` keeps: every page of each
organisation's services, then the channels they link to, as the API answered them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog

from services.routing.ptv import channel_ids

log = structlog.get_logger(__name__)
CHANNELS_PER_REQUEST = 50  # the ids go in the query string; fifty keep it well under any proxy's limit
MAX_PAGES = 200  # a loop that never ends on a wrong pageCount would hide the error


async def _get(client: httpx.AsyncClient, path: str, params: dict[str, str]) -> Any:
    response = await client.get(path, params=params)
    response.raise_for_status()
    return response.json()


async def organization_pages(client: httpx.AsyncClient, organization_id: str) -> list[Any]:
    """Every page of ``/api/v11/Service/list/organization`` for one organisation (pages count from 1)."""
    pages = []
    for number in range(1, MAX_PAGES + 1):
        page = await _get(client, "/api/v11/Service/list/organization",
                          {"organizationId": organization_id, "page": str(number)})
        pages.append(page)
        if int(page.get("pageNumber") or number) >= int(page.get("pageCount") or 0):
            return pages
    raise RuntimeError(f"PTV answered more than {MAX_PAGES} pages for one organisation")


async def fetch_bundle(base_url: str, organizations: Sequence[str], *, timeout: float = 30.0,
                       transport: httpx.AsyncBaseTransport | None = None) -> dict[str, Any]:
    """The organisations' services and their channels, as PTV answers them now."""
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport,
                                 headers={"Accept": "application/json"}) as client:
        by_organization = {org: await organization_pages(client, org) for org in organizations}
        ids = channel_ids(by_organization)
        channels: list[Any] = []
        for start in range(0, len(ids), CHANNELS_PER_REQUEST):
            chunk = ids[start:start + CHANNELS_PER_REQUEST]
            channels += await _get(client, "/api/v11/ServiceChannel/list", {"guids": ",".join(chunk)})
    log.info("directory.fetched", organizations=len(organizations), channels=len(channels))
    return {"api": "ptv-v11", "fetched_at": datetime.now(UTC).isoformat(), "organizations": by_organization,
            "channels": channels}
