"""Staff commands: decided against the current case state under a row lock and a version check.

The decision, the new command-side state and the outbox rows commit together; two staff acting
on the same case at once never both succeed: the second gets 409 with the current version.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from services.routing import repository
from services.routing.absences import absent_today
from services.routing.accounts import Account
from services.routing.decisions import CloseCase, Command, ReferCase, decide
from services.routing.directory import helsinki_today
from services.routing.domain import CaseState, evolve
from services.routing.permissions import may_open_case
from services.routing.referral_domain import RecordReferralAnswer
from services.routing.service_directory import directory_services
from shared.db import Conn
from shared.directory import DirectoryService
from shared.errors import Conflict, NotFound, ServiceUnavailable
from shared.events import new_event
from shared.keys import data_key
from shared.outbox import enqueue_event
from shared.regions import Regions
from shared.sealing import Keyring, Place, Sealed, seal
from shared.topics import cases_topic

log = structlog.get_logger(__name__)


class KeyNotYetKnown(ServiceUnavailable):
    code = "case_key_pending"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, retry_after=1)


def named_services(command: Command) -> list[str]:
    """The directory services a command names (a referral's, a closing's)."""
    if isinstance(command, ReferCase):
        return [command.service_id]
    if isinstance(command, CloseCase) and command.referred_to:
        return [command.referred_to]
    if isinstance(command, RecordReferralAnswer) and command.better_service_id:
        return [command.better_service_id]
    return []


async def offered_services(conn: Conn, region: str, service_ids: list[str]) -> dict[str, DirectoryService]:
    """Of the named services, those the directory offers staff."""
    if not service_ids:
        return {}
    found = await directory_services(conn, region, service_ids)
    return {service_id: s for service_id, s in found.items() if not s.hidden}


@dataclass(frozen=True)
class Executed:
    event_ids: list[uuid.UUID]
    command_version: int
    state: CaseState


async def execute(conn: Conn, *, account: Account, case_id: uuid.UUID, expected_version: int, command: Command,
                  regions: Regions, keyring: Keyring, topic_prefix: str, at: datetime | None = None) -> Executed:
    """Decide ``command`` and queue its events (at ``at``, now by default); Conflict when the case changed."""
    async with conn.transaction():
        state, version = await repository.load_locked(conn, case_id)
        if not may_open_case(account, region=state.region, assignee_kind=state.assignee_kind,
                             assignee_id=state.assignee_id, team_id=state.team_id):
            raise NotFound("no such case")  # not 403: whether a case exists is itself confidential
        if version != expected_version:
            raise Conflict("someone changed this case meanwhile; look at its current state and try again",
                           current_version=version, status=state.status)
        region = regions.by_id[state.region]
        key = await data_key(conn, case_id, keyring)
        professionals = {r["id"]: r["team_id"] for r in await conn.fetch(
            "SELECT id, team_id FROM accounts WHERE region = $1 AND role = 'professional' AND active", region.id)}

        def sealer(text: str, event_type: str, field: str) -> Sealed:
            if key is None:
                # The key topic is read beside the case stream; a brand-new case's key may be a moment behind.
                raise KeyNotYetKnown("the case's key has not reached routing yet; try again in a moment")
            return seal(key, case_id, text, Place(event_type, field))

        teams = {r["id"] for r in await conn.fetch("SELECT id FROM teams WHERE region = $1", region.id)}
        away = await absent_today(conn, region.id, helsinki_today(at))
        offered = await offered_services(conn, region.id, named_services(command))
        decision = decide(state, command, region=region, teams=teams, seal=sealer,
                          team_of=professionals.get, now=at or datetime.now(UTC), absent_of=away.get,
                          directory=offered)
        correlation = uuid.uuid4()
        ids = []
        for event_cls, payload in decision:
            event = new_event(event_cls, case_id=case_id, region=state.region, municipality=state.municipality,
                              actor=f"staff:{account.id}", payload=payload, correlation_id=correlation,
                              occurred_at=at)
            state = evolve(state, event)
            await enqueue_event(conn, cases_topic(topic_prefix, state.region), event)
            ids.append(event.event_id)
        await repository.save(conn, case_id=case_id, version=version + 1, state=state, event_ids=ids)
    log.info("case.command", case_id=str(case_id), command=type(command).__name__, account_id=account.id,
             correlation_id=str(correlation))
    return Executed(event_ids=ids, command_version=version + 1, state=state)
