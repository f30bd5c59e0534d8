"""Linking cases on the command side: both cases' states under row locks, both streams' events in one transaction.

A link changes two aggregates. Both rows of ``case_commands`` are locked in the order of their case ids (two
people linking the same pair from either end wait for each other instead of deadlocking), the pure rule in
``links`` decides on both states, and each case's events go to its own stream through the outbox, with both
new states, in the one transaction. Only this case's version is checked against what the person saw; the
other case's version moves too, since its state changed (someone acting on it meanwhile gets 409 and sees
the link).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog

from services.routing import repository
from services.routing.accounts import Account
from services.routing.commands import Executed
from services.routing.decisions import Decision, LinkCase, UnlinkCase
from services.routing.domain import CaseState, evolve
from services.routing.links import decide_link
from services.routing.permissions import may_open_case
from shared.db import Conn
from shared.errors import Conflict, InvalidCommand, NotFound
from shared.events import new_event
from shared.outbox import enqueue_event
from shared.references import normalise_reference
from shared.topics import cases_topic

log = structlog.get_logger(__name__)


class UnknownReference(InvalidCommand):
    """No case with that reference that this person may open (in their region): the same answer for each."""

    def __init__(self) -> None:
        super().__init__("no case with this reference that you may open", field="other_reference")


def _may_open(account: Account, state: CaseState) -> bool:
    return may_open_case(account, region=state.region, assignee_kind=state.assignee_kind,
                         assignee_id=state.assignee_id, team_id=state.team_id)


async def other_case_id(conn: Conn, account: Account, typed: str) -> uuid.UUID | None:
    """The case of the reference ``typed`` (forgiving, as shared.references is) in the person's region."""
    found = await conn.fetchval("SELECT case_id FROM cases WHERE reference = $1 AND region = $2",
                                normalise_reference(typed), account.region)
    return None if found is None else uuid.UUID(str(found))


async def execute_link(conn: Conn, *, account: Account, case_id: uuid.UUID, expected_version: int,
                       command: LinkCase | UnlinkCase, topic_prefix: str, at: datetime | None = None) -> Executed:
    """Link (or unlink) the case and the one ``command`` names; nothing is written when they already are so."""
    async with conn.transaction():
        other_id = await other_case_id(conn, account, command.other_reference)
        locked: dict[uuid.UUID, tuple[CaseState, int]] = {}
        for ident in sorted({case_id} | ({other_id} if other_id is not None else set())):
            locked[ident] = await repository.load_locked(conn, ident)
        this, version = locked[case_id]
        if not _may_open(account, this):
            raise NotFound("no such case")  # not 403: whether a case exists is itself confidential
        if other_id is None or not _may_open(account, locked[other_id][0]):
            raise UnknownReference()
        other, other_version = locked[other_id]
        if version != expected_version:
            raise Conflict("someone changed this case meanwhile; look at its current state and try again",
                           current_version=version, status=this.status)
        decision = decide_link(this, other, command)
        if not decision.this and not decision.other:
            return Executed(event_ids=[], command_version=version, state=this)
        correlation = uuid.uuid4()
        this, this_ids = await _queue(conn, this, decision.this, account=account, correlation=correlation,
                                      topic_prefix=topic_prefix, at=at)
        other, other_ids = await _queue(conn, other, decision.other, account=account, correlation=correlation,
                                        topic_prefix=topic_prefix, at=at)
        await repository.save(conn, case_id=case_id, version=version + 1, state=this, event_ids=this_ids)
        if other_ids:
            await repository.save(conn, case_id=other_id, version=other_version + 1, state=other,
                                  event_ids=other_ids)
    log.info("case.command", case_id=str(case_id), command=type(command).__name__, account_id=account.id,
             other_case_id=str(other_id), correlation_id=str(correlation))
    return Executed(event_ids=[*this_ids, *other_ids], command_version=version + 1, state=this)


async def _queue(conn: Conn, state: CaseState, decision: Decision, *, account: Account, correlation: uuid.UUID,
                 topic_prefix: str, at: datetime | None) -> tuple[CaseState, list[uuid.UUID]]:
    """Each event of ``decision`` on the case's own stream, and the state after them."""
    ids = []
    for event_cls, payload in decision:
        event = new_event(event_cls, case_id=state.case_id, region=state.region, municipality=state.municipality,
                          actor=f"staff:{account.id}", payload=payload, correlation_id=correlation, occurred_at=at)
        state = evolve(state, event)
        await enqueue_event(conn, cases_topic(topic_prefix, state.region), event)
        ids.append(event.event_id)
    return state, ids
