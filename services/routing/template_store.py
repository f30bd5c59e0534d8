"""The reply templates' command side and reads.

``template_commands`` (routing's own schema) holds each template's latest version under a row lock:
a change is decided against it and written there and to the outbox in one transaction. Pages and the
API read ``reply_templates``, the projection of the compacted topic, which a rebuild brings back.
"""

from __future__ import annotations

import asyncio
import uuid

from services.routing.template_projection import COLUMNS
from shared.db import Conn
from shared.outbox import enqueue
from shared.replytemplates import ReplyTemplateRecord, record_headers
from shared.topics import templates_topic

_LOCKED = "SELECT version, record FROM template_commands WHERE template_id = $1 FOR UPDATE"
_PROJECTED = f"SELECT {', '.join(COLUMNS)} FROM reply_templates"
# How long a change waits for the projection to show it (100 × 0.03 s): staff read their own writes.
PROJECTION_CHECKS, PROJECTION_PAUSE_S = 100, 0.03


def _record(row: object) -> ReplyTemplateRecord:
    return ReplyTemplateRecord.model_validate(dict(row))  # type: ignore[call-overload]


async def load_locked(conn: Conn, template_id: uuid.UUID) -> ReplyTemplateRecord | None:
    """The template's latest version, locked until the caller's transaction ends; None when there is none.

    A template nobody changed since the command side was emptied (a restored backup) starts from the projection.
    """
    row = await conn.fetchrow(_LOCKED, template_id)
    if row is None:
        projected = await conn.fetchrow(f"{_PROJECTED} WHERE template_id = $1", template_id)
        if projected is None:
            return None
        record = _record(projected)
        await conn.execute("INSERT INTO template_commands (template_id, region, version, record)"
                           " VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT DO NOTHING",
                           template_id, record.region, record.version, record.model_dump_json())
        row = await conn.fetchrow(_LOCKED, template_id)
        assert row is not None  # inserted just now, or by someone who got there first
    return None if row["record"] is None else ReplyTemplateRecord.model_validate_json(row["record"])


async def save(conn: Conn, record: ReplyTemplateRecord, *, topic_prefix: str) -> None:
    """A new or edited template: the command side and its record on the region's templates topic."""
    await conn.execute("INSERT INTO template_commands (template_id, region, version, record)"
                       " VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (template_id) DO UPDATE"
                       " SET version = EXCLUDED.version, record = EXCLUDED.record",
                       record.template_id, record.region, record.version, record.model_dump_json())
    await enqueue(conn, templates_topic(topic_prefix, record.region), str(record.template_id).encode(),
                  record.model_dump_json().encode(), record_headers())


async def remove(conn: Conn, record: ReplyTemplateRecord, *, topic_prefix: str) -> None:
    """A removed template: the command side keeps its last version number, the topic gets a tombstone."""
    await conn.execute("UPDATE template_commands SET version = $2, record = NULL WHERE template_id = $1",
                       record.template_id, record.version + 1)
    await enqueue(conn, templates_topic(topic_prefix, record.region), str(record.template_id).encode(), None,
                  record_headers())


async def of_region(conn: Conn, region: str, *, language: str | None = None,
                    topic: str | None = None) -> list[ReplyTemplateRecord]:
    """The region's templates (of one language or topic when asked), by language and title."""
    rows = await conn.fetch(f"{_PROJECTED} WHERE region = $1 AND ($2::text IS NULL OR language = $2)"
                            " AND ($3::text IS NULL OR topic = $3) ORDER BY language, lower(title), template_id",
                            region, language, topic)
    return [_record(r) for r in rows]


async def one(conn: Conn, template_id: uuid.UUID, region: str) -> ReplyTemplateRecord | None:
    """The template as the projection shows it, if it is of ``region``."""
    row = await conn.fetchrow(f"{_PROJECTED} WHERE template_id = $1 AND region = $2", template_id, region)
    return None if row is None else _record(row)


async def shown(conn: Conn, template_id: uuid.UUID, version: int | None) -> None:
    """Wait (briefly) until the projection shows ``version`` of the template, or its removal (None)."""
    for _ in range(PROJECTION_CHECKS):
        current = await conn.fetchval("SELECT version FROM reply_templates WHERE template_id = $1", template_id)
        if (current is None) if version is None else (current is not None and current >= version):
            return
        await asyncio.sleep(PROJECTION_PAUSE_S)
