"""Staff commands: decided against the current case state under a row lock and a version check.

The decision, the new command-side state and the outbox rows commit together; two staff acting
on the same case at once never both succeed: the second gets 409 with the current version.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime

import structlog

from services.routing.accounts import Account
from services.routing.domain import CaseState, Command, decide, evolve
from services.routing.permissions import may_open_case
from shared.db import Conn
from shared.errors import Conflict, NotFound, ServiceUnavailable
from shared.events import new_event
from shared.keys import data_key
from shared.outbox import enqueue_event
from shared.regions import Regions
from shared.sealing import seal
from shared.topics import cases_topic

log = structlog.get_logger(__name__)


class KeyNotYetKnown(ServiceUnavailable):
    code = "case_key_pending"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, retry_after=1)


@dataclass(frozen=True)
class Executed:
    event_ids: list[uuid.UUID]
    command_version: int
    state: CaseState


async def shown_version(conn: Conn, case_id: uuid.UUID, *, wait_s: float = 2.0) -> int:
    """The version to offer beside the projected view of a case: the one that view shows.

    The command side is ahead of the projection for a moment after every command (and longer while
    routing or its consumer restarts). Offering the newest version beside a timeline that does not
    show the last command yet would let someone act on what they cannot see, for instance triage
    a case twice. So wait briefly for the projection; if it is still behind, offer the version
    before, which the next command's check refuses (409) until the view has caught up.
    """
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        row = await conn.fetchrow("SELECT command_version, last_event_ids FROM case_commands WHERE case_id = $1",
                                  case_id)
        if row is None:
            return 0
        version, last = int(row["command_version"]), list(row["last_event_ids"])
        if not last or await projected(conn, last):
            return version
        if asyncio.get_running_loop().time() >= deadline:
            return version - 1
        await asyncio.sleep(0.05)


async def save_state(conn: Conn, case_id: uuid.UUID, version: int, state: CaseState,
                     event_ids: list[uuid.UUID]) -> None:
    """The command side after a command: its version, the state decided on, the events it queued."""
    await conn.execute("UPDATE case_commands SET command_version = $2, state = $3::jsonb, last_event_ids = $4"
                       " WHERE case_id = $1", case_id, version, state.model_dump_json(), event_ids)


async def _locked_state(conn: Conn, case_id: uuid.UUID) -> tuple[int, CaseState]:
    row = await conn.fetchrow("SELECT command_version, state FROM case_commands WHERE case_id = $1 FOR UPDATE",
                              case_id)
    if row is None:
        # The first command on a case starts from the projection, which holds the request by now.
        projected = await conn.fetchval("SELECT state FROM cases WHERE case_id = $1", case_id)
        if projected is None:
            raise NotFound("no such case")
        await conn.execute("INSERT INTO case_commands (case_id, command_version, state) VALUES ($1, 0, $2::jsonb)"
                           " ON CONFLICT DO NOTHING", case_id, projected)
        row = await conn.fetchrow("SELECT command_version, state FROM case_commands WHERE case_id = $1 FOR UPDATE",
                                  case_id)
        assert row is not None
    return int(row["command_version"]), CaseState.model_validate_json(row["state"])


async def execute(conn: Conn, *, account: Account, case_id: uuid.UUID, expected_version: int, command: Command,
                  regions: Regions, kek: bytes, topic_prefix: str, at: datetime | None = None) -> Executed:
    """Decide ``command`` and queue its events (at ``at``, now by default); Conflict when the case changed."""
    async with conn.transaction():
        version, state = await _locked_state(conn, case_id)
        if not may_open_case(account, region=state.region, assignee_kind=state.assignee_kind,
                             assignee_id=state.assignee_id, team_id=state.team_id):
            raise NotFound("no such case")  # not 403: whether a case exists is itself confidential
        if version != expected_version:
            raise Conflict("someone changed this case meanwhile; look at its current state and try again",
                           current_version=version, status=state.status)
        region = regions.by_id[state.region]
        key = await data_key(conn, case_id, kek)
        professionals = {r["id"]: r["team_id"] for r in await conn.fetch(
            "SELECT id, team_id FROM accounts WHERE region = $1 AND role = 'professional' AND active", region.id)}

        def sealer(text: str) -> object:
            if key is None:
                # The key topic is read beside the case stream; a brand-new case's key may be a moment behind.
                raise KeyNotYetKnown("the case's key has not reached routing yet; try again in a moment")
            return seal(key, case_id, text)

        teams = {r["id"] for r in await conn.fetch("SELECT id FROM teams WHERE region = $1", region.id)}
        decision = decide(state, command, region=region, teams=teams, seal=sealer,  # type: ignore[arg-type]
                          team_of=professionals.get)
        correlation = uuid.uuid4()
        ids = []
        for event_cls, payload in decision:
            event = new_event(event_cls, case_id=case_id, region=state.region, municipality=state.municipality,
                              actor=f"staff:{account.id}", payload=payload, correlation_id=correlation,
                              occurred_at=at)
            state = evolve(state, event)
            await enqueue_event(conn, cases_topic(topic_prefix, state.region), event)
            ids.append(event.event_id)
        await save_state(conn, case_id, version + 1, state, ids)
    log.info("case.command", case_id=str(case_id), command=type(command).__name__, account_id=account.id,
             correlation_id=str(correlation))
    return Executed(event_ids=ids, command_version=version + 1, state=state)


async def projected(conn: Conn, event_ids: list[uuid.UUID]) -> bool:
    """True once the projection has applied all of ``event_ids`` (read your own writes)."""
    # Every event of a case goes on its timeline, which keeps them all; processed_events forgets old ones.
    count = await conn.fetchval("SELECT count(*) FROM case_timeline WHERE event_id = ANY($1::uuid[])", event_ids)
    return int(count) == len(event_ids)
