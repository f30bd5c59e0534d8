"""Reporting's HTTP API."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.reporting.queries import Stats, contacts_by_municipality
from shared.app import get_runtime
from shared.runtime import ServiceRuntime

router = APIRouter(prefix="/api/v1", tags=["statistics"])
RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


@router.get("/stats", summary="Contacts per municipality; counts under 5 show as \"<5\"")
async def stats(runtime: RuntimeDep, region: Annotated[str | None, Query(max_length=64)] = None,
                since: date | None = None, until: date | None = None) -> Stats:
    assert runtime.pool is not None
    return await contacts_by_municipality(conn=runtime.pool, region=region, since=since, until=until)
