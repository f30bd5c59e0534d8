"""The queue (with its live updates) and the statistics summary."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from services.routing import queries
from services.routing.pages.render import TOPICS, page_lang, render
from services.routing.permissions import may_see_queue
from services.routing.web import OptionalSession, QueuePage, RuntimeDep, StatisticsPage
from shared.app import ConnDep

router = APIRouter(include_in_schema=False)
STATUSES = ("open", "closed", "new", "triaged", "assigned", "all")


def _filters(request: Request) -> dict[str, Any]:
    """The queue's filters from the query; a page forgives what the API refuses (an unknown status is 'open')."""
    q = request.query_params
    status = q.get("status") or "open"
    return {"municipality": q.get("municipality") or None, "topic": q.get("topic") or None,
            "team": q.get("team") or None, "status": status if status in STATUSES else "open",
            "mine": q.get("mine") == "1"}


@router.get("/queue")
async def queue(request: Request, session: QueuePage, conn: ConnDep, runtime: RuntimeDep,
                fragment: bool = False) -> Response:
    f = _filters(request)
    items = await queries.list_cases(conn=conn, account=session.account, municipality=f["municipality"],
                                     topic=f["topic"], team=f["team"],
                                     status=None if f["status"] == "all" else f["status"], mine=f["mine"])
    names = await queries.staff_names(conn, session.account.region)
    if fragment:
        return render(request, "_queue_table.html", session, items=items, names=names)
    region = runtime.regions.by_id[session.account.region]
    lang = page_lang(request, session)
    return render(request, "queue.html", session, items=items, names=names, active="queue", filters=f,
                  municipalities=region.municipalities, topics=TOPICS,
                  teams=[{"id": tm.id, "name": tm.name.get(lang)} for tm in region.teams])


@router.get("/queue/stream")
async def queue_stream(request: Request, session: OptionalSession, runtime: RuntimeDep) -> Response:
    """Server-sent events: 'changed' whenever the cases this person may see change."""
    if session is None or not may_see_queue(session.account):
        return Response(status_code=401)

    async def events() -> AsyncIterator[str]:
        last: object = None
        yield "retry: 3000\n\n"
        for _ in range(3600):  # an hour; the browser reconnects by itself
            if await request.is_disconnected():
                return
            # A connection per look, never one held for the stream's hour.
            async with runtime.db().acquire() as conn:
                mark = await conn.fetchval("SELECT coalesce(sum(next_offset), 0) FROM projection_offsets")
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
