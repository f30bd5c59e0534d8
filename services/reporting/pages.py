"""The region's dashboards: overview, topics, response times, outcomes and the pilot report.

Server-rendered; each chart is drawn by the vendored Chart.js from the same table that is shown
beside it, so a screen reader, a keyboard user and a printout get every figure. Every table can
be downloaded as CSV or XLSX with the filters of the page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from services.reporting import present, service
from services.reporting.auth import COOKIE, Viewer, accept_pass, close_session, pass_url
from services.reporting.deps import MaybeViewerDep, PageViewerDep, RuntimeDep
from services.reporting.filters import describe, filter_query, period_choices
from services.reporting.i18n import t
from services.reporting.network_tables import PAGE_FILE
from services.reporting.privacy import SUPPRESSED
from services.reporting.settings import ReportingSettings
from shared.app import ConnDep
from shared.db import Conn
from shared.downloads import attachment
from shared.errors import DomainError, Forbidden, InvalidCommand, NotFound
from shared.http import safe_next, same_token
from shared.i18n import language_links, long_date, pick_lang
from shared.runtime import ServiceRuntime
from shared.sessions import clear_session_cookie, set_session_cookie
from shared.staffpass import InvalidPass, read_pass

log = structlog.get_logger(__name__)
TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
router = APIRouter(include_in_schema=False)
# The menu: the dashboards, then the change agents' network (every role that sees statistics sees both).
PAGE_ORDER = ("overview", "topics", "response", "outcomes", "report", "network")


def render(request: Request, template: str, viewer: Viewer | None, lang: str, *, staff_url: str,
           status: int = 200, **context: Any) -> HTMLResponse:
    """A page of ``template`` in ``lang``, with the links to the same page in the other languages."""
    return TEMPLATES.TemplateResponse(request, template, status_code=status, context={
        "lang": lang, "t": lambda key, **values: t(key, lang, **values), "viewer": viewer,
        "lang_links": language_links(request.url.path, request.query_params.multi_items()),
        "staff_url": staff_url, "fmt": lambda v, kind: present.fmt(v, kind, lang),
        "suppressed": SUPPRESSED, "chart_view": lambda tb: present.chart_view(tb, lang), "pages": PAGE_ORDER, **context,
    })


def filter_problem(exc: DomainError, lang: str) -> str:
    """What was wrong with a page's filters, in the reader's language (filters.parse_filters names it)."""
    if isinstance(exc, InvalidCommand):
        return t(f"filter_problem_{exc.context.get('problem', 'invalid')}", lang)
    if isinstance(exc, Forbidden):
        return t("filter_problem_other_region", lang)
    return t("filter_problem_unknown", lang)


@router.get("/")
async def home(request: Request) -> Response:
    return RedirectResponse(f"/overview?{request.url.query}" if request.url.query else "/overview", status_code=303)


@router.get("/auth/pass")
async def take_pass(request: Request, runtime: RuntimeDep, conn: ConnDep, token: str = "", next: str = "/"
                    ) -> Response:
    """Where routing sends a signed-in person with their pass; opens reporting's own session."""
    settings = runtime.settings
    lang = pick_lang(request.query_params.get("lang"), [])
    try:
        staff_pass = read_pass(settings.staff_pass_secret, token)
        session = await accept_pass(conn, staff_pass, settings.session_hours)
    except InvalidPass as exc:
        # The reason (used, expired, forged) goes to the log; the person reads what to do, in their language.
        log.info("reporting.pass_refused", reason=str(exc))
        return render(request, "error.html", None, lang, staff_url=settings.staff_url, status=403,
                      message=t("error_pass_invalid", lang), retry=pass_url(settings.staff_url, "/"))
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, COOKIE, session, max_age_s=settings.session_hours * 3600,
                       secure=settings.cookie_secure)
    return response


@router.post("/auth/logout")
async def logout(request: Request, viewer: MaybeViewerDep, runtime: RuntimeDep, conn: ConnDep) -> Response:
    """Ends the session (an expired one too) and goes back to the staff pages."""
    form = await request.form()
    if viewer is not None and not same_token(str(form.get("csrf", "")), viewer.csrf):
        raise Forbidden("the form has expired; reload the page and sign out again")
    await close_session(conn, request.cookies.get(COOKIE))
    response = RedirectResponse(runtime.settings.staff_url, status_code=303)
    clear_session_cookie(response, COOKIE)
    return response


async def _page(request: Request, page: str, viewer: Viewer, runtime: ServiceRuntime[ReportingSettings],
                conn: Conn) -> Response:
    lang = pick_lang(request.query_params.get("lang"), [viewer.language])
    try:
        view = await service.page(conn=conn, page=page, query=request.query_params, regions=runtime.regions,
                                  viewer=viewer, lang=lang)
    except (InvalidCommand, NotFound, Forbidden) as exc:
        # A person's browser gets a page in their language that says what to change; the API keeps its JSON.
        return render(request, "error.html", viewer, lang, staff_url=runtime.settings.staff_url, page=page,
                      status=exc.status_code, message=filter_problem(exc, lang),
                      retry=f"/{page}?{urlencode({'lang': lang})}", query=urlencode({"lang": lang}))
    filters = view.filters
    context: dict[str, Any] = {}
    if page == "report":
        context["sentences"] = present.report_sentences({tb.id: tb for tb in view.tables}, filters, lang)
        context["heading"] = t("report_heading", lang, region=filters.region.name.get(lang),
                               since=long_date(filters.since, lang), until=long_date(filters.until, lang))
    return render(request, f"{page}.html", viewer, lang, staff_url=runtime.settings.staff_url, page=page,
                  tables=view.tables, filters=filters, regions=[filters.region], description=describe(filters, lang),
                  query=filter_query(filters, lang), period_choices=period_choices(lang),
                  as_of=present.as_of_text(view.as_of, lang) if view.as_of is not None else None, **context)


@router.get("/overview")
async def overview(request: Request, viewer: PageViewerDep, runtime: RuntimeDep, conn: ConnDep) -> Response:
    return await _page(request, "overview", viewer, runtime, conn)


@router.get("/topics")
async def topics_page(request: Request, viewer: PageViewerDep, runtime: RuntimeDep, conn: ConnDep) -> Response:
    return await _page(request, "topics", viewer, runtime, conn)


@router.get("/response")
async def response_page(request: Request, viewer: PageViewerDep, runtime: RuntimeDep, conn: ConnDep) -> Response:
    return await _page(request, "response", viewer, runtime, conn)


@router.get("/outcomes")
async def outcomes_page(request: Request, viewer: PageViewerDep, runtime: RuntimeDep, conn: ConnDep) -> Response:
    return await _page(request, "outcomes", viewer, runtime, conn)


@router.get("/report")
async def report_page(request: Request, viewer: PageViewerDep, runtime: RuntimeDep, conn: ConnDep) -> Response:
    return await _page(request, "report", viewer, runtime, conn)


@router.get("/export/{name}.{fmt}")
async def export_table(request: Request, name: str, fmt: str, viewer: PageViewerDep, runtime: RuntimeDep,
                       conn: ConnDep) -> Response:
    """One table (``/export/topics.csv``) or every table of a page (``/export/page-overview.xlsx``)."""
    lang = pick_lang(request.query_params.get("lang"), [viewer.language])
    file = await service.download(conn=conn, name=name, fmt=fmt, query=request.query_params,
                                  regions=runtime.regions, viewer=viewer, lang=lang)
    return Response(file.body, media_type=file.media_type, headers=attachment(file.filename))


@router.get("/network")
async def network_page(request: Request, viewer: PageViewerDep, runtime: RuntimeDep, conn: ConnDep) -> Response:
    """The region's change agents' network, in counts (network_figures.py), each table with its downloads."""
    lang = pick_lang(request.query_params.get("lang"), [viewer.language])
    view = await service.network(conn=conn, regions=runtime.regions, viewer=viewer, lang=lang)
    region = runtime.regions.by_id[viewer.region]
    return render(request, "network.html", viewer, lang, staff_url=runtime.settings.staff_url, page="network",
                  query=urlencode({"lang": lang}), region_name=region.name.get(lang), view=view,
                  page_file=PAGE_FILE)


@router.get("/network/export/{name}.{fmt}")
async def export_network(request: Request, name: str, fmt: str, viewer: PageViewerDep, runtime: RuntimeDep,
                         conn: ConnDep) -> Response:
    """One table of the network page (``/network/export/network-tasks.csv``) or all (``page-network.xlsx``)."""
    lang = pick_lang(request.query_params.get("lang"), [viewer.language])
    file = await service.network_download(conn=conn, name=name, fmt=fmt, regions=runtime.regions, viewer=viewer,
                                          lang=lang, now=datetime.now(UTC))
    return Response(file.body, media_type=file.media_type, headers=attachment(file.filename))
