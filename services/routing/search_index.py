"""The blind index of the families' contact details, beside each case in routing's projection.

Staff find a case by the phone number or e-mail address a family gave, yet routing stores neither: it stores
the HMAC of the normalised value under a key derived from a KEK (``shared.blind_index``), one row per case,
kind and KEK, in ``contact_index``. The rows are derived where routing can open the sealed contact: it holds
the case's key (from the key topic) and the sealed request (from the case stream). Either may arrive first,
so a case is indexed when its request is applied with its key already there, and when its key arrives with
the request already there; a sweep (``run_indexer``) catches a case whose two halves were applied at the same
moment by two routing instances, and moves every case to the current KEK after a rotation. A rebuild replays
both topics, so it indexes again. The digests never go on a topic: events are immutable, so an erased case's
digest would stay on the stream for ever.

``index_contacts`` takes what any event with sealed contact details gives, opened: a new kind of event
(a contact recorded by staff, a changed contact) calls it with its own case, region, phone and e-mail.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import structlog

from shared.applier import Projection, RecordHandler, RecordLike, one_at_a_time
from shared.blind_index import Kind, blind_key, digest, digests, normalise
from shared.db import Conn
from shared.events import EVENT_TYPES, EventBase, RequestRecorded, RequestSubmitted
from shared.places import place_of
from shared.runtime import ServiceRuntime
from shared.sealing import Keyring, KeyUnavailable, Sealed, WrappedKey, unseal

log = structlog.get_logger(__name__)

SWEEP_EVERY_S = 30.0
SWEEP_BATCH = 200
KINDS: tuple[Kind, ...] = ("phone", "email")


@lru_cache(maxsize=16)
def _key(kek: bytes) -> bytes:
    """The index key of one KEK, derived once: every case of a replay is keyed with the same few."""
    return blind_key(kek)


async def index_contacts(conn: Conn, *, case_id: uuid.UUID, region: str, phone: str | None, email: str | None,
                         keyring: Keyring, country: str = "FI") -> int:
    """Replace the case's index rows with the digests of ``phone`` and ``email`` under the current KEK.

    A value that does not normalise (no possible number, no address) is not indexed. Returns how many rows
    the case has now. The case is marked indexed under the current KEK either way.
    """
    current = keyring.current
    key = _key(keyring.keks[current])
    rows: list[tuple[Kind, str]] = []
    given: tuple[tuple[Kind, str | None], ...] = (("phone", phone), ("email", email))
    for kind, value in given:
        normalised = normalise(kind, value, country) if value else None
        if normalised is not None:
            rows.append((kind, digest(key, kind, normalised)))
    await conn.execute("DELETE FROM contact_index WHERE case_id = $1", case_id)
    if rows:
        await conn.executemany("INSERT INTO contact_index (case_id, region, kind, kek_id, digest)"
                               " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                               [(case_id, region, kind, current, hexed) for kind, hexed in rows])
    await conn.execute("INSERT INTO contact_indexed (case_id, kek_id) VALUES ($1, $2)"
                       " ON CONFLICT (case_id) DO UPDATE SET kek_id = EXCLUDED.kek_id", case_id, current)
    return len(rows)


def contact_of(opened: object) -> tuple[str | None, str | None]:
    """(phone, e-mail) from an opened request's personal data ({"message", "contact": {...}})."""
    contact = opened.get("contact") if isinstance(opened, dict) else None
    if not isinstance(contact, dict):
        return None, None
    phone, email = contact.get("phone"), contact.get("email")
    return (phone if isinstance(phone, str) else None), (email if isinstance(email, str) else None)


async def index_cases(conn: Conn, case_ids: Iterable[uuid.UUID], *, keyring: Keyring,
                      countries: Mapping[str, str]) -> int:
    """Index those of ``case_ids`` whose request and key are both in the projection; returns how many were.

    One whose key does not open (a KEK not held) or whose request does not open as a request is marked
    indexed with no rows, and said in the log: the sweep does not try it again, a new key record for it does.
    """
    rows = await conn.fetch(
        "SELECT c.case_id, c.region, c.personal, c.channel, k.kek_id, k.nonce, k.wrapped FROM cases c"
        " JOIN case_keys k ON k.case_id = c.case_id WHERE c.case_id = ANY($1::uuid[]) AND c.personal IS NOT NULL"
        # One order for every writer (a batch, a key, the sweep): two of them on the same cases never deadlock.
        " ORDER BY c.case_id",
        list(case_ids))
    for r in rows:
        case_id: uuid.UUID = r["case_id"]
        # The contact details are sealed where the case opened: the family's form, or a contact staff recorded.
        place = place_of("request.submitted" if r["channel"] == "button" else "request.recorded")
        phone = email = None
        try:
            key = keyring.unwrap(WrappedKey(case_id=case_id, region=r["region"], kek_id=r["kek_id"], nonce=r["nonce"],
                                            wrapped=r["wrapped"]))
            phone, email = contact_of(unseal(key, case_id, Sealed.model_validate_json(r["personal"]), place))
        except (KeyUnavailable, ValueError):  # ValueError: pydantic's, a sealed value of another shape
            log.warning("search_index.unopened", case_id=str(case_id))
        await index_contacts(conn, case_id=case_id, region=r["region"], phone=phone, email=email, keyring=keyring,
                             country=countries.get(r["region"], "FI"))
    return len(rows)


async def forget(conn: Conn, case_ids: list[uuid.UUID]) -> None:
    """A case's index rows go with its key: erased, nothing of its contact can be found any more."""
    await conn.execute("DELETE FROM contact_index WHERE case_id = ANY($1::uuid[])", case_ids)
    await conn.execute("DELETE FROM contact_indexed WHERE case_id = ANY($1::uuid[])", case_ids)


async def find(conn: Conn, *, region: str, kind: Kind, normalised: str, keyring: Keyring) -> list[uuid.UUID]:
    """The region's cases whose contact of ``kind`` is ``normalised``, under any KEK held (a rotation under way
    leaves rows of the old KEK until the sweep or the rewrapped key indexes them again)."""
    wanted = digests(keyring, kind, normalised)
    rows = await conn.fetch(
        "SELECT DISTINCT i.case_id FROM contact_index i JOIN unnest($3::text[], $4::text[]) AS w(kek_id, digest)"
        " ON w.kek_id = i.kek_id AND w.digest = i.digest WHERE i.region = $1 AND i.kind = $2",
        region, kind, list(wanted), list(wanted.values()))
    return [r["case_id"] for r in rows]


def indexed(projection: Projection, *, keyring: Keyring, countries: Mapping[str, str],
            keys_topics: Iterable[str]) -> Projection:
    """``projection`` with the index kept beside it: after a batch of events, and after each key record."""
    base = projection.batch_handler
    assert base is not None  # routing's projection applies batches

    async def batch(conn: Conn, events: list[EventBase]) -> None:
        await base(conn, events)
        erased = [e.case_id for e in events if e.type == "personal_data.erased"]
        if erased:
            await forget(conn, erased)
        started = [e.case_id for e in events if isinstance(e, RequestSubmitted | RequestRecorded)
                   and e.case_id not in erased]
        if started:
            await index_cases(conn, started, keyring=keyring, countries=countries)

    handlers = dict(projection.record_handlers)
    for topic in keys_topics:
        handlers[topic] = _on_key(handlers[topic], keyring=keyring, countries=countries)
    on_event = one_at_a_time(batch)

    async def index_the_rest(conn: Conn) -> None:
        # A rebuild applies the key topic and the case stream side by side, each partition in its own
        # transaction: a case whose two halves were applied at the same moment is indexed here, as live
        # routing's sweep would.
        while await index_missing(conn, keyring=keyring, countries=countries) > 0:
            pass

    return dataclasses.replace(projection, batch_handler=batch, record_handlers=handlers,
                               event_handlers={name: on_event for name in EVENT_TYPES},
                               after_replay_steps=(*projection.after_replay_steps, index_the_rest),
                               tables=[*projection.tables, "contact_index", "contact_indexed"])


def _on_key(handler: RecordHandler, *, keyring: Keyring, countries: Mapping[str, str]) -> RecordHandler:
    async def on_key(conn: Conn, record: RecordLike) -> None:
        await handler(conn, record)
        if record.key is None:
            return
        try:
            case_id = uuid.UUID(record.key.decode())
        except ValueError:
            return  # the key table refused it already, or it names no case
        if record.value is None:
            await forget(conn, [case_id])
        else:  # a new key, or the same key rewrapped under a new KEK: index (again) under the current KEK
            await index_cases(conn, [case_id], keyring=keyring, countries=countries)
    return on_key


async def index_missing(conn: Conn, *, keyring: Keyring, countries: Mapping[str, str],
                        limit: int = SWEEP_BATCH) -> int:
    """Index up to ``limit`` cases with a request and a key but no index under the current KEK."""
    rows = await conn.fetch(
        "SELECT c.case_id FROM cases c JOIN case_keys k ON k.case_id = c.case_id"
        " LEFT JOIN contact_indexed i ON i.case_id = c.case_id"
        " WHERE c.personal IS NOT NULL AND (i.case_id IS NULL OR i.kek_id <> $1) ORDER BY c.case_id LIMIT $2",
        keyring.current, limit)
    if not rows:
        return 0
    async with conn.transaction():  # a savepoint inside a rebuild's last transaction
        return await index_cases(conn, [r["case_id"] for r in rows], keyring=keyring, countries=countries)


async def run_indexer(runtime: ServiceRuntime[Any], every_s: float = SWEEP_EVERY_S) -> None:
    """Every ``every_s``, sweep in batches until nothing is missing; survives a database that is away."""
    keyring: Keyring = runtime.settings.keyring
    countries = {r.id: r.country for r in runtime.regions}
    while True:
        await asyncio.sleep(every_s)
        try:
            async with runtime.db().acquire() as conn:
                done = 0
                while (n := await index_missing(conn, keyring=keyring, countries=countries)) > 0:
                    done += n
            if done:
                log.info("search_index.swept", cases=done)
        except Exception as exc:  # PostgreSQL away, or the schema swapped under us: the next round tries again
            log.warning("search_index.sweep_failed", error=type(exc).__name__)
