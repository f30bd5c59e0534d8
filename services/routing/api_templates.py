"""Routing's JSON API for the region's reply templates; a thin adapter over ``template_service``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import Field

from services.routing import template_service
from services.routing.reply_templates import TemplateEdit, TemplateFields
from services.routing.web import RuntimeDep, SessionDep
from shared.app import ConnDep, UnitOfWorkDep
from shared.events import Language, Topic
from shared.openapi import errors
from shared.replytemplates import ReplyTemplateRecord

router = APIRouter(prefix="/api/v1/templates", tags=["templates"])
NOT_SIGNED_IN = "no session: sign in first"
NO_CSRF = "the X-CSRF-Token header is missing or wrong"
INVALID = "a parameter or field is missing or invalid (each one named in `fields`)"
TOO_LARGE = "the body is over 64 KiB"
READERS = "your role does not use reply templates"
KEEPERS = f"only coordinators and admins change reply templates; or {NO_CSRF}"
NOT_FOUND = "no such template in your region"
CHANGED = "changed meanwhile; `current_version` says which version is the latest"


class TemplateOut(TemplateFields):
    """A template as it is now."""

    template_id: uuid.UUID
    version: int = Field(description="send it as expected_version with an edit or a removal")
    updated_at: datetime
    updated_by: str = Field(description="the staff account id that made this version")

    @classmethod
    def of(cls, record: ReplyTemplateRecord) -> TemplateOut:
        return cls(template_id=record.template_id, version=record.version, updated_at=record.updated_at,
                   updated_by=record.updated_by, language=record.language, title=record.title, text=record.text,
                   topic=record.topic)


@router.get("", summary="The reply templates of your region", responses=errors({
    401: NOT_SIGNED_IN, 403: READERS, 422: INVALID}))
async def list_templates(session: SessionDep, conn: ConnDep, language: Language | None = None,
                         topic: Annotated[Topic | None, Query()] = None) -> list[TemplateOut]:
    found = await template_service.list_templates(conn=conn, staff=session, language=language, topic=topic)
    return [TemplateOut.of(record) for record in found]


@router.post("", status_code=201, summary="Add a reply template to your region", responses=errors({
    401: NOT_SIGNED_IN, 403: KEEPERS, 413: TOO_LARGE, 422: INVALID}))
async def create_template(body: TemplateFields, session: SessionDep, uow: UnitOfWorkDep,
                          runtime: RuntimeDep) -> TemplateOut:
    record = await template_service.create_template(uow=uow, staff=session, fields=body,
                                                    topic_prefix=runtime.settings.topic_prefix)
    return TemplateOut.of(record)


@router.get("/{template_id}", summary="One reply template of your region", responses=errors({
    401: NOT_SIGNED_IN, 403: READERS, 404: NOT_FOUND, 422: INVALID}))
async def get_template(template_id: uuid.UUID, session: SessionDep, conn: ConnDep) -> TemplateOut:
    return TemplateOut.of(await template_service.get_template(conn=conn, staff=session, template_id=template_id))


@router.put("/{template_id}", summary="Edit a reply template: its fields as now written, and the version you saw",
            responses=errors({401: NOT_SIGNED_IN, 403: KEEPERS, 404: NOT_FOUND, 409: CHANGED, 413: TOO_LARGE,
                              422: INVALID}))
async def edit_template(template_id: uuid.UUID, body: TemplateEdit, session: SessionDep, uow: UnitOfWorkDep,
                        runtime: RuntimeDep) -> TemplateOut:
    record = await template_service.edit_template(uow=uow, staff=session, template_id=template_id, edit=body,
                                                  topic_prefix=runtime.settings.topic_prefix)
    return TemplateOut.of(record)


@router.delete("/{template_id}", status_code=204, response_class=Response,
               summary="Remove a reply template (the version you saw)", responses=errors({
                   401: NOT_SIGNED_IN, 403: KEEPERS, 404: NOT_FOUND, 409: CHANGED, 422: INVALID}))
async def remove_template(template_id: uuid.UUID, expected_version: Annotated[int, Query(ge=1)],
                          session: SessionDep, uow: UnitOfWorkDep, runtime: RuntimeDep) -> Response:
    await template_service.remove_template(uow=uow, staff=session, template_id=template_id,
                                           expected_version=expected_version,
                                           topic_prefix=runtime.settings.topic_prefix)
    return Response(status_code=204)
