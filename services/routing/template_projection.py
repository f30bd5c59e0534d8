"""The reply templates' projection: the compacted templates topic kept as the ``reply_templates`` table."""

from __future__ import annotations

from pydantic import ValidationError

from shared.applier import PoisonRecord, RecordLike
from shared.db import Conn
from shared.replytemplates import ReplyTemplateRecord

COLUMNS = ("template_id", "region", "version", "language", "title", "text", "topic", "updated_at", "updated_by")
# A record older than the row (a relay's second copy arriving late) changes nothing.
UPSERT = (f"INSERT INTO reply_templates ({', '.join(COLUMNS)})"
          f" VALUES ({', '.join(f'${i}' for i in range(1, len(COLUMNS) + 1))})"
          f" ON CONFLICT (template_id) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in COLUMNS[1:])}"
          " WHERE reply_templates.version < EXCLUDED.version")


def row_of(record: ReplyTemplateRecord) -> tuple[object, ...]:
    return (record.template_id, record.region, record.version, record.language, record.title, record.text,
            record.topic, record.updated_at, record.updated_by)


async def on_template_record(conn: Conn, record: RecordLike) -> None:
    """Upsert the template a record holds; a tombstone removes it."""
    if record.key is None:
        raise PoisonRecord("a reply template without a key")
    if record.value is None:
        await conn.execute("DELETE FROM reply_templates WHERE template_id::text = $1", record.key.decode())
        return
    try:
        template = ReplyTemplateRecord.model_validate_json(record.value)
    except ValidationError as exc:
        raise PoisonRecord(f"not a reply template: {exc.error_count()} problem(s)") from exc
    if str(template.template_id) != record.key.decode():
        raise PoisonRecord("a reply template under another template's key")
    await conn.execute(UPSERT, *row_of(template))
