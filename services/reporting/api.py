"""Reporting's JSON API: every dashboard table, with the same filters and the same suppression."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.reporting import service
from services.reporting.deps import RuntimeDep, ViewerDep
from services.reporting.filters import describe
from services.reporting.tables import PAGES
from shared.app import ConnDep
from shared.i18n import pick_lang
from shared.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["statistics"])
FILTERS = ("Filters: `region` (your own, the default; another region's is 403), `municipality` (one, or none for"
           " the whole region; more than one is 422), `period` (a year like 2026 or a month like 2026-03; default the"
           " current year; the current year or month counts up to today), `lang` (fi, sv, en). `since`, `until` and"
           " `topic` are refused (422): the statistics answer only these fixed areas and periods, so that no"
           " combination of questions gives a hidden count back (see docs/reporting.md).")
# The filters are read by parse_filters (shared with the pages and exports); documented here for clients.
FILTER_PARAMETERS: list[dict[str, Any]] = [
    {"name": "region", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "a region id: your own, the default; another region's statistics are refused (403)"},
    {"name": "period", "in": "query", "required": False,
     "schema": {"type": "string", "pattern": "^[0-9]{4}(-[0-9]{2})?$"},
     "description": "a calendar year (2026) or month (2026-03), from 2020 until now; default: the current year"},
    {"name": "lang", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "fi, sv or en for the labels; another value means your own language"},
]


@router.get("/tables", summary="The tables there are, page by page",
            responses=errors({401: "not signed in; `sign_in` is where to get a pass"}))
async def list_tables(viewer: ViewerDep) -> dict[str, list[str]]:
    return {page: list(ids) for page, ids in PAGES.items()}


@router.get("/tables/{table_id}", description=FILTERS, responses=errors({
    401: "not signed in; `sign_in` is where to get a pass", 403: "another region than your own",
    404: "unknown table, region or municipality",
    422: "a filter value is wrong; `field` (or `fields`) names it"}), openapi_extra={"parameters": FILTER_PARAMETERS},
    summary="One table; hidden counts are \"x\" (under 5, or hidden so that no other hidden count can be worked"
            " out), the others carry a fixed offset of at most ±2")
async def get_table(table_id: str, request: Request, viewer: ViewerDep, runtime: RuntimeDep, conn: ConnDep,
                    municipality: Annotated[list[str] | None, Query(max_length=100)] = None) -> dict[str, Any]:
    lang = pick_lang(request.query_params.get("lang"), [viewer.language])
    view = await service.one_table(conn=conn, table_id=table_id, query=request.query_params,
                                   regions=runtime.regions, viewer=viewer, lang=lang)
    filters = view.filters
    return {**view.tables[0].as_json(), "filters": {
        "region": filters.region.id, "municipalities": list(filters.municipalities), "period": filters.period,
        "since": filters.since, "until": filters.until, "description": describe(filters, lang)},
        # When the data behind the figures was read: the region-year's statistics are rebuilt in the background
        # and may be up to the service's bound (stats_max_age_s) older than this answer.
        "data_as_of": view.as_of}
