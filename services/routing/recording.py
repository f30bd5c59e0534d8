"""Recording a contact, the command side: a new case's key and opening events, written with the outbox at once.

One transaction: the recording's row (its id under a unique key, so a retry finds the case it made), the
new case key wrapped with the region's KEK on the compacted key topic, then the events on the case stream.
The key goes first, as intake sends it: every consumer meets the key before the event it opens.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg
import structlog

from services.routing.accounts import Account
from services.routing.recorded import RecordContact, contact_time, promised_day, recorded_events, sealed_contents
from shared.db import Conn
from shared.errors import Conflict, InvalidCommand
from shared.events import new_event
from shared.outbox import enqueue, enqueue_event
from shared.places import sealed_place
from shared.references import new_reference
from shared.regions import Region
from shared.sealing import Keyring, new_data_key, seal
from shared.topics import cases_topic, keys_topic

log = structlog.get_logger(__name__)
# A reference drawn twice (30⁸ of them) or one a button request already has: draw again, this many times.
REFERENCE_TRIES = 5


@dataclass(frozen=True)
class Recorded:
    """The case a recording made: its id, reference and promised day, the events queued, and whether it is new."""

    case_id: uuid.UUID
    reference: str
    answer_due: date
    event_ids: list[uuid.UUID]
    new: bool


class MunicipalityNotInRegion(InvalidCommand):
    """The municipality named is not one of the recorder's region."""


async def _earlier(conn: Conn, recording_id: uuid.UUID, account: Account) -> Recorded | None:
    """The case this person's earlier recording under ``recording_id`` made (a retry); Conflict when the id is
    someone else's, whose case is not theirs to be told of."""
    row = await conn.fetchrow("SELECT case_id, reference, answer_due, event_ids, recorded_by FROM recorded_contacts"
                              " WHERE recording_id = $1", recording_id)
    if row is None:
        return None
    if row["recorded_by"] != account.id:
        raise Conflict("this recording_id belongs to another recording; make a new one", field="recording_id")
    return Recorded(row["case_id"], row["reference"], row["answer_due"], list(row["event_ids"]), new=False)


async def _free_reference(conn: Conn) -> str:
    """A reference no case of routing's has (the unique key on recorded_contacts guards against a race)."""
    for _ in range(REFERENCE_TRIES):
        reference = new_reference()
        taken = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM cases WHERE reference = $1)", reference)
        if not taken:
            return reference
    raise RuntimeError("no free reference after several draws")  # 30⁸ references: never in practice


async def record(conn: Conn, *, account: Account, command: RecordContact, region: Region, keyring: Keyring,
                 topic_prefix: str, now: datetime) -> Recorded:
    """Open the case of a recorded contact, once per ``recording_id``."""
    if all(m.id != command.municipality for m in region.municipalities):
        raise MunicipalityNotInRegion(f"no municipality '{command.municipality}' in {region.id}",
                                      field="municipality")
    earlier = await _earlier(conn, command.recording_id, account)
    if earlier is not None:
        return earlier
    case_id = uuid.uuid4()
    data_key = new_data_key()
    personal = seal(data_key, case_id, sealed_contents(command, region), sealed_place("request.recorded"))
    team = account.team_id if account.role == "professional" else None
    async with conn.transaction():
        reference = await _free_reference(conn)
        decided = recorded_events(command, region=region, municipality=command.municipality, reference=reference,
                                  recorded_by=account.id, recorder_team=team, personal=personal, now=now)
        correlation = uuid.uuid4()
        events = [new_event(cls, case_id=case_id, region=region.id, municipality=command.municipality,
                            actor=f"staff:{account.id}", payload=payload, correlation_id=correlation,
                            occurred_at=now) for cls, payload in decided]
        ids = [e.event_id for e in events]
        due = promised_day(region, contact_time(command, now))  # as recorded_events counted it
        try:
            async with conn.transaction():  # a savepoint: a lost race leaves the outer transaction usable
                await conn.execute(
                    "INSERT INTO recorded_contacts (recording_id, case_id, reference, region, recorded_by,"
                    " recorded_at, answer_due, event_ids) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    command.recording_id, case_id, reference, region.id, account.id, now, due, ids)
        except asyncpg.UniqueViolationError:
            # The same recording sent twice at once (the other committed first), or a reference drawn twice.
            earlier = await _earlier(conn, command.recording_id, account)
            if earlier is None:
                raise
            return earlier
        wrapped = keyring.wrap(case_id, region.id, data_key)
        await enqueue(conn, keys_topic(topic_prefix, region.id), str(case_id).encode(),
                      wrapped.model_dump_json().encode(), [("type", "case.key")])
        for event in events:
            await enqueue_event(conn, cases_topic(topic_prefix, region.id), event)
    log.info("contact.recorded", case_id=str(case_id), channel=command.channel, account_id=account.id,
             correlation_id=str(correlation))
    return Recorded(case_id, reference, due, ids, new=True)
