"""Reads of routing's projection."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg
from pydantic import BaseModel

from shared.db import Conn


class QueueItem(BaseModel):
    """A case in the queue: what staff need to order their work, no personal data."""

    case_id: uuid.UUID
    reference: str
    region: str
    municipality: str
    language: str
    requester_role: str
    topic: str | None
    contact_method: str
    received_at: datetime
    answer_due: date
    due_at: datetime
    status: str
    version: int


async def list_cases(*, conn: Conn | asyncpg.Pool, region: str | None = None,
                     municipality: str | None = None, status: str | None = None,
                     limit: int = 200) -> list[QueueItem]:
    rows = await conn.fetch(
        "SELECT case_id, reference, region, municipality, language, requester_role, topic, contact_method,"
        " received_at, answer_due, due_at, status, version FROM cases"
        " WHERE ($1::text IS NULL OR region = $1) AND ($2::text IS NULL OR municipality = $2)"
        " AND ($3::text IS NULL OR status = $3)"
        " ORDER BY due_at, received_at LIMIT $4",
        region, municipality, status, limit,
    )
    return [QueueItem(**dict(r)) for r in rows]
