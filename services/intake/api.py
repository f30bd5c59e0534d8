"""Intake's HTTP API: thin routes over :mod:`services.intake.commands`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from services.intake.commands import submit_request
from services.intake.models import Accepted, NewRequest
from shared.app import get_runtime
from shared.runtime import ServiceRuntime

router = APIRouter(prefix="/api/v1", tags=["requests"])


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "unknown municipality (named in the body)"},
    413: {"description": "the body is over 64 KiB"},
    422: {"description": "a field is missing or invalid (each one named in `fields`)"},
    503: {"description": "the database does not answer; retry after `Retry-After` seconds"},
}


@router.post("/requests", status_code=201, response_model=Accepted, summary="Send a request for help",
             responses={200: {"model": Accepted, "description": "the same submission_id was already accepted"},
                        **ERRORS})
async def post_request(body: NewRequest, runtime: RuntimeDep, response: Response) -> Accepted:
    """Store the request durably and promise an answer date; a retried submission returns the same case."""
    assert runtime.pool is not None
    s = runtime.settings
    async with runtime.pool.acquire() as conn:
        receipt, created = await submit_request(conn=conn, request=body, regions=runtime.regions,
                                                kek=s.kek_bytes, kek_id=s.kek_id, topic_prefix=s.topic_prefix)
    if created:
        assert runtime.relay is not None
        runtime.relay.wake()
    else:
        response.status_code = 200
    return receipt


@router.get("/municipalities", summary="The municipalities whose button this service answers")
async def municipalities(runtime: RuntimeDep) -> list[dict[str, object]]:
    return [
        {"id": m.id, "name": m.name.model_dump(exclude_none=True), "languages": m.languages, "region": r.id,
         "deadline_business_days": r.deadline.business_days}
        for r in runtime.regions for m in r.municipalities
    ]
