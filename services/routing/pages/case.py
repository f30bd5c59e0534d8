"""A case with its whole history, and every action on it as a form."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from services.routing import queries, service, template_service
from services.routing.accounts import StaffSession
from services.routing.decisions import is_command_name
from services.routing.i18n import t
from services.routing.pages.render import TOPICS, page_lang, render
from services.routing.reply_templates import by_language
from services.routing.settings import RoutingSettings
from services.routing.web import QueuePage, RuntimeDep
from shared.app import UnitOfWork, UnitOfWorkDep
from shared.businessdays import add_business_days
from shared.errors import Conflict, InvalidCommand, NotFound, ServiceUnavailable
from shared.http import same_token
from shared.i18n import pick_lang
from shared.replytemplates import ReplyTemplateRecord
from shared.runtime import ServiceRuntime

router = APIRouter(include_in_schema=False)


async def _case_page(request: Request, session: StaffSession, uow: UnitOfWork,
                     runtime: ServiceRuntime[RoutingSettings], case_id: uuid.UUID, *, status: int = 200,
                     notice: str | None = None, notice_kind: str = "done", template: str | None = None) -> Response:
    lang = page_lang(request, session)
    region_id = session.account.region
    try:
        view, version = await service.open_case(uow=uow, staff=session, case_id=case_id, settings=runtime.settings,
                                                action="view")
    except NotFound:
        return render(request, "message.html", session, 404, title=t("not_found", lang), active="queue")
    names = await queries.staff_names(uow.conn, region_id)
    assignees = [(f"professional:{p['id']}", f"{p['display_name']} ({p['team_id']})")
                 for p in await queries.professionals(uow.conn, region_id)]
    team_word = t("team", lang)
    assignees += [(f"team:{team_id}", f"{name.get(lang) or team_id} ({team_word})")
                  for team_id, name in await queries.teams(uow.conn, region_id)]
    cw_due: date | None = None
    if view.state.child_welfare_notified_at is not None:
        cw_due = add_business_days(view.state.child_welfare_notified_at.date(), 7)
    offered = await template_service.offered_for_case(conn=uow.conn, staff=session, language=view.item.language,
                                                      topic=view.item.topic)
    return render(request, "case.html", session, status, view=view, version=version, names=names,
                  assignees=assignees, services=runtime.regions.by_id[region_id].services, topics=TOPICS,
                  notice=notice, notice_kind=notice_kind, cw_decision_due=cw_due, active="queue",
                  templates=offered, template_groups=by_language(offered), chosen=chosen_template(offered, template))


def chosen_template(offered: list[ReplyTemplateRecord], asked: str | None) -> ReplyTemplateRecord | None:
    """The template the reply box was asked to start from (``?template=``), if it is one of those offered.

    Without JavaScript, choosing a template reloads the page with its text in the box; nothing is sent.
    """
    return next((tpl for tpl in offered if str(tpl.template_id) == (asked or "").strip().lower()), None)


@router.get("/cases/{case_id}")
async def case_page(request: Request, case_id: uuid.UUID, session: QueuePage, uow: UnitOfWorkDep,
                    runtime: RuntimeDep, done: bool = False) -> Response:
    notice = t("done", page_lang(request, session)) if done else None
    return await _case_page(request, session, uow, runtime, case_id, notice=notice,
                            template=request.query_params.get("template"))


@router.post("/cases/{case_id}/act")
async def act(request: Request, case_id: uuid.UUID, session: QueuePage, uow: UnitOfWorkDep,
              runtime: RuntimeDep) -> Response:
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [session.account.language])
    if not same_token(str(form.get("csrf", "")), session.csrf):
        return Response("CSRF check failed: reload the page and try again", status_code=403)

    async def again(status: int, notice: str) -> Response:
        return await _case_page(request, session, uow, runtime, case_id, status=status, notice_kind="error",
                                notice=notice)

    name = str(form.get("command", ""))
    if not is_command_name(name):
        return await again(422, t("invalid", lang, detail=name))
    try:
        command = service.command_from_form(name, form)
        expected = int(str(form.get("expected_version", "-1")))
        await service.run_command(uow=uow, staff=session, case_id=case_id, expected_version=expected,
                                  command=command, regions=runtime.regions, settings=runtime.settings)
    except ValidationError as exc:
        return await again(422, t("invalid", lang, detail=", ".join(str(e["loc"][-1]) for e in exc.errors()
                                                                     if e["loc"])))
    except Conflict:
        return await again(409, t("conflict", lang))
    except (InvalidCommand, ServiceUnavailable) as exc:
        return await again(exc.status_code, t("invalid", lang, detail=exc.detail))
    return RedirectResponse(f"/cases/{case_id}?lang={lang}&done=1#notice", status_code=303)
