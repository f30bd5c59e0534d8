"""The "callbacks today" page: the day's calls to families, for a professional and their team, or the region."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.routing import callback_service, queries
from services.routing.i18n import t
from services.routing.pages.callback_view import clock
from services.routing.pages.render import page_lang, render
from services.routing.web import QueuePage, RuntimeDep
from shared.app import ConnDep

router = APIRouter(include_in_schema=False)


@router.get("/callbacks")
async def callbacks_page(request: Request, session: QueuePage, conn: ConnDep, runtime: RuntimeDep) -> Response:
    lang = page_lang(request, session)
    q = request.query_params
    asked = (q.get("day") or "").strip()
    error, status, day = None, 200, None
    if asked:
        try:
            day = date.fromisoformat(asked)
        except ValueError:
            error, status = t("cb_day_invalid", lang), 422
    found = await callback_service.calls_of_day(conn=conn, staff=session, day=day, team=q.get("team") or None,
                                                person=q.get("person") or None)
    region = runtime.regions.by_id[session.account.region]
    coordinator = session.account.role == "coordinator"
    people = await queries.professionals(conn, region.id) if coordinator else []
    staff = await queries.staff_names(conn, region.id)
    return render(request, "callbacks.html", session, status, found=found, error=error, asked=asked,
                  caller_name=lambda ident: staff.get(ident, ident), clock=lambda moment: clock(moment, lang),
                  active="callbacks", coordinator=coordinator,
                  teams=[{"id": tm.id, "name": tm.name.get(lang)} for tm in region.teams], people=people,
                  today=callback_service.today_in_helsinki(), previous=found.day - timedelta(days=1),
                  following=found.day + timedelta(days=1))
