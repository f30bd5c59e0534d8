"""The reply templates' use cases: list, read, create, edit and remove, for the signed-in person's region.

Who may: those who reply read them, coordinators and admins change them. A change is decided against the
template's latest version under a row lock (409 when someone changed it meanwhile) and written with its
record on the region's templates topic in one transaction; it returns once the projection shows it, so the
person reads their own write.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog

from services.routing import reply_templates, template_store
from services.routing.accounts import StaffSession
from services.routing.permissions import may_manage_templates, may_use_templates
from shared.db import Conn
from shared.errors import Forbidden, NotFound
from shared.replytemplates import ReplyTemplateRecord

if TYPE_CHECKING:
    from shared.app import UnitOfWork

log = structlog.get_logger(__name__)


def _may_read(staff: StaffSession) -> None:
    if not may_use_templates(staff.account):
        raise Forbidden("your role does not use reply templates")


def _may_change(staff: StaffSession) -> None:
    if not may_manage_templates(staff.account):
        raise Forbidden("only coordinators and admins change reply templates")


async def list_templates(*, conn: Conn, staff: StaffSession, language: str | None = None,
                         topic: str | None = None) -> list[ReplyTemplateRecord]:
    """The templates of the person's region."""
    _may_read(staff)
    return await template_store.of_region(conn, staff.account.region, language=language, topic=topic)


async def get_template(*, conn: Conn, staff: StaffSession, template_id: uuid.UUID) -> ReplyTemplateRecord:
    """One template of the person's region; another region's is not found."""
    _may_read(staff)
    found = await template_store.one(conn, template_id, staff.account.region)
    if found is None:
        raise NotFound("no such template")
    return found


async def offered_for_case(*, conn: Conn, staff: StaffSession, language: str, topic: str | None
                           ) -> list[ReplyTemplateRecord]:
    """The templates a case's reply box offers, in the case's language and topic first; none for other roles."""
    if not may_use_templates(staff.account):
        return []
    found = await template_store.of_region(conn, staff.account.region)
    return reply_templates.offer_order(found, language=language, topic=topic)


async def create_template(*, uow: UnitOfWork, staff: StaffSession, fields: reply_templates.TemplateFields,
                          topic_prefix: str, at: datetime | None = None) -> ReplyTemplateRecord:
    """A new template of the person's region, version 1."""
    _may_change(staff)
    record = reply_templates.created(fields, template_id=uuid.uuid4(), region=staff.account.region,
                                     by=staff.account.id, at=at or datetime.now(UTC))
    async with uow.transaction() as conn:
        await template_store.save(conn, record, topic_prefix=topic_prefix)
    log.info("template.created", template_id=str(record.template_id), account_id=staff.account.id)
    await template_store.shown(uow.conn, record.template_id, record.version)
    return record


async def edit_template(*, uow: UnitOfWork, staff: StaffSession, template_id: uuid.UUID,
                        edit: reply_templates.TemplateEdit, topic_prefix: str,
                        at: datetime | None = None) -> ReplyTemplateRecord:
    """The template's next version; Conflict when ``edit.expected_version`` is not its latest."""
    _may_change(staff)
    fields = reply_templates.TemplateFields.model_validate(edit.model_dump(exclude={"expected_version"}))
    async with uow.transaction() as conn:
        current = reply_templates.check_current(await template_store.load_locked(conn, template_id),
                                                region=staff.account.region, expected_version=edit.expected_version)
        record = reply_templates.edited(current, fields, by=staff.account.id, at=at or datetime.now(UTC))
        await template_store.save(conn, record, topic_prefix=topic_prefix)
    log.info("template.edited", template_id=str(template_id), version=record.version, account_id=staff.account.id)
    await template_store.shown(uow.conn, template_id, record.version)
    return record


async def remove_template(*, uow: UnitOfWork, staff: StaffSession, template_id: uuid.UUID,
                          expected_version: int, topic_prefix: str) -> None:
    """Remove the template (a tombstone on the topic); Conflict when it changed since the person saw it."""
    _may_change(staff)
    async with uow.transaction() as conn:
        current = reply_templates.check_current(await template_store.load_locked(conn, template_id),
                                                region=staff.account.region, expected_version=expected_version)
        await template_store.remove(conn, current, topic_prefix=topic_prefix)
    log.info("template.removed", template_id=str(template_id), account_id=staff.account.id)
    await template_store.shown(uow.conn, template_id, None)
