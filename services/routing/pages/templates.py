"""The reply templates page: coordinators and admins list, add, edit and remove their region's templates."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from services.routing import template_service
from services.routing.accounts import StaffSession
from services.routing.i18n import t
from services.routing.pages.render import TOPICS, render
from services.routing.permissions import may_manage_templates
from services.routing.reply_templates import TemplateEdit, TemplateFields
from services.routing.web import STAFF, RuntimeDep
from shared.app import UnitOfWork, UnitOfWorkDep
from shared.errors import Conflict, NotFound
from shared.http import same_token
from shared.i18n import LANG_NAMES, pick_lang
from shared.replytemplates import ReplyTemplateRecord
from shared.text import is_control_character_error

router = APIRouter(include_in_schema=False)
# A page for those who keep the templates; anyone else goes home.
TemplatesPage = Annotated[StaffSession, Depends(STAFF.page(lambda s: may_manage_templates(s.account)))]
FIELDS = ("language", "title", "text", "topic")


async def _page(request: Request, session: StaffSession, uow: UnitOfWork, *, status: int = 200,
                notice: str | None = None, notice_kind: str = "done", editing: ReplyTemplateRecord | None = None,
                draft: dict[str, str] | None = None, problems: dict[str, str] | None = None) -> Response:
    templates = await template_service.list_templates(conn=uow.conn, staff=session)
    return render(request, "templates.html", session, status, templates=templates, editing=editing,
                  draft=draft or {}, problems=problems or {}, topics=TOPICS, languages=LANG_NAMES,
                  notice=notice, notice_kind=notice_kind, active="templates")


@router.get("/templates")
async def templates_page(request: Request, session: TemplatesPage, uow: UnitOfWorkDep,
                         done: str | None = None) -> Response:
    lang = pick_lang(request.query_params.get("lang"), [session.account.language])
    notice = t(f"template_{done}", lang) if done in ("created", "saved", "removed") else None
    return await _page(request, session, uow, notice=notice)


@router.get("/templates/{template_id}/edit")
async def edit_page(request: Request, template_id: uuid.UUID, session: TemplatesPage,
                    uow: UnitOfWorkDep) -> Response:
    try:
        record = await template_service.get_template(conn=uow.conn, staff=session, template_id=template_id)
    except NotFound:
        lang = pick_lang(request.query_params.get("lang"), [session.account.language])
        return render(request, "message.html", session, 404, title=t("template_gone", lang), active="templates")
    return await _page(request, session, uow, editing=record)


async def _form(request: Request, session: StaffSession) -> tuple[dict[str, Any], str] | None:
    """The form's fields and language; None when its CSRF token is not the session's."""
    form = await request.form()
    if not same_token(str(form.get("csrf", "")), session.csrf):
        return None
    lang = pick_lang(str(form.get("lang", "")), [session.account.language])
    fields: dict[str, Any] = {name: str(form.get(name, "")) for name in FIELDS}
    if not fields["topic"]:
        fields["topic"] = None
    if form.get("expected_version") is not None:
        fields["expected_version"] = str(form.get("expected_version"))
    return fields, lang


def _problems(exc: ValidationError, lang: str) -> dict[str, str]:
    """Each field's problem in the page's language, by field name."""
    found: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "text"
        if is_control_character_error(error):
            found[field] = t("template_problem_control_chars", lang)
        found.setdefault(field, t(f"template_problem_{field}", lang) if field in FIELDS
                         else t("invalid", lang, detail=field))
    return found


def _done(lang: str, what: str) -> Response:
    return RedirectResponse(f"/templates?lang={lang}&done={what}#notice", status_code=303)


@router.post("/templates")
async def create(request: Request, session: TemplatesPage, uow: UnitOfWorkDep, runtime: RuntimeDep) -> Response:
    read = await _form(request, session)
    if read is None:
        return Response("CSRF check failed: reload the page and try again", status_code=403)
    fields, lang = read
    try:
        await template_service.create_template(uow=uow, staff=session, fields=TemplateFields.model_validate(fields),
                                               topic_prefix=runtime.settings.topic_prefix)
    except ValidationError as exc:
        return await _invalid(request, session, uow, exc, fields, lang)
    return _done(lang, "created")


@router.post("/templates/{template_id}")
async def save(request: Request, template_id: uuid.UUID, session: TemplatesPage, uow: UnitOfWorkDep,
               runtime: RuntimeDep) -> Response:
    read = await _form(request, session)
    if read is None:
        return Response("CSRF check failed: reload the page and try again", status_code=403)
    fields, lang = read
    try:
        await template_service.edit_template(uow=uow, staff=session, template_id=template_id,
                                             edit=TemplateEdit.model_validate(fields),
                                             topic_prefix=runtime.settings.topic_prefix)
    except ValidationError as exc:
        return await _invalid(request, session, uow, exc, fields, lang, template_id=template_id)
    except (Conflict, NotFound) as exc:
        return await _refused(request, session, uow, exc, lang)
    return _done(lang, "saved")


@router.post("/templates/{template_id}/remove")
async def remove(request: Request, template_id: uuid.UUID, session: TemplatesPage, uow: UnitOfWorkDep,
                 runtime: RuntimeDep) -> Response:
    read = await _form(request, session)
    if read is None:
        return Response("CSRF check failed: reload the page and try again", status_code=403)
    fields, lang = read
    try:
        version = int(fields.get("expected_version", ""))
    except ValueError:
        return await _page(request, session, uow, status=422, notice_kind="error",
                           notice=t("invalid", lang, detail="expected_version"))
    try:
        await template_service.remove_template(uow=uow, staff=session, template_id=template_id,
                                               expected_version=version, topic_prefix=runtime.settings.topic_prefix)
    except (Conflict, NotFound) as exc:
        return await _refused(request, session, uow, exc, lang)
    return _done(lang, "removed")


async def _invalid(request: Request, session: StaffSession, uow: UnitOfWork, exc: ValidationError,
                   fields: dict[str, Any], lang: str, template_id: uuid.UUID | None = None) -> Response:
    """The form again with what was written and each field's problem beside it (422)."""
    problems = _problems(exc, lang)
    editing = None
    if template_id is not None:
        try:
            editing = await template_service.get_template(conn=uow.conn, staff=session, template_id=template_id)
        except NotFound:
            editing = None
    draft = {name: str(fields.get(name) or "") for name in FIELDS}
    # The version the person saw stays in the form: saving it again must not pass over a colleague's edit.
    draft["expected_version"] = str(fields.get("expected_version") or "")
    return await _page(request, session, uow, status=422, notice_kind="error", editing=editing, draft=draft,
                       problems=problems, notice=t("template_invalid", lang))


async def _refused(request: Request, session: StaffSession, uow: UnitOfWork, exc: Conflict | NotFound,
                   lang: str) -> Response:
    """Someone changed or removed the template meanwhile: the list as it is now, and why nothing was saved."""
    notice = t("template_conflict", lang) if isinstance(exc, Conflict) else t("template_gone", lang)
    return await _page(request, session, uow, status=exc.status_code, notice_kind="error", notice=notice)
