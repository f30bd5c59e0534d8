"""An account's record on the region's staff directory, written from routing's tables in one place.

Every change (an account's role or team, a sign-out, an absence, a KEK rotation) puts the whole record out again
(the topic is compacted: the last record is the account), so each writer reads the same rows: the account and its
absences now and ahead.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from shared.businessdays import HELSINKI
from shared.db import Conn
from shared.outbox import enqueue
from shared.sealing import Keyring
from shared.staff import Absence, staff_record
from shared.topics import staff_topic


def helsinki_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(HELSINKI).date()


async def absences_of(conn: Conn, account_id: str, today: date) -> tuple[Absence, ...]:
    rows = await conn.fetch("SELECT absence_id, starts, ends, substitute_kind, substitute_id FROM absences"
                            " WHERE account_id = $1 AND cancelled_at IS NULL AND ends >= $2 ORDER BY starts",
                            account_id, today)
    return tuple(Absence(**dict(r)) for r in rows)


async def publish_record(conn: Conn, account_id: str, *, keyring: Keyring, topic_prefix: str,
                         signed_out_at: datetime | None = None, now: datetime | None = None) -> None:
    """The account's directory record, in the caller's transaction; ``signed_out_at`` ends the statistics
    sessions routing vouched for before it."""
    row = await conn.fetchrow("SELECT id, region, role, team_id, language, active, email FROM accounts WHERE id = $1",
                              account_id)
    if row is None:
        return
    record = staff_record(account_id=row["id"], region=row["region"], role=row["role"], team_id=row["team_id"],
                          language=row["language"], active=row["active"], email=row["email"], keyring=keyring,
                          signed_out_at=signed_out_at,
                          absences=await absences_of(conn, account_id, helsinki_today(now)))
    await enqueue(conn, staff_topic(topic_prefix, row["region"]), row["id"].encode(),
                  record.model_dump_json().encode(), [("type", "staff.account")])
