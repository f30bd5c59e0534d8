"""The admin's access log (and one client's part of it as CSV); the accounts are in pages/accounts.py."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.routing import accounts, audit, queries
from services.routing.access_export import access_csv, action_label, search_label
from services.routing.pages.render import page_lang, render
from services.routing.web import AdminPage
from shared.app import ConnDep
from shared.db import Conn
from shared.downloads import attachment

router = APIRouter(include_in_schema=False)


async def _access_rows(request: Request, session: accounts.StaffSession,
                       conn: Conn) -> tuple[list[dict[str, object]], str, str]:
    """The log's rows for the case (an id or a reference) and the staff member asked about, and both queries."""
    case_query = request.query_params.get("case", "").strip()
    staff_query = request.query_params.get("staff", "").strip()
    case_id: uuid.UUID | None = None
    if case_query:
        try:
            case_id = uuid.UUID(case_query)
        except ValueError:
            case_id = await queries.case_by_reference(conn, case_query, session.account.region)
            if case_id is None:
                return [], case_query, staff_query
    rows = await audit.search(conn, region=session.account.region, case_id=case_id, account_id=staff_query or None)
    return rows, case_query, staff_query


@router.get("/admin/access")
async def access_log(request: Request, session: AdminPage, conn: ConnDep) -> Response:
    rows, case_query, staff_query = await _access_rows(request, session, conn)
    lang = page_lang(request, session)
    # The file speaks the page's language: its headings, roles and actions.
    # A staff member's part of it too: what they looked at and searched for.
    export = (f"/admin/access.csv?{urlencode({'case': case_query, 'staff': staff_query, 'lang': lang})}"
              if case_query or staff_query else None)
    return render(request, "access.html", session, rows=rows, case_query=case_query, staff_query=staff_query,
                  export_href=export, active="access",
                  action_label=lambda action: action_label(action, lang),
                  search_label=lambda r: search_label(r.get("term_kind"), r.get("hits"), lang))


@router.get("/admin/access.csv")
async def access_export(request: Request, session: AdminPage, conn: ConnDep) -> Response:
    """One client's right to know who processed their data: the log for one case, as CSV."""
    rows, case_query, _ = await _access_rows(request, session, conn)
    body = access_csv(rows, page_lang(request, session))
    rows_of = case_query or request.query_params.get("staff", "").strip() or "all"
    # The case or the person as the admin typed it names the file: whatever it holds, the header stays one header.
    return Response(body, media_type="text/csv; charset=utf-8", headers=attachment(f"access-log-{rows_of}.csv"))
