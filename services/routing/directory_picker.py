"""Use cases of the directory on the staff pages: the services offered for a case, and the chosen one's channels."""

from __future__ import annotations

from services.routing.directory_view import ChannelsView, Pick, channels_view, local_pick, pick_of
from services.routing.service_directory import directory_service, directory_services, search_directory
from shared.db import Conn
from shared.directory import DirectoryService, Texts
from shared.regions import Region
from shared.text import forbidden_character


async def has_directory(conn: Conn, region_id: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM directory_services WHERE region = $1)",
                                    region_id))


async def picks(conn: Conn, region: Region, text: str, *, municipality: str | None, language: str, lang: str,
                limit: int = 20) -> list[Pick]:
    """The services staff may pick for a family of ``municipality`` speaking ``language``, matching ``text``.

    Until the region's directory has been synced once, the YAML's own services are offered (filtered alike), so
    a region without PTV organisations still refers families. A text with a control character (which no one
    types, and PostgreSQL cannot take) matches nothing."""
    if forbidden_character(text, multiline=False) is not None:
        return []
    if await has_directory(conn, region.id):
        found = await search_directory(conn, region.id, text, municipality=municipality, language=language,
                                       limit=limit)
        return [pick_of(s, region, lang) for s in found]
    words = [w.casefold() for w in text.split()]
    local = [s for s in region.local_services if not s.hidden and language in s.languages
             and all(w in " ".join(filter(None, (s.name.fi, s.name.sv, s.name.en))).casefold() for w in words)]
    return [local_pick(s, lang) for s in local[:limit]]


async def service_channels(conn: Conn, region: Region, service_id: str | None, lang: str) -> ChannelsView | None:
    """How to reach the service a case was referred to, as the directory (or the YAML) describes it."""
    if not service_id:
        return None
    service = await directory_service(conn, region.id, service_id)
    if service is None:
        local = next((s for s in region.local_services if s.id == service_id), None)
        if local is None:
            return None
        service = DirectoryService(id=local.id, region=region.id, source="local", kind=local.kind,
                                   names=Texts(fi=local.name.fi, sv=local.name.sv, en=local.name.en),
                                   descriptions=Texts(fi=local.contact, sv=local.contact, en=local.contact),
                                   languages=tuple(local.languages))
    return channels_view(service, lang)


async def service_names(conn: Conn, region: Region, service_ids: set[str], lang: str) -> dict[str, str]:
    """The names of the services a case's timeline refers to, in the reader's language."""
    found = await directory_services(conn, region.id, sorted(service_ids))
    names = {s.id: s.name.get(lang) for s in region.local_services if s.id in service_ids}
    names.update({sid: s.names.get(lang) or sid for sid, s in found.items()})
    return names
