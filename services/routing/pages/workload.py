"""The team's workload page: open cases, at risk, overdue and calls waiting, per team and per professional."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.routing import workload_service
from services.routing.pages.render import page_lang, render
from services.routing.permissions import may_see_queue
from services.routing.web import RuntimeDep, StaffPage
from services.routing.workload import COUNTS, SORT_KEYS, SortKey, sort_people
from shared.app import ConnDep

router = APIRouter(include_in_schema=False)


def _sorting(request: Request) -> tuple[SortKey, bool]:
    """The people table's order from the query; a page forgives what it cannot read (by name, A to Z)."""
    asked = request.query_params.get("sort", "name")
    key: SortKey = next((k for k in SORT_KEYS if k == asked), "name")
    return key, request.query_params.get("order") == "desc"


@router.get("/workload")
async def workload_page(request: Request, session: StaffPage, conn: ConnDep, runtime: RuntimeDep) -> Response:
    lang = page_lang(request, session)
    found = await workload_service.workload_of(conn=conn, staff=session, regions=runtime.regions)

    def team_label(team_id: str | None) -> str:
        names = found.team_names.get(team_id or "")
        return (names.get(lang) or names.get("fi") or team_id or "") if names else (team_id or "")

    key, descending = _sorting(request)
    people = sort_people(found.workload.people, key, descending, team_name=team_label)

    def sort_href(column: str) -> str:
        """The column's header link: the other way round when it is the order already; a count's first click puts
        the most work first, a name's A to Z."""
        if column == key:
            order = "asc" if descending else "desc"
        else:
            order = "desc" if column in COUNTS else "asc"
        return f"/workload?{urlencode({'lang': lang, 'sort': column, 'order': order})}#people"

    return render(request, "workload.html", session, workload=found.workload, people=people, team_label=team_label,
                  sort_key=key, descending=descending, sort_href=sort_href, columns=SORT_KEYS, counted=COUNTS,
                  queue_links=may_see_queue(session.account),
                  at_risk_hours=f"{runtime.regions.working_day(session.account.region).warning_hours:g}",
                  active="workload")
