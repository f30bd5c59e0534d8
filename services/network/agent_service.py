"""What an agent does through their personal link (no password): read and change their profile, pause, come
back, leave. Leaving erases their personal data by shredding their key; the counts remain."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

import structlog

from services.network import agent_store, store
from services.network.domain import token_digest
from services.network.models import Profile
from services.network.service import InvalidApplication
from services.network.settings import NetworkSettings
from shared.app import UnitOfWork
from shared.db import Conn
from shared.errors import Conflict, NotFound
from shared.network_events import (
    APPLIED_PERSONAL,
    PROFILE_PERSONAL,
    AgentProfileChanged,
    AgentProfileChangedPayload,
    AgentStatusChanged,
    AgentStatusPayload,
    new_network_event,
)
from shared.network_keys import seal_for_agent, unseal_for_agent
from shared.regions import Regions
from shared.sealing import KeyUnavailable, Sealed
from shared.topics import network_keys_topic, network_topic

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class AgentView:
    agent_id: uuid.UUID
    region: str
    status: str
    language: str
    profile: dict[str, Any]


def _link_unknown() -> NotFound:
    # The same answer for an unknown link and for one of an agent who left: a link tells nothing.
    return NotFound("the personal link is not valid")


def _open_personal(key: bytes, agent_id: uuid.UUID, raw: str | None) -> dict[str, Any]:
    """The sealed part, from the profile's event if it was changed, else from the application."""
    if raw is None:
        return {}
    sealed = Sealed.model_validate_json(raw)
    for place in (PROFILE_PERSONAL, APPLIED_PERSONAL):
        try:
            value = unseal_for_agent(key, agent_id, sealed, place)
        except KeyUnavailable:
            continue
        return value if isinstance(value, dict) else {}
    return {}


async def view(*, conn: Conn, settings: NetworkSettings, token: str) -> AgentView:
    row = await agent_store.agent_by_link(conn, token_digest(token[:100]))
    if row is None:
        raise _link_unknown()
    key = await agent_store.data_key(conn, row["agent_id"], settings.keyring)
    if key is None:
        raise _link_unknown()
    personal = _open_personal(key, row["agent_id"], row["personal"])
    profile = {**personal, "municipality": row["municipality"], "sector": row["sector"],
               "themes": list(row["themes"]), "languages": list(row["languages"])}
    return AgentView(agent_id=row["agent_id"], region=row["region"], status=row["status"], language=row["language"],
                     profile=profile)


async def change_profile(*, uow: UnitOfWork, settings: NetworkSettings, regions: Regions, token: str,
                         profile: Profile) -> None:
    try:
        region, municipality = regions.find(profile.municipality)
    except NotFound:
        raise InvalidApplication(f"unknown municipality '{profile.municipality}'", field="municipality") from None
    async with uow.transaction() as conn:
        row = await agent_store.agent_by_link(conn, token_digest(token[:100]), lock=True)
        if row is None:
            raise _link_unknown()
        if region.id != row["region"]:
            raise InvalidApplication("the municipality is not in the agent's region", field="municipality")
        key = await agent_store.data_key(conn, row["agent_id"], settings.keyring)
        if key is None:
            raise _link_unknown()
        personal = seal_for_agent(key, row["agent_id"], {"name": profile.name, "email": profile.email,
                                                         "phone": profile.phone,
                                                         "organisation": profile.organisation}, PROFILE_PERSONAL)
        await agent_store.save_profile(conn, row["agent_id"], municipality=municipality.id, sector=profile.sector,
                                       themes=list(profile.themes), languages=list(profile.languages),
                                       language=profile.language, personal_json=personal.model_dump_json())
        event = new_network_event(
            AgentProfileChanged, kind="agent", subject_id=row["agent_id"], region=row["region"], actor="agent",
            payload=AgentProfileChangedPayload(municipality=municipality.id, sector=profile.sector,
                                               themes=tuple(profile.themes), languages=tuple(profile.languages),
                                               language=profile.language, personal=personal))
        await store.publish(conn, network_topic(settings.topic_prefix, row["region"]), event)
    log.info("network.profile_changed", agent_id=str(row["agent_id"]))


async def change_status(*, uow: UnitOfWork, settings: NetworkSettings, token: str,
                        status: Literal["paused", "confirmed", "left"]) -> None:
    """Pause, come back (``confirmed``), or leave: leaving erases the agent's personal data at once."""
    async with uow.transaction() as conn:
        row = await agent_store.agent_by_link(conn, token_digest(token[:100]), lock=True)
        if row is None:
            raise _link_unknown()
        if status == "paused" and row["status"] not in ("confirmed", "active"):
            raise Conflict("only an agent in the network can pause", status=row["status"])
        if status == "confirmed" and row["status"] != "paused":
            raise Conflict("only a paused agent can come back", status=row["status"])
        region = str(row["region"])
        when = await store.moment(conn, None)
        event = new_network_event(AgentStatusChanged, kind="agent", subject_id=row["agent_id"], region=region,
                                  actor="agent", occurred_at=when, payload=AgentStatusPayload(status=status))
        if status == "left":
            await agent_store.erase(conn, row["agent_id"], network_keys_topic(settings.topic_prefix, region), when)
        else:
            await agent_store.set_status(conn, row["agent_id"], status)
        await store.publish(conn, network_topic(settings.topic_prefix, region), event)
    log.info("network.status_changed", agent_id=str(row["agent_id"]), status=status)
