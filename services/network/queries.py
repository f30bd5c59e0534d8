"""Reads for the coordinators' registry: counts from the projection (nothing personal there), and the agents'
names opened with their keys for the list a coordinator asks for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from services.network import agent_store
from shared.db import Conn
from shared.network_events import APPLIED_PERSONAL, PROFILE_PERSONAL
from shared.network_keys import unseal_for_agent
from shared.sealing import Keyring, KeyUnavailable, Sealed

STATUSES = ("applied", "confirmed", "active", "paused", "left")
# Who counts as an agent of a municipality: in the network now (a break included), not applied or left.
IN_NETWORK = ("confirmed", "active", "paused")


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    municipality: str | None = None
    sector: str | None = None
    theme: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Registry:
    by_status: dict[str, int]
    by_municipality: dict[str, int]
    by_sector: dict[str, int]
    by_theme: dict[str, int]
    by_language: dict[str, int]
    without_agent: list[str]
    agents: list[dict[str, Any]] = field(default_factory=list)


async def registry(conn: Conn, *, region: str, municipalities: list[str], filters: Filters,
                   keyring: Keyring) -> Registry:
    rows = await conn.fetch("SELECT agent_id, status, municipality, sector, themes, languages FROM registry"
                            " WHERE region = $1", region)
    by_status = dict.fromkeys(STATUSES, 0)
    counted: dict[str, dict[str, int]] = {"municipality": {}, "sector": {}, "theme": {}, "language": {}}
    chosen: list[uuid.UUID] = []
    for row in rows:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
        if row["status"] in IN_NETWORK:
            for kind, values in (("municipality", [row["municipality"]]), ("sector", [row["sector"]]),
                                 ("theme", row["themes"]), ("language", row["languages"])):
                for value in values:
                    counted[kind][value] = counted[kind].get(value, 0) + 1
        if _matches(row, filters):
            chosen.append(row["agent_id"])
    without = [m for m in municipalities if counted["municipality"].get(m, 0) == 0]
    return Registry(by_status=by_status, by_municipality=counted["municipality"], by_sector=counted["sector"],
                    by_theme=counted["theme"], by_language=counted["language"], without_agent=without,
                    agents=await _named(conn, chosen, keyring))


def _matches(row: Any, f: Filters) -> bool:
    return ((f.status is None or row["status"] == f.status)
            and (f.municipality is None or row["municipality"] == f.municipality)
            and (f.sector is None or row["sector"] == f.sector)
            and (f.theme is None or f.theme in row["themes"])
            and (f.language is None or f.language in row["languages"]))


async def _named(conn: Conn, agent_ids: list[uuid.UUID], keyring: Keyring) -> list[dict[str, Any]]:
    """The chosen agents with their names and organisations; a leaver has none left to show."""
    rows = await conn.fetch("SELECT agent_id, status, municipality, sector, personal FROM agents"
                            " WHERE agent_id = ANY($1::uuid[]) ORDER BY applied_at", agent_ids)
    found = []
    for row in rows:
        personal: dict[str, Any] = {}
        key = await agent_store.data_key(conn, row["agent_id"], keyring)
        if key is not None and row["personal"] is not None:
            sealed = Sealed.model_validate_json(row["personal"])
            for place in (PROFILE_PERSONAL, APPLIED_PERSONAL):
                try:
                    value = unseal_for_agent(key, row["agent_id"], sealed, place)
                except KeyUnavailable:
                    continue
                personal = value if isinstance(value, dict) else {}
                break
        found.append({"agent_id": row["agent_id"], "status": row["status"], "municipality": row["municipality"],
                      "sector": row["sector"], "name": personal.get("name"),
                      "organisation": personal.get("organisation")})
    return found
