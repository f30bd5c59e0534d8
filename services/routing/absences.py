"""Absences and substitutes: a professional away, and who covers their cases meanwhile.

A professional records their own absence, a coordinator or an admin anyone's of the region. While it lasts,
assigning a case to them needs a confirmation, handing one off to them is refused (decisions.py), notify sends
their cases' deadline warnings and the family's new messages to the substitute (or the team's mailbox), and the
queue marks their cases. Each absence goes to the staff directory (the whole record, directory.py), the
account's history and the audit stream.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from services.routing.account_admin import Directory, record_change
from services.routing.accounts import Account
from services.routing.directory import helsinki_today
from shared.db import Conn
from shared.errors import Forbidden, InvalidCommand, NotFound
from shared.staff import Absence

LONGEST = timedelta(days=366)  # a longer leave is a change of team, not an absence


@dataclass(frozen=True)
class AbsenceView:
    absence: Absence
    account_id: str
    display_name: str
    substitute_name: str | None


def may_record_for(by: Account, account_id: str) -> bool:
    """A professional for themselves; a coordinator or an admin for anyone of their region."""
    return by.role in ("coordinator", "admin") or (by.role == "professional" and by.id == account_id)


async def record_absence(conn: Conn, *, by: Account, account_id: str, starts: date, ends: date,
                         substitute: str | None, directory: Directory, now: datetime | None = None) -> Absence:
    """``substitute`` is 'professional:<id>', 'team:<id>' or None (their team's mailbox)."""
    now = now or datetime.now(UTC)
    if not may_record_for(by, account_id):
        raise Forbidden("you record only your own absences")
    if ends < starts:
        raise InvalidCommand("an absence ends on or after the day it starts", field="ends")
    if ends < helsinki_today(now):
        raise InvalidCommand("an absence that is over is not recorded", field="ends")
    if ends - starts > LONGEST:
        raise InvalidCommand("an absence lasts at most a year", field="ends")
    kind, sub_id = _substitute(substitute)
    async with conn.transaction():
        person = await conn.fetchrow("SELECT id FROM accounts WHERE id = $1 AND region = $2 AND active"
                                     " AND role = 'professional' FOR UPDATE", account_id, by.region)
        if person is None:
            raise NotFound(f"no active professional '{account_id}' in this region")
        if kind == "professional" and (sub_id == account_id or not await conn.fetchval(
                "SELECT true FROM accounts WHERE id = $1 AND region = $2 AND active AND role = 'professional'",
                sub_id, by.region)):
            raise InvalidCommand("the substitute is another active professional of the region", field="substitute")
        if kind == "team" and not await conn.fetchval("SELECT true FROM teams WHERE id = $1 AND region = $2",
                                                      sub_id, by.region):
            raise InvalidCommand(f"no team '{sub_id}' in this region", field="substitute")
        if await conn.fetchval("SELECT true FROM absences WHERE account_id = $1 AND cancelled_at IS NULL"
                               " AND starts <= $3 AND ends >= $2", account_id, starts, ends):
            raise InvalidCommand("another absence of the same person overlaps these days", field="starts")
        absence = Absence(absence_id=uuid.uuid4(), starts=starts, ends=ends, substitute_kind=kind,
                          substitute_id=sub_id)
        await conn.execute(
            "INSERT INTO absences (absence_id, account_id, region, starts, ends, substitute_kind, substitute_id,"
            " recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", absence.absence_id,
            account_id, by.region, starts, ends, kind, sub_id, by.id, now)
        await record_change(conn, account_id=account_id, region=by.region, by=by.id, change="absence",
                            before=None, after=f"{starts.isoformat()}–{ends.isoformat()}", at=now, directory=directory)
    return absence


def _substitute(value: str | None) -> tuple[Literal["professional", "team"] | None, str | None]:
    if not value:
        return None, None
    kind, _, ident = value.partition(":")
    if kind not in ("professional", "team") or not ident:
        raise InvalidCommand("a substitute is 'professional:<id>' or 'team:<id>'", field="substitute")
    return ("professional" if kind == "professional" else "team"), ident


async def cancel_absence(conn: Conn, *, by: Account, absence_id: uuid.UUID, directory: Directory,
                         now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    async with conn.transaction():
        row = await conn.fetchrow("SELECT account_id, starts, ends FROM absences WHERE absence_id = $1"
                                  " AND region = $2 AND cancelled_at IS NULL FOR UPDATE", absence_id, by.region)
        if row is None:
            raise NotFound("no such absence")
        if not may_record_for(by, row["account_id"]):
            raise Forbidden("you cancel only your own absences")
        await conn.execute("UPDATE absences SET cancelled_at = $2 WHERE absence_id = $1", absence_id, now)
        await record_change(conn, account_id=row["account_id"], region=by.region, by=by.id, change="absence_cancelled",
                            before=f"{row['starts'].isoformat()}–{row['ends'].isoformat()}", after=None, at=now,
                            directory=directory)


async def absences_in_view(conn: Conn, *, viewer: Account, now: datetime | None = None) -> list[AbsenceView]:
    """The absences now and ahead that ``viewer`` may see: a professional their own, others the region's."""
    only = viewer.id if viewer.role == "professional" else None
    rows = await conn.fetch(
        "SELECT b.absence_id, b.starts, b.ends, b.substitute_kind, b.substitute_id, b.account_id, a.display_name,"
        " s.display_name AS substitute_name FROM absences b JOIN accounts a ON a.id = b.account_id"
        " LEFT JOIN accounts s ON b.substitute_kind = 'professional' AND s.id = b.substitute_id"
        " WHERE b.region = $1 AND b.cancelled_at IS NULL AND b.ends >= $2 AND ($3::text IS NULL OR b.account_id = $3)"
        " ORDER BY b.starts, a.display_name", viewer.region, helsinki_today(now), only)
    return [AbsenceView(absence=Absence(absence_id=r["absence_id"], starts=r["starts"], ends=r["ends"],
                                        substitute_kind=r["substitute_kind"], substitute_id=r["substitute_id"]),
                        account_id=r["account_id"], display_name=r["display_name"],
                        substitute_name=r["substitute_name"]) for r in rows]


async def absent_today(conn: Conn, region: str, day: date) -> dict[str, Absence]:
    """Who of the region is away on ``day``, with their absence."""
    rows = await conn.fetch("SELECT account_id, absence_id, starts, ends, substitute_kind, substitute_id"
                            " FROM absences WHERE region = $1 AND cancelled_at IS NULL AND starts <= $2 AND ends >= $2",
                            region, day)
    return {r["account_id"]: Absence(absence_id=r["absence_id"], starts=r["starts"], ends=r["ends"],
                                     substitute_kind=r["substitute_kind"], substitute_id=r["substitute_id"])
            for r in rows}
