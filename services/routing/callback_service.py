"""The use case of the "callbacks today" page and API: a day's calls for the person asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from services.routing import accounts
from services.routing.callback_queries import CallbackItem, calls_on
from services.routing.permissions import may_see_queue
from shared.businessdays import HELSINKI
from shared.db import Conn
from shared.errors import Forbidden


def today_in_helsinki(now: datetime | None = None) -> date:
    """The team's day: what 'today' is in Finland, whatever the server's zone."""
    return (now or datetime.now(UTC)).astimezone(HELSINKI).date()


@dataclass(frozen=True)
class DayOfCalls:
    day: date
    team: str | None  # the filters as applied: a professional's are always None
    person: str | None
    calls: list[CallbackItem]


async def calls_of_day(*, conn: Conn, staff: accounts.StaffSession, day: date | None = None,
                       team: str | None = None, person: str | None = None) -> DayOfCalls:
    """The calls of ``day`` (today in Helsinki by default) the person may see, by the window's start.

    The same people as the queue: a coordinator the region's, filtered by team and person if asked; a
    professional their own and their team's untaken calls, whatever the filters say; others none.
    """
    if not may_see_queue(staff.account):
        raise Forbidden("your role sees statistics, not cases")
    if staff.account.role != "coordinator":
        team = person = None
    day = day or today_in_helsinki()
    calls = await calls_on(conn, account=staff.account, day=day, team=team, person=person)
    return DayOfCalls(day=day, team=team, person=person, calls=calls)
