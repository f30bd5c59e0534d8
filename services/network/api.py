"""The network's JSON API: thin routes over :mod:`services.network.service`."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from services.network import service
from services.network.deps import NetworkRuntimeDep
from services.network.models import Application, Applied, CampaignInfo
from services.network.web import WRITES_GUARDED
from shared.app import ConnDep, UnitOfWorkDep
from shared.democlock import DemoTimeDep
from shared.errors import NotFound
from shared.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["network"], dependencies=WRITES_GUARDED)

APPLY_ERRORS = errors({
    409: "the region's recruitment has not opened yet",
    410: "the region's recruitment has closed: its closing moment (the end of the closing day, Helsinki time) "
         "had passed when the application would have been stored",
    413: "the body is over 32 KiB",
    422: "a field is missing or invalid (each one named in `fields`)",
    503: "the database does not answer; retry after `Retry-After` seconds",
})


@router.post("/applications", status_code=201, response_model=Applied, summary="Apply to the network",
             responses={200: {"model": Applied, "description": "the same submission_id was already accepted"},
                        **APPLY_ERRORS})
async def post_application(body: Application, runtime: NetworkRuntimeDep, uow: UnitOfWorkDep, response: Response,
                           demo_at: DemoTimeDep) -> Applied:
    """Keep the application while the campaign is open, and mail the link that confirms the address."""
    applied, created = await service.apply(uow=uow, application=body, settings=runtime.settings,
                                           regions=runtime.regions, at=demo_at)
    if not created:
        response.status_code = 200
    return applied


class Confirmation(BaseModel):
    token: str = Field(min_length=20, max_length=100, description="the token of the link mailed to the applicant")


@router.post("/confirmations", summary="Confirm an applicant's address (the mailed link's token)",
             responses=errors({404: "the link is used, expired or unknown", 422: "no token"}))
async def post_confirmation(body: Confirmation, runtime: NetworkRuntimeDep, uow: UnitOfWorkDep,
                            demo_at: DemoTimeDep) -> dict[str, str]:
    await service.confirm(uow=uow, settings=runtime.settings, token=body.token, at=demo_at)
    return {"status": "confirmed"}


@router.get("/recruitment/{region}", response_model=CampaignInfo, summary="A region's recruitment",
            responses=errors({404: "the region is not served here, or it has never recruited"}))
async def get_recruitment(region: str, runtime: NetworkRuntimeDep, conn: ConnDep) -> CampaignInfo:
    if region not in runtime.regions.by_id:
        raise NotFound(f"unknown region '{region[:64]}'", region=region[:64])
    recruiting = await service.recruiting(conn=conn, region=region, at=datetime.now(UTC))
    if recruiting is None:
        raise NotFound("the region has never recruited", region=region)
    return CampaignInfo(region=region, opens_at=recruiting.campaign.opens_at, closes_at=recruiting.campaign.closes_at,
                        closing_day=recruiting.closing_day.isoformat(), state=recruiting.state.value)
