"""Routing's HTTP API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.routing.queries import QueueItem, list_cases
from shared.app import get_runtime
from shared.runtime import ServiceRuntime

router = APIRouter(prefix="/api/v1", tags=["cases"])


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


@router.get("/cases", summary="The queue: cases ordered by deadline")
async def cases(
    runtime: RuntimeDep,
    region: Annotated[str | None, Query(max_length=64)] = None,
    municipality: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[QueueItem]:
    assert runtime.pool is not None
    return await list_cases(conn=runtime.pool, region=region, municipality=municipality, status=status,
                            limit=limit)
