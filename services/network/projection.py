"""The network's projection: the registry as the stream tells it (status, municipality, sector, themes,
languages; nothing personal), the agents' wrapped keys from the network key topic, and routing's staff directory
as far as a coordinator's session needs it (role, region, active, signed out; no name, address or key)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.applier import Projection, RecordHandler
from shared.compacted import CompactedTable
from shared.db import Conn
from shared.migrations import projection_series
from shared.network_events import (
    AgentApplied,
    AgentConfirmed,
    AgentProfileChanged,
    AgentStatusChanged,
    ApplicationExpired,
    CampaignOpened,
    NetworkHandler,
    network_record_handler,
)
from shared.network_keys import on_agent_key
from shared.runtime import ServiceRuntime
from shared.staff import StaffRecord, directory_only
from shared.topics import network_keys_topic, network_topic, staff_topic

# The tracking tables, then the files of migrations/projection/.
MIGRATIONS = projection_series(Path(__file__).resolve().parent)
TABLES = ["registry", "campaign_view", "agent_keys", "staff_accounts"]

# Whether a coordinator's session still stands (coordinators.find_coordinator): the record's role, region, whether
# it is active and when the person last signed out of routing; the record's sealed address and key stay unread.
on_staff_record = CompactedTable(
    table="staff_accounts", model=StaffRecord, what="a staff record",
    columns=(("account_id", "text"), ("region", "text"), ("role", "text"), ("active", "boolean"),
             ("signed_out_at", "timestamptz")),
    row=lambda staff: (staff.account_id, staff.region, staff.role, staff.active, staff.signed_out_at))


async def on_campaign_opened(conn: Conn, event: CampaignOpened) -> None:
    p = event.payload
    await conn.execute(
        "INSERT INTO campaign_view (campaign_id, region, opens_at, closes_at, closing_day) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (campaign_id) DO NOTHING", event.subject_id, event.region, p.opens_at, p.closes_at,
        p.closing_day)


async def on_agent_applied(conn: Conn, event: AgentApplied) -> None:
    p = event.payload
    await conn.execute(
        "INSERT INTO registry (agent_id, region, campaign_id, status, municipality, sector, themes, languages,"
        " applied_at) VALUES ($1, $2, $3, 'applied', $4, $5, $6, $7, $8) ON CONFLICT (agent_id) DO NOTHING",
        event.subject_id, event.region, p.campaign_id, p.municipality, p.sector, list(p.themes), list(p.languages),
        event.occurred_at)


async def on_agent_confirmed(conn: Conn, event: AgentConfirmed) -> None:
    await conn.execute("UPDATE registry SET status = 'confirmed', confirmed_at = $2 WHERE agent_id = $1"
                       " AND status = 'applied'", event.subject_id, event.occurred_at)


async def on_profile_changed(conn: Conn, event: AgentProfileChanged) -> None:
    p = event.payload
    await conn.execute("UPDATE registry SET municipality = $2, sector = $3, themes = $4, languages = $5"
                       " WHERE agent_id = $1", event.subject_id, p.municipality, p.sector, list(p.themes),
                       list(p.languages))


async def on_status_changed(conn: Conn, event: AgentStatusChanged) -> None:
    """Paused, back, or left: a leaver stays counted, with nothing personal (the registry never held any)."""
    status = event.payload.status
    await conn.execute("UPDATE registry SET status = $2, left_at = CASE WHEN $2 = 'left' THEN $3 ELSE left_at END"
                       " WHERE agent_id = $1", event.subject_id, status, event.occurred_at)


async def on_application_expired(conn: Conn, event: ApplicationExpired) -> None:
    """An unconfirmed application erased when its link expired: it never joined, so it leaves the registry."""
    await conn.execute("DELETE FROM registry WHERE agent_id = $1 AND status = 'applied'", event.subject_id)


HANDLERS: dict[str, NetworkHandler] = {"campaign.opened": on_campaign_opened, "agent.applied": on_agent_applied,
                                       "agent.confirmed": on_agent_confirmed,
                                       "agent.profile_changed": on_profile_changed,
                                       "agent.status_changed": on_status_changed,
                                       "agent.application_expired": on_application_expired}


def projection(runtime: ServiceRuntime[Any]) -> Projection:
    prefix = runtime.settings.topic_prefix
    handle = network_record_handler(HANDLERS)
    records: dict[str, RecordHandler] = {}
    for region in runtime.regions:
        records[network_keys_topic(prefix, region.id)] = on_agent_key
        records[network_topic(prefix, region.id)] = handle
        records[staff_topic(prefix, region.id)] = directory_only(on_staff_record)
    return Projection(name="network", migrations=MIGRATIONS, tables=TABLES, event_handlers={},
                      record_handlers=records, reads_cases=False)
