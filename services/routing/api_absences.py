"""Routing's JSON API for absences and substitutes; a thin adapter over ``absences``."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from services.routing import absences
from services.routing.account_admin import Directory
from services.routing.web import RuntimeDep, SessionDep
from shared.app import ConnDep
from shared.errors import Forbidden
from shared.openapi import errors

router = APIRouter(prefix="/api/v1/absences", tags=["absences"])


class AbsenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: str = Field(min_length=1, max_length=100, description="the professional who is away")
    starts: date = Field(description="the first day away (Helsinki)")
    ends: date = Field(description="the last day away (Helsinki), inclusive")
    substitute: str | None = Field(default=None, max_length=120, pattern=r"^(professional|team):[A-Za-z0-9_.@-]+$",
                                   description="'professional:<id>' or 'team:<id>'; none: the team's mailbox")


class AbsenceOut(BaseModel):
    absence_id: uuid.UUID
    account_id: str
    display_name: str
    starts: date
    ends: date
    substitute_kind: str | None
    substitute_id: str | None
    substitute_name: str | None


def _no_statistics_roles(session: SessionDep) -> None:
    if session.account.role == "manager":
        raise Forbidden("your role sees statistics, not the team's absences")


@router.get("", summary="Absences now and ahead: your own (a professional), or the region's", responses=errors({
    401: "no session: sign in first", 403: "your role sees statistics, not the team's absences"}))
async def list_absences(session: SessionDep, conn: ConnDep) -> list[AbsenceOut]:
    _no_statistics_roles(session)
    return [AbsenceOut(absence_id=v.absence.absence_id, account_id=v.account_id, display_name=v.display_name,
                       starts=v.absence.starts, ends=v.absence.ends, substitute_kind=v.absence.substitute_kind,
                       substitute_id=v.absence.substitute_id, substitute_name=v.substitute_name)
            for v in await absences.absences_in_view(conn, viewer=session.account)]


@router.post("", status_code=201, summary="Record an absence with its substitute", responses=errors({
    401: "no session: sign in first", 403: "a professional records only their own absences (or the role sees none)",
    404: "no such professional in your region", 413: "the body is too large",
    422: "a field is invalid (named in `fields`)"}))
async def record_absence(body: AbsenceIn, session: SessionDep, conn: ConnDep, runtime: RuntimeDep) -> AbsenceOut:
    _no_statistics_roles(session)
    made = await absences.record_absence(conn, by=session.account, account_id=body.account_id, starts=body.starts,
                                         ends=body.ends, substitute=body.substitute,
                                         directory=Directory(runtime.settings.keyring, runtime.settings.topic_prefix))
    found = [v for v in await absences.absences_in_view(conn, viewer=session.account)
             if v.absence.absence_id == made.absence_id]
    view = found[0]
    return AbsenceOut(absence_id=made.absence_id, account_id=view.account_id, display_name=view.display_name,
                      starts=made.starts, ends=made.ends, substitute_kind=made.substitute_kind,
                      substitute_id=made.substitute_id, substitute_name=view.substitute_name)


@router.post("/{absence_id}/cancel", status_code=204, summary="Cancel an absence", responses=errors({
    401: "no session: sign in first", 403: "not yours to cancel", 404: "no such absence in your region",
    422: "the absence id is not a UUID"}))
async def cancel_absence(absence_id: uuid.UUID, session: SessionDep, conn: ConnDep, runtime: RuntimeDep) -> Response:
    _no_statistics_roles(session)
    await absences.cancel_absence(conn, by=session.account, absence_id=absence_id,
                                  directory=Directory(runtime.settings.keyring, runtime.settings.topic_prefix))
    return Response(status_code=204)
