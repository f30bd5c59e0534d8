"""The queue (with its live updates) and the statistics summary."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from services.routing import queries, service
from services.routing.pages import search_page
from services.routing.pages.render import TOPICS, page_lang, render
from services.routing.permissions import may_see_queue
from services.routing.service import QueueSlice
from services.routing.web import OptionalSession, QueuePage, RuntimeDep, StatisticsPage
from shared.app import ConnDep, UnitOfWorkDep
from shared.topics import cases_topic

router = APIRouter(include_in_schema=False)
STATUSES = ("open", "closed", "new", "triaged", "assigned", "all")
PER_PAGE = 50  # a screenful a person can scan; the rest is a "next" link away, never cut off


def _filters(request: Request) -> dict[str, Any]:
    """The queue's filters from the query; a page forgives what the API refuses (an unknown status is 'open')."""
    q = request.query_params
    # In a search, every case matches unless a status is chosen: the case looked for may be closed.
    status = q.get("status") or ("all" if search_page.asked(request).wanted else "open")
    return {"municipality": q.get("municipality") or None, "topic": q.get("topic") or None,
            "team": q.get("team") or None, "status": status if status in STATUSES else "open",
            "mine": q.get("mine") == "1"}


def _page_number(request: Request) -> int:
    """The page asked for; a page forgives a number it cannot read (the first page)."""
    raw = request.query_params.get("page", "1")
    return max(1, min(int(raw), 100_000)) if raw.isdigit() else 1


def _page_href(request: Request, number: int) -> str:
    query = {k: v for k, v in request.query_params.items() if k not in ("page", "fragment")}
    return f"/queue?{urlencode({**query, 'page': number})}" if number > 1 else f"/queue?{urlencode(query)}"


@router.get("/queue")
async def queue(request: Request, session: QueuePage, uow: UnitOfWorkDep, runtime: RuntimeDep,
                fragment: bool = False) -> Response:
    f = _filters(request)
    conn = uow.conn
    asked = search_page.asked(request)
    found: QueueSlice
    searched: search_page.Searched | None = None
    if asked.wanted:  # a search (in the access log); its results do not follow the live updates
        searched = await search_page.run(asked, uow=uow, account=session.account, runtime=runtime, filters=f,
                                         page=_page_number(request), per_page=PER_PAGE)
        found = searched.found.page if searched.found else QueueSlice(items=[], page=1, has_next=False)
    else:
        found = await service.queue_page(conn=conn, account=session.account, page=_page_number(request),
                                         per_page=PER_PAGE, day=runtime.regions.working_day(session.account.region),
                                         municipality=f["municipality"], topic=f["topic"],
                                         team=f["team"], status=None if f["status"] == "all" else f["status"],
                                         mine=f["mine"])
    items = found.items
    names = await queries.staff_names(conn, session.account.region)
    paging = {"page": found.page, "status": f["status"],
              "prev_href": _page_href(request, found.page - 1) if found.page > 1 else None,
              "next_href": _page_href(request, found.page + 1) if found.has_next else None}
    if fragment:
        return render(request, "_queue_table.html", session, items=items, names=names, paging=paging,
                      search=searched)
    region = runtime.regions.by_id[session.account.region]
    lang = page_lang(request, session)
    return render(request, "queue.html", session, status=422 if searched and searched.error else 200,
                  items=items, names=names, active="queue", filters=f, paging=paging,
                  municipalities=region.municipalities, topics=TOPICS, search=searched,
                  teams=[{"id": tm.id, "name": tm.name.get(lang)} for tm in region.teams])


@router.get("/queue/stream")
async def queue_stream(request: Request, session: OptionalSession, runtime: RuntimeDep) -> Response:
    """Server-sent events: 'changed' whenever the cases of this person's region change.

    Only the region's own stream is watched: a signal for another region's case would tell when families
    there write, and wake every queue of every region for nothing.
    """
    if session is None or not may_see_queue(session.account):
        return Response(status_code=401)
    topic = cases_topic(runtime.settings.topic_prefix, session.account.region)

    async def events() -> AsyncIterator[str]:
        last: object = None
        yield "retry: 3000\n\n"
        for _ in range(3600):  # an hour; the browser reconnects by itself
            if await request.is_disconnected():
                return
            # A connection per look, never one held for the stream's hour.
            async with runtime.db().acquire() as conn:
                mark = await queries.stream_mark(conn, topic)
            if last is not None and mark != last:
                yield "event: changed\ndata: {}\n\n"
            last = mark
            await asyncio.sleep(1.0)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@router.get("/summary")
async def summary(request: Request, session: StatisticsPage, conn: ConnDep, runtime: RuntimeDep) -> Response:
    """Coordinators: the work the open cases need, per team and for the region. Managers and admins: the way
    to the dashboards, where every count is published under the same disclosure control (no live counts of
    small municipalities here, which reloading would turn into a record of who wrote when)."""
    if not may_see_queue(session.account):
        return render(request, "summary.html", session, rows=None, total=None, active="summary")
    region = runtime.regions.by_id[session.account.region]
    lang = page_lang(request, session)
    names = {tm.id: tm.name.get(lang) for tm in region.teams}
    found = {str(r["team"]): r for r in await queries.work_by_team(conn, session.account.region)}
    order = [*names, *sorted(k for k in found if k and k not in names), ""]
    rows = [{"team": tid, "name": names.get(tid, tid), **{k: found.get(tid, {}).get(k, 0)
                                                          for k in ("open", "overdue", "waiting")}}
            for tid in order]
    total = {k: sum(int(r[k]) for r in rows) for k in ("open", "overdue", "waiting")}  # type: ignore[call-overload]
    return render(request, "summary.html", session, rows=rows, total=total, active="summary")
