"""The command side's store: each case's state as staff commands last left it, under a row lock and a version.

``case_commands`` is routing's own table, written only in a command's (or an erasure's) transaction. It starts
from the projection the first time anyone acts on a case, and from then on moves ahead of it: it is what
commands decide on, while pages read the projection.
"""

from __future__ import annotations

import asyncio
import uuid

from services.routing.domain import CaseState
from shared.db import Conn
from shared.errors import NotFound

_LOCKED = "SELECT command_version, state FROM case_commands WHERE case_id = $1 FOR UPDATE"


async def load_locked(conn: Conn, case_id: uuid.UUID) -> tuple[CaseState, int]:
    """The case's state and command version, locked until the caller's transaction ends (NotFound: no case)."""
    row = await conn.fetchrow(_LOCKED, case_id)
    if row is None:
        # The first command on a case starts from the projection, which holds the request by now.
        projected_state = await conn.fetchval("SELECT state FROM cases WHERE case_id = $1", case_id)
        if projected_state is None:
            raise NotFound("no such case")
        await conn.execute("INSERT INTO case_commands (case_id, command_version, state) VALUES ($1, 0, $2::jsonb)"
                           " ON CONFLICT DO NOTHING", case_id, projected_state)
        row = await conn.fetchrow(_LOCKED, case_id)
        assert row is not None  # inserted just now, or by someone who got there first
    return CaseState.model_validate_json(row["state"]), int(row["command_version"])


async def save(conn: Conn, *, case_id: uuid.UUID, version: int, state: CaseState,
               event_ids: list[uuid.UUID]) -> None:
    """The command side after a command: its version, the state decided on, the events it queued."""
    await conn.execute("UPDATE case_commands SET command_version = $2, state = $3::jsonb, last_event_ids = $4"
                       " WHERE case_id = $1", case_id, version, state.model_dump_json(), event_ids)


async def projected(conn: Conn, event_ids: list[uuid.UUID]) -> bool:
    """True once the projection has applied all of ``event_ids`` (read your own writes)."""
    # Every event of a case goes on its timeline, which keeps them all; processed_events forgets old ones.
    count = await conn.fetchval("SELECT count(*) FROM case_timeline WHERE event_id = ANY($1::uuid[])", event_ids)
    return int(count) == len(event_ids)


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
