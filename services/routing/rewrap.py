"""KEK rotation: every case key and staff address key wrapped again under the current KEK.

Run ``python -m services.routing keys rewrap`` after a new KEK became current (APUA_KEK, APUA_KEK_ID) with
the old one still in APUA_OLD_KEKS. Each rewrapped key goes on the region's key topic through routing's
outbox, so routing's, notify's and intake's copies follow it; a staff record is issued again with a fresh key
under the current KEK. Once it reports nothing left, the old KEK can be removed (docs/operations.md).

A case's key is rewrapped under the case's command lock and only while the case is not erased, so an
erasure and a rewrap of the same case are ordered in the one outbox: a rewrapped key never lands after
the erasure's tombstone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import structlog

from services.routing import repository
from services.routing.directory import publish_record
from shared.db import Conn
from shared.errors import NotFound
from shared.outbox import enqueue
from shared.sealing import Keyring, WrappedKey
from shared.topics import keys_topic

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Rewrapped:
    case_keys: int
    staff_records: int
    skipped: int  # erased meanwhile, or a key whose case has not reached routing yet: the next run takes it

    @property
    def summary(self) -> str:
        return (f"{self.case_keys} case key(s) rewrapped, {self.staff_records} staff record(s) issued again,"
                f" {self.skipped} skipped")


async def rewrap_case_key(conn: Conn, *, case_id: uuid.UUID, keyring: Keyring, topic_prefix: str) -> bool:
    """Rewrap one case's key under the current KEK; False when there is nothing to do (erased, or done)."""
    async with conn.transaction():
        try:
            state, _ = await repository.load_locked(conn, case_id)
        except NotFound:
            return False
        row = await conn.fetchrow("SELECT case_id, region, kek_id, nonce, wrapped FROM case_keys WHERE case_id = $1"
                                  " FOR UPDATE", case_id)
        if state.erased_at is not None or row is None:
            return False
        new = keyring.rewrap(WrappedKey(**dict(row)))
        if new is None:
            return False
        # Routing's own copy at once (the record coming back from the topic writes the same), then the topic.
        await conn.execute("UPDATE case_keys SET kek_id = $2, nonce = $3, wrapped = $4 WHERE case_id = $1",
                           case_id, new.kek_id, new.nonce, new.wrapped)
        await enqueue(conn, keys_topic(topic_prefix, new.region), str(case_id).encode(),
                      new.model_dump_json().encode(), [("type", "case.key")])
        return True


async def reissue_staff_records(conn: Conn, *, keyring: Keyring, topic_prefix: str) -> int:
    """Every account's staff record again, its address sealed under a fresh key wrapped with the current KEK."""
    rows = await conn.fetch("SELECT id FROM accounts ORDER BY id")
    async with conn.transaction():
        for r in rows:
            await publish_record(conn, r["id"], keyring=keyring, topic_prefix=topic_prefix)
    return len(rows)


async def rewrap_all(conn: Conn, *, keyring: Keyring, topic_prefix: str, batch: int = 500) -> Rewrapped:
    """Rewrap every case key not under the current KEK, and issue the staff records again."""
    done = skipped = 0
    after = uuid.UUID(int=0)
    while True:
        ids = await conn.fetch("SELECT case_id FROM case_keys WHERE kek_id <> $1 AND case_id > $2"
                               " ORDER BY case_id LIMIT $3", keyring.current, after, batch)
        if not ids:
            break
        for r in ids:
            if await rewrap_case_key(conn, case_id=r["case_id"], keyring=keyring, topic_prefix=topic_prefix):
                done += 1
            else:
                skipped += 1
        after = ids[-1]["case_id"]
    staff = await reissue_staff_records(conn, keyring=keyring, topic_prefix=topic_prefix)
    log.info("keys.rewrapped", case_keys=done, staff_records=staff, skipped=skipped, kek_id=keyring.current)
    return Rewrapped(case_keys=done, staff_records=staff, skipped=skipped)


async def left_to_rewrap(conn: Conn, keyring: Keyring) -> dict[str, int]:
    """How many case keys each KEK other than the current one still wraps (routing's copy)."""
    rows = await conn.fetch("SELECT kek_id, count(*) AS n FROM case_keys WHERE kek_id <> $1 GROUP BY kek_id",
                            keyring.current)
    return {r["kek_id"]: int(r["n"]) for r in rows}
