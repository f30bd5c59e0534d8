"""The use case of the workload page and API: the region's counts, cut to what the person asking may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.routing import accounts
from services.routing.permissions import workload_view
from services.routing.workload import Workload, tally, view_of
from services.routing.workload_queries import workload_rows
from shared.db import Conn
from shared.errors import Forbidden, NotFound
from shared.regions import Regions


@dataclass(frozen=True)
class SeenWorkload:
    workload: Workload
    team_names: dict[str, dict[str, str]]  # every team of the region, each name by language


async def workload_of(*, conn: Conn, staff: accounts.StaffSession, regions: Regions, team: str | None = None,
                      now: datetime | None = None) -> SeenWorkload:
    """The person's region's workload as their role sees it (``permissions.workload_view``), never another
    region's; with ``team``, that team's row and its people only (NotFound for a team they may not see)."""
    account = staff.account
    view = workload_view(account)
    if view is None:
        raise Forbidden("your role does not see the team's workload")
    region = regions.by_id[account.region]
    rows = await workload_rows(conn, region.id)
    # The region's configuration orders its teams; teams added later follow by id.
    order = [tm.id for tm in region.teams] + [tid for tid in rows.teams if tid not in {tm.id for tm in region.teams}]
    names = {**rows.teams, **{tm.id: tm.name.model_dump(exclude_none=True) for tm in region.teams}}
    whole = tally(region=region.id, teams=order, people=rows.people, cases=rows.cases, calls=rows.calls,
                  now=now or datetime.now(UTC), day=region.working_day)
    seen = view_of(whole, view=view, account_id=account.id, team_id=account.team_id)
    if team is not None:
        if not any(t.team_id == team for t in seen.teams):
            raise NotFound("no such team in your region, or not yours to see")
        seen = seen.model_copy(update={"teams": [t for t in seen.teams if t.team_id == team],
                                       "people": [p for p in seen.people if p.team_id == team]})
    return SeenWorkload(workload=seen, team_names=names)
