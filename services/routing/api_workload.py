"""Routing's JSON API for the team's workload; a thin adapter over ``workload_service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.routing import workload_service
from services.routing.web import RuntimeDep, SessionDep
from services.routing.workload import Workload
from shared.app import ConnDep
from shared.openapi import errors

router = APIRouter(prefix="/api/v1/workload", tags=["workload"])


@router.get("", summary="Open cases, those at risk and overdue, and calls waiting, per team and per professional",
            description="Counts only, for the signed-in person's region. Coordinators and admins see every team and"
            " every professional; managers per team only (`people` is empty); professionals their own team and"
            " themselves (`total` is null). A team's `unassigned` are its open cases no professional has; the"
            " row whose `team_id` is null holds the cases no team has yet.", responses=errors({
                401: "no session: sign in first", 404: "no such team in your region, or not yours to see",
                422: "a parameter is invalid (each one named in `fields`)"}))
async def get_workload(
    session: SessionDep, conn: ConnDep, runtime: RuntimeDep,
    team: Annotated[str | None, Query(min_length=1, max_length=64, description="only this team and its people")] = None,
) -> Workload:
    found = await workload_service.workload_of(conn=conn, staff=session, regions=runtime.regions, team=team)
    return found.workload
