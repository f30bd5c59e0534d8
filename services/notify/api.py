"""Notify's HTTP API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from shared.app import get_runtime
from shared.runtime import ServiceRuntime

router = APIRouter(prefix="/api/v1", tags=["notifications"])
RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


class DueNotification(BaseModel):
    notification_id: uuid.UUID
    case_id: uuid.UUID
    recipient: str
    template: str
    channel: str
    language: str
    reference: str
    answer_due: date | None
    due_since: datetime


@router.get("/notifications/due", summary="Notifications that are due, oldest first")
async def due(runtime: RuntimeDep, case_id: uuid.UUID | None = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[DueNotification]:
    assert runtime.pool is not None
    rows = await runtime.pool.fetch(
        "SELECT notification_id, case_id, recipient, template, channel, language, reference, answer_due,"
        " due_since FROM notifications_due WHERE ($1::uuid IS NULL OR case_id = $1)"
        " ORDER BY due_since LIMIT $2", case_id, limit)
    return [DueNotification(**dict(r)) for r in rows]
