"""The accessibility feedback pages for the region's admins: the list with answer dates, one feedback, its answer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.routing import feedback
from services.routing.accounts import StaffSession
from services.routing.directory import helsinki_today
from services.routing.i18n import t
from services.routing.pages.render import page_lang, render
from services.routing.web import AdminPage, RuntimeDep
from shared.app import ConnDep
from shared.db import Conn
from shared.errors import DomainError, NotFound
from shared.http import same_token
from shared.i18n import pick_lang

router = APIRouter(include_in_schema=False)


@router.get("/admin/feedback")
async def feedback_list(request: Request, session: AdminPage, conn: ConnDep, runtime: RuntimeDep) -> Response:
    items = await feedback.list_feedback(conn, session.account.region, helsinki_today())
    region = runtime.regions.by_id[session.account.region]
    return render(request, "feedback_list.html", session, items=items, active="feedback",
                  municipality_name=lambda m: region.municipality(m).name.get(page_lang(request, session)))


async def _page(request: Request, session: StaffSession, conn: Conn, runtime: RuntimeDep, feedback_id: uuid.UUID, *,
                status: int = 200, notice: str | None = None, notice_kind: str = "done") -> Response:
    lang = page_lang(request, session)
    try:
        view = await feedback.open_feedback(conn, admin=session.account, feedback_id=feedback_id,
                                            keyring=runtime.settings.keyring,
                                            topic_prefix=runtime.settings.topic_prefix, today=helsinki_today())
    except NotFound:
        return render(request, "message.html", session, 404, lang=lang, title=t("not_found", lang), active="feedback")
    region = runtime.regions.by_id[session.account.region]
    return render(request, "feedback.html", session, status, view=view, active="feedback", notice=notice,
                  notice_kind=notice_kind, municipality=region.municipality(view.item.municipality).name.get(lang))


@router.get("/admin/feedback/{feedback_id}")
async def feedback_page(request: Request, feedback_id: uuid.UUID, session: AdminPage, conn: ConnDep,
                        runtime: RuntimeDep, done: bool = False) -> Response:
    notice = t("feedback_answer_saved", page_lang(request, session)) if done else None
    return await _page(request, session, conn, runtime, feedback_id, notice=notice)


@router.post("/admin/feedback/{feedback_id}")
async def answer(request: Request, feedback_id: uuid.UUID, session: AdminPage, conn: ConnDep,
                 runtime: RuntimeDep) -> Response:
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [session.account.language])
    if not same_token(str(form.get("csrf", "")), session.csrf):
        return render(request, "message.html", session, 403, lang=lang, title=t("csrf_failed", lang),
                      active="feedback")
    try:
        await feedback.answer_feedback(conn, admin=session.account, feedback_id=feedback_id,
                                       note=str(form.get("note", "")), keyring=runtime.settings.keyring,
                                       topic_prefix=runtime.settings.topic_prefix)
    except DomainError as exc:
        return await _page(request, session, conn, runtime, feedback_id, status=exc.status_code, notice_kind="error",
                           notice=t("feedback_answer_problem", lang))
    return RedirectResponse(f"/admin/feedback/{feedback_id}?done=1&lang={lang}", status_code=303)
