"""The use log: every view of a case's personal data, kept in routing and sent to the region's audit stream."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson

from services.routing.accounts import Account
from shared.db import Conn
from shared.outbox import enqueue
from shared.topics import audit_topic


async def record_access(conn: Conn, *, account: Account, case_id: uuid.UUID, region: str, action: str,
                        topic_prefix: str) -> None:
    """One row per view, in the caller's transaction, and the same record onto the audit stream."""
    at = datetime.now(UTC)
    await conn.execute("INSERT INTO access_log (at, account_id, role, region, case_id, action)"
                       " VALUES ($1, $2, $3, $4, $5, $6)", at, account.id, account.role, region, case_id, action)
    record = {"type": "access.recorded", "at": at.isoformat(), "account_id": account.id, "role": account.role,
              "region": region, "case_id": str(case_id), "action": action}
    await enqueue(conn, audit_topic(topic_prefix, region), str(case_id).encode(), orjson.dumps(record),
                  [("type", "access.recorded")])


async def record_search(conn: Conn, *, account: Account, term_kind: str, hits: int, topic_prefix: str) -> None:
    """One row per staff search, in the caller's transaction, and the same record onto the audit stream: who,
    when, the kind of term and how many cases it found; never the term (a family's number or address)."""
    at = datetime.now(UTC)
    await conn.execute("INSERT INTO access_log (at, account_id, role, region, action, term_kind, hits)"
                       " VALUES ($1, $2, $3, $4, 'search', $5, $6)", at, account.id, account.role, account.region,
                       term_kind, hits)
    record = {"type": "search.recorded", "at": at.isoformat(), "account_id": account.id, "role": account.role,
              "region": account.region, "term_kind": term_kind, "hits": hits}
    await enqueue(conn, audit_topic(topic_prefix, account.region), account.id.encode(), orjson.dumps(record),
                  [("type", "search.recorded")])


async def search(conn: Conn, *, region: str, case_id: uuid.UUID | None = None, account_id: str | None = None,
                 limit: int = 500) -> list[dict[str, object]]:
    """The region's log, newest first, each row with the case's reference (what people know a case by)."""
    rows = await conn.fetch(
        # A disclosure's reader has no account: the name they gave at the receiving service stands for it.
        "SELECT l.at, l.account_id, coalesce(a.display_name, l.disclosed_person) AS display_name, l.role, l.case_id,"
        " c.reference, l.action, l.term_kind, l.hits, l.disclosed_to"
        " FROM access_log l"
        " LEFT JOIN accounts a ON a.id = l.account_id LEFT JOIN cases c ON c.case_id = l.case_id"
        " WHERE l.region = $1"
        " AND ($2::uuid IS NULL OR l.case_id = $2) AND ($3::text IS NULL OR l.account_id = $3)"
        " ORDER BY l.at DESC LIMIT $4", region, case_id, account_id, limit)
    return [dict(r) for r in rows]
