"""Routing's JSON API for the day's calls to families; a thin adapter over ``callback_service``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from services.routing import callback_service
from services.routing.callback_queries import CallbackItem
from services.routing.web import SessionDep
from shared.app import ConnDep
from shared.openapi import errors

router = APIRouter(prefix="/api/v1/callbacks", tags=["callbacks"])
# A day exactly as YYYY-MM-DD: a bare date type would also take "0" (a Unix time) as 1 January 1970.
ISO_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class CallbacksOut(BaseModel):
    day: date = Field(description="the day listed, Helsinki time")
    calls: list[CallbackItem] = Field(description="by the window's start; moved calls only at their new time")


@router.get("", summary="The calls to families on a day that you may see", responses=errors({
    401: "no session: sign in first", 403: "your role sees statistics, not cases",
    422: "a parameter is invalid (each one named in `fields`)"}))
async def list_callbacks(
    session: SessionDep, conn: ConnDep,
    day: Annotated[str | None, Query(pattern=ISO_DAY, json_schema_extra={"format": "date"},
                                     description="YYYY-MM-DD; today in Helsinki by default")] = None,
    team: Annotated[str | None, Query(max_length=64, description="coordinators: only this team's cases")] = None,
    person: Annotated[str | None, Query(max_length=100, description="coordinators: only this caller's calls")] = None,
) -> CallbacksOut:
    try:
        asked = date.fromisoformat(day) if day else None
    except ValueError as exc:
        raise RequestValidationError([{"loc": ("query", "day"), "msg": "not a day of the calendar",
                                       "type": "date_invalid", "input": day}]) from exc
    found = await callback_service.calls_of_day(conn=conn, staff=session, day=asked, team=team or None,
                                                person=person or None)
    return CallbacksOut(day=found.day, calls=found.calls)
