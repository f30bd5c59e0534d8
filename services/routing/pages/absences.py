"""The absences page: who is away and who covers, and the form to record or cancel an absence."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.routing import absences, queries
from services.routing.account_admin import Directory
from services.routing.accounts import StaffSession
from services.routing.i18n import t
from services.routing.pages.render import page_lang, render
from services.routing.web import STAFF, RuntimeDep
from shared.app import ConnDep
from shared.db import Conn
from shared.errors import DomainError
from shared.http import same_token
from shared.i18n import pick_lang

router = APIRouter(include_in_schema=False)
# Those who work with cases and the admin; a manager sees statistics only.
AbsencesPage = Annotated[StaffSession, Depends(STAFF.page(lambda s: s.account.role != "manager"))]


async def _page(request: Request, session: StaffSession, conn: Conn, *, status: int = 200,
                notice: str | None = None, notice_kind: str = "done", kept: dict[str, str] | None = None) -> Response:
    lang = page_lang(request, session)
    region = session.account.region
    pros = await queries.professionals(conn, region)
    teams = [(team_id, names.get(lang) or names.get("fi") or team_id)
             for team_id, names in await queries.teams(conn, region)]
    return render(request, "absences.html", session, status, active="absences", notice=notice, notice_kind=notice_kind,
                  rows=await absences.absences_in_view(conn, viewer=session.account), professionals=pros,
                  teams=teams, team_names=dict(teams), kept=kept or {},
                  may_choose_person=session.account.role in ("coordinator", "admin"))


@router.get("/absences")
async def absences_page(request: Request, session: AbsencesPage, conn: ConnDep, done: str | None = None) -> Response:
    lang = page_lang(request, session)
    notice = t(f"absence_done_{done}", lang) if done in ("recorded", "cancelled") else None
    return await _page(request, session, conn, notice=notice)


@router.post("/absences")
async def record(request: Request, session: AbsencesPage, conn: ConnDep, runtime: RuntimeDep) -> Response:
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [session.account.language])
    kept = {k: str(form.get(k, "")) for k in ("account_id", "starts", "ends", "substitute")}
    if not same_token(str(form.get("csrf", "")), session.csrf):
        return await _page(request, session, conn, status=403, notice_kind="error", notice=t("csrf_failed", lang),
                           kept=kept)
    account_id = kept["account_id"] if session.account.role in ("coordinator", "admin") else session.account.id
    try:
        starts, ends = date.fromisoformat(kept["starts"]), date.fromisoformat(kept["ends"])
    except ValueError:
        return await _page(request, session, conn, status=422, notice_kind="error", kept=kept,
                           notice=t("absence_problem_dates", lang))
    try:
        await absences.record_absence(conn, by=session.account, account_id=account_id, starts=starts, ends=ends,
                                      substitute=kept["substitute"] or None,
                                      directory=Directory(runtime.settings.keyring, runtime.settings.topic_prefix))
    except DomainError as exc:
        field = str(exc.context.get("field", "")) if exc.context.get("field") in ("ends", "starts", "substitute") \
            else "other"
        return await _page(request, session, conn, status=exc.status_code, notice_kind="error", kept=kept,
                           notice=t(f"absence_problem_{field}", lang))
    return RedirectResponse(f"/absences?done=recorded&lang={lang}", status_code=303)


@router.post("/absences/{absence_id}/cancel")
async def cancel(request: Request, absence_id: uuid.UUID, session: AbsencesPage, conn: ConnDep,
                 runtime: RuntimeDep) -> Response:
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [session.account.language])
    if not same_token(str(form.get("csrf", "")), session.csrf):
        return await _page(request, session, conn, status=403, notice_kind="error", notice=t("csrf_failed", lang))
    try:
        await absences.cancel_absence(conn, by=session.account, absence_id=absence_id,
                                      directory=Directory(runtime.settings.keyring, runtime.settings.topic_prefix))
    except DomainError as exc:
        return await _page(request, session, conn, status=exc.status_code, notice_kind="error",
                           notice=t("absence_problem_other", lang))
    return RedirectResponse(f"/absences?done=cancelled&lang={lang}", status_code=303)
