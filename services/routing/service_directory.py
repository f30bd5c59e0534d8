"""Reads of the region's service directory (routing's projection of the directory topic): one service, and the
search staff type into when they pick a service for a family."""

from __future__ import annotations

from shared.db import Conn
from shared.directory import DirectoryService

MAX_RESULTS = 50


async def directory_service(conn: Conn, region_id: str, service_id: str) -> DirectoryService | None:
    """The service as the directory now describes it (hidden ones too: a referral made earlier still names it)."""
    raw = await conn.fetchval("SELECT service FROM directory_services WHERE region = $1 AND service_id = $2",
                              region_id, service_id)
    return None if raw is None else DirectoryService.model_validate_json(raw)


async def directory_services(conn: Conn, region_id: str, service_ids: list[str]) -> dict[str, DirectoryService]:
    """Several services at once (a case page names those its timeline refers to)."""
    rows = await conn.fetch("SELECT service_id, service FROM directory_services"
                            " WHERE region = $1 AND service_id = ANY($2::text[])", region_id, service_ids)
    return {r["service_id"]: DirectoryService.model_validate_json(r["service"]) for r in rows}


def _like(text: str) -> str:
    escaped = text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_directory(conn: Conn, region_id: str, text: str, *, municipality: str | None, language: str,
                           limit: int = 20) -> list[DirectoryService]:
    """The services offered to staff whose name (or organisation's) holds every word of ``text``, given in
    ``language`` and serving ``municipality`` (a service with no municipalities serves the whole region); the
    ones whose name starts with the text first, then by name in ``language``."""
    words = [w for w in text.split() if w][:5]
    params: list[object] = [region_id, language, municipality]
    where = ["region = $1", "NOT hidden", "$2 = ANY(languages)",
             "($3::text IS NULL OR cardinality(municipalities) = 0 OR $3 = ANY(municipalities))"]
    for word in words:
        params.append(_like(word))
        where.append(f"search_text LIKE ${len(params)}")
    params.append(f"{words[0].casefold()}%" if words else "%")
    starts = len(params)
    params.append(min(max(limit, 1), MAX_RESULTS))
    rows = await conn.fetch(
        f"SELECT service FROM directory_services WHERE {' AND '.join(where)}"
        f" ORDER BY lower(coalesce(service->'names'->>$2::text, service->'names'->>'fi')) LIKE ${starts} DESC,"
        f" lower(coalesce(service->'names'->>$2::text, service->'names'->>'fi')), service_id LIMIT ${len(params)}",
        *params)
    return [DirectoryService.model_validate_json(r["service"]) for r in rows]
