"""The directory topic kept as the ``directory_services`` table: routing, notify and reporting apply the same
records with this one handler, so each holds the same directory and a rebuild gives it again."""

from __future__ import annotations

from pydantic import ValidationError

from shared.applier import PoisonRecord, RecordHandler, RecordLike
from shared.db import Conn
from shared.directory import UPSERTED, DirectoryRecord, read_record

COLUMNS = ("region", "service_id", "source", "kind", "hidden", "languages", "municipalities", "search_text",
           "service", "changed_at")
UPSERT = (f"INSERT INTO directory_services ({', '.join(COLUMNS)})"
          " VALUES ($1, $2, $3, $4, $5, $6::text[], $7::text[], $8, $9::jsonb, $10)"
          " ON CONFLICT (region, service_id) DO UPDATE SET"
          f" {', '.join(f'{c} = EXCLUDED.{c}' for c in COLUMNS[2:])}")
DELETE = "DELETE FROM directory_services WHERE region = $1 AND service_id = $2"


def search_text(record: DirectoryRecord) -> str:
    """Every name of the service and of its organisation, lower-cased: what staff type is matched against."""
    assert record.service is not None
    service = record.service
    names = [service.names.fi, service.names.sv, service.names.en,
             service.organization.fi, service.organization.sv, service.organization.en]
    return " ".join(n for n in names if n).casefold()


def directory_handler(region: str) -> RecordHandler:
    """The record handler of one region's directory topic (a tombstone names only the key, so the region comes
    from the topic the handler is registered for)."""

    async def apply(conn: Conn, record: RecordLike) -> None:
        if record.key is None:
            raise PoisonRecord("a directory record without a key")
        service_id = record.key.decode()
        if record.value is None:
            await conn.execute(DELETE, region, service_id)
            return
        try:
            parsed = read_record(record.value)
        except ValidationError as exc:
            raise PoisonRecord(f"not a directory record: {exc.error_count()} problem(s)") from exc
        except ValueError as exc:  # not JSON, or a version this code cannot read
            raise PoisonRecord(f"not a directory record: {type(exc).__name__}") from exc
        if parsed.service_id != service_id or parsed.region != region:
            raise PoisonRecord("a directory record under another service's key or region")
        if parsed.type != UPSERTED or parsed.service is None:
            await conn.execute(DELETE, region, service_id)
            return
        service = parsed.service
        await conn.execute(UPSERT, region, service_id, service.source, service.kind, service.hidden,
                           list(service.languages), list(service.municipalities), search_text(parsed),
                           service.model_dump_json(), parsed.at)

    return apply
