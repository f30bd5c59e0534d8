"""Notify's HTTP API, and in development a page of every message the local mail and SMS sinks got."""

from __future__ import annotations

import email
import email.policy
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel

from services.notify.settings import NotifySettings
from shared.app import ConnDep, runtime_dependency_for
from shared.errors import NotFound
from shared.http import require_bearer
from shared.openapi import errors
from shared.runtime import ServiceRuntime

NotifyRuntimeDep = Annotated[ServiceRuntime[NotifySettings], Depends(runtime_dependency_for(NotifySettings))]

router = APIRouter(prefix="/api/v1", tags=["notifications"])
dev_router = APIRouter(include_in_schema=False)
_PAGES = Environment(loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
                     autoescape=select_autoescape(["html"]))


class DueNotification(BaseModel):
    """A notification and how its delivery went; never an address or a text."""

    notification_id: uuid.UUID
    case_id: uuid.UUID
    recipient: str
    template: str
    channel: str
    language: str
    reference: str
    answer_due: date | None
    due_since: datetime
    status: str
    attempts: int


async def operator(request: Request, runtime: NotifyRuntimeDep) -> None:
    """The operations API is for whoever holds ``APUA_NOTIFY_API_TOKEN`` (open without one outside production)."""
    require_bearer(request, runtime.settings.api_token, runtime.settings.environment, "the operations API")


@router.get("/notifications", summary="Notifications due or done, oldest first, with their delivery status",
            dependencies=[Depends(operator)],
            responses=errors({401: "no operations token, or a wrong one (`Authorization: Bearer …`)",
                              422: "a parameter is invalid (named in `fields`)"}))
async def notifications(conn: ConnDep, case_id: uuid.UUID | None = None,
                        limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[DueNotification]:
    rows = await conn.fetch(
        "SELECT n.notification_id, n.case_id, n.recipient, n.template, n.channel, n.language, n.reference,"
        " n.answer_due, n.due_since,"
        # A withdrawn reminder that never went out; one sent before it was withdrawn says 'sent'.
        " coalesce(d.status, CASE WHEN n.withdrawn_at IS NULL THEN 'due' ELSE 'withdrawn' END) AS status,"
        " coalesce(d.attempts, 0) AS attempts"
        " FROM notifications_due n LEFT JOIN deliveries d USING (notification_id)"
        " WHERE ($1::uuid IS NULL OR n.case_id = $1) ORDER BY n.due_since LIMIT $2", case_id, limit)
    return [DueNotification(**dict(r)) for r in rows]


@dev_router.get("/dev/mail")
async def dev_mail(runtime: NotifyRuntimeDep) -> HTMLResponse:
    """Development only: every e-mail and text message the local sinks received, newest first."""
    settings = runtime.settings
    if settings.environment != "development":
        raise NotFound("no such page")
    items = []
    folder = settings.dev_mail_dir
    for path in sorted(folder.glob("*"), reverse=True)[:200] if folder.is_dir() else []:
        if path.suffix == ".eml":
            mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = mail.get_body(preferencelist=("plain",))
            items.append({"kind": "e-mail", "to": mail["To"], "subject": mail["Subject"],
                          "text": body.get_content() if body else ""})
        elif path.suffix == ".json":
            sms = orjson.loads(path.read_bytes())
            items.append({"kind": "SMS", "to": sms.get("to"), "subject": "", "text": sms.get("text", "")})
    return HTMLResponse(_PAGES.get_template("dev_mail.html").render(items=items))
