"""The region's dashboards: overview, topics, response times, outcomes and the pilot report.

Server-rendered; each chart is drawn by the vendored Chart.js from the same table that is shown
beside it, so a screen reader, a keyboard user and a printout get every figure. Every table can
be downloaded as CSV or XLSX with the filters of the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from services.reporting import export
from services.reporting.auth import COOKIE, Viewer, accept_pass, close_session, pass_url, safe_next, viewer_of
from services.reporting.filters import TOPICS, Filters, describe, filter_query, parse_filters, topic_name
from services.reporting.i18n import t
from services.reporting.model import Cell, Table
from services.reporting.privacy import SUPPRESSED
from services.reporting.settings import ReportingSettings
from services.reporting.tables import PAGES, TABLES, build
from shared.app import get_runtime
from shared.errors import Forbidden, NotFound
from shared.i18n import BABEL_LOCALE, LANG_NAMES, LANGS, long_date, pick_lang
from shared.staffpass import InvalidPass, read_pass

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)
PAGE_ORDER = ("overview", "topics", "response", "outcomes", "report")


def fmt(value: Cell, kind: str, lang: str) -> str:
    """A cell as text in the reader's language: "<5" stays, a hidden share or median is a dash."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    locale = BABEL_LOCALE.get(lang, "fi_FI")
    if kind in ("percent", "rate", "hours", "score") or isinstance(value, float):
        return str(format_decimal(value, format="#,##0.0", locale=locale))
    return str(format_decimal(value, format="#,##0", locale=locale))


def chart_data(table: Table) -> str | None:
    """What dashboard.js draws: the categories and the chart's series, hidden values as gaps."""
    if table.chart is None:
        return None
    keys = [c.key for c in table.columns]
    series = []
    for key in table.chart.series:
        i = keys.index(key)
        series.append({"label": table.columns[i].label,
                       "data": [row[i] if isinstance(row[i], int | float) else None for row in table.rows]})
    return orjson.dumps({"type": table.chart.type, "horizontal": table.chart.horizontal,
                         "stacked": table.chart.stacked, "labels": [str(row[0]) for row in table.rows],
                         "series": series}).decode().replace("<", "\\u003c")


def render(request: Request, template: str, viewer: Viewer | None, lang: str, status: int = 200,
           **context: Any) -> HTMLResponse:
    settings = get_runtime(request).settings
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return TEMPLATES.TemplateResponse(request, template, status_code=status, context={
        "lang": lang, "t": lambda key, **values: t(key, lang, **values), "viewer": viewer,
        "lang_links": [(code, LANG_NAMES[code], f"{request.url.path}?{urlencode([*query, ('lang', code)])}")
                       for code in LANGS],
        "staff_url": getattr(settings, "staff_url", "/"), "fmt": lambda v, kind: fmt(v, kind, lang),
        "suppressed": SUPPRESSED, "chart_data": chart_data, "pages": PAGE_ORDER, **context,
    })


async def _viewer_or_redirect(request: Request) -> Viewer | Response:
    viewer = await viewer_of(request)
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(pass_url(request, target), status_code=303)
    return viewer


@router.get("/")
async def home(request: Request) -> Response:
    return RedirectResponse(f"/overview?{request.url.query}" if request.url.query else "/overview", status_code=303)


@router.get("/auth/pass")
async def take_pass(request: Request, token: str = "", next: str = "/") -> Response:
    """Where routing sends a signed-in person with their pass; opens reporting's own session."""
    runtime = get_runtime(request)
    settings = runtime.settings
    assert isinstance(settings, ReportingSettings) and runtime.pool is not None
    lang = pick_lang(request.query_params.get("lang"), [])
    try:
        staff_pass = read_pass(settings.staff_pass_secret, token)
        async with runtime.pool.acquire() as conn:
            session = await accept_pass(conn, staff_pass, settings.session_hours)
    except InvalidPass as exc:
        return render(request, "error.html", None, lang, status=403, message=str(exc), retry=pass_url(request, "/"))
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(COOKIE, session, max_age=settings.session_hours * 3600, httponly=True, samesite="lax",
                        secure=settings.cookie_secure, path="/")
    return response


@router.post("/auth/logout")
async def logout(request: Request) -> Response:
    runtime = get_runtime(request)
    assert runtime.pool is not None
    viewer = await viewer_of(request)
    form = await request.form()
    if viewer is not None and form.get("csrf") != viewer.csrf:
        raise Forbidden("the form has expired; reload the page and sign out again")
    async with runtime.pool.acquire() as conn:
        await close_session(conn, request.cookies.get(COOKIE))
    response = RedirectResponse(str(getattr(runtime.settings, "staff_url", "/")), status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


async def _tables(request: Request, page: str, filters: Filters, lang: str) -> list[Table]:
    runtime = get_runtime(request)
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        return [await build(conn, table_id, filters, lang) for table_id in PAGES[page]]


async def _page(request: Request, page: str) -> Response:
    viewer = await _viewer_or_redirect(request)
    if isinstance(viewer, Response):
        return viewer
    lang = pick_lang(request.query_params.get("lang"), [viewer.language])
    runtime = get_runtime(request)
    filters = parse_filters(request.query_params, runtime.regions, viewer)
    tables = await _tables(request, page, filters, lang)
    context: dict[str, Any] = {}
    if page == "report":
        context["sentences"] = report_sentences({tb.id: tb for tb in tables}, filters, lang)
        context["heading"] = t("report_heading", lang, region=filters.region.name.get(lang),
                               since=long_date(filters.since, lang), until=long_date(filters.until, lang))
    return render(request, f"{page}.html", viewer, lang, page=page, tables=tables, filters=filters,
                  regions=[filters.region], topics=TOPICS, topic_name=lambda k: topic_name(k, lang),
                  description=describe(filters, lang), query=filter_query(filters, lang), **context)


@router.get("/overview")
async def overview(request: Request) -> Response:
    return await _page(request, "overview")


@router.get("/topics")
async def topics_page(request: Request) -> Response:
    return await _page(request, "topics")


@router.get("/response")
async def response_page(request: Request) -> Response:
    return await _page(request, "response")


@router.get("/outcomes")
async def outcomes_page(request: Request) -> Response:
    return await _page(request, "outcomes")


@router.get("/report")
async def report_page(request: Request) -> Response:
    return await _page(request, "report")


@router.get("/export/{name}.{fmt}")
async def export_table(request: Request, name: str, fmt: str) -> Response:
    """One table (``/export/topics.csv``) or every table of a page (``/export/page-overview.xlsx``)."""
    viewer = await _viewer_or_redirect(request)
    if isinstance(viewer, Response):
        return viewer
    if fmt not in ("csv", "xlsx"):
        raise NotFound("exports are .csv or .xlsx", format=fmt)
    lang = pick_lang(request.query_params.get("lang"), [viewer.language])
    filters = parse_filters(request.query_params, get_runtime(request).regions, viewer)
    if name.startswith("page-") and name[5:] in PAGES:
        if fmt != "xlsx":
            raise NotFound("a whole page is exported as .xlsx only", format=fmt)
        tables = await _tables(request, name[5:], filters, lang)
    elif name in TABLES:
        runtime = get_runtime(request)
        assert runtime.pool is not None
        async with runtime.pool.acquire() as conn:
            tables = [await build(conn, name, filters, lang)]
    else:
        raise NotFound(f"no table called '{name}'", table=name)
    filename = f"pyyda-apua-{name}-{filters.region.id}-{filters.since}-{filters.until}.{fmt}"
    heading = describe(filters, lang)
    if fmt == "csv":
        body, media = export.to_csv(tables[0], heading, lang), "text/csv; charset=utf-8"
    else:
        body = export.to_xlsx(tables, heading, t("privacy_note", lang))
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _value(table: Table | None, row: int, column: str) -> Cell:
    if table is None or row >= len(table.rows):
        return None
    keys = [c.key for c in table.columns]
    return table.rows[row][keys.index(column)]


def _pct(value: Cell, lang: str) -> str | None:
    return fmt(value, "percent", lang) if isinstance(value, int | float) else None


def report_sentences(tables: dict[str, Table], f: Filters, lang: str) -> list[str]:
    """The pilot report in words: each sentence only where its numbers may be shown."""
    key = tables["key_figures"]
    places = ", ".join(f.region.municipality(m).name.get(lang) for m in f.municipalities) or \
        f"{f.region.name.get(lang)} ({t('whole_region', lang)})"
    out = [t("report_scope", lang, municipalities=places)]
    contacts, rate = _value(key, 0, "value"), _value(key, 1, "value")
    if not isinstance(contacts, int):
        return [*out, t("report_few", lang)]
    n = fmt(contacts, "count", lang)
    out.append(t("report_contacts", lang, n=n, rate=fmt(rate, "rate", lang)) if isinstance(rate, float)
               else t("report_contacts_no_rate", lang, n=n))
    anon, after = _pct(_value(key, 2, "percent"), lang), _pct(_value(key, 3, "percent"), lang)
    if anon and after:
        out.append(t("report_when", lang, anon=anon, after=after))
    topics = tables.get("topics")
    if topics is not None:
        ranked = sorted((row for row in topics.rows if isinstance(row[3], int) and row[0] != topic_name(None, lang)),
                        key=lambda row: -int(row[3] or 0))[:3]
        if ranked:
            named = [f"{str(row[0]).lower()} ({_pct(row[4], lang) or SUPPRESSED} %)" if lang != "en"
                     else f"{str(row[0]).lower()} ({_pct(row[4], lang) or SUPPRESSED}%)" for row in ranked]
            joined = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} {t('list_and', lang)} {named[-1]}"
            out.append(t("report_topics", lang, topics=joined))
    met, hours = _pct(_value(key, 4, "percent"), lang), _value(key, 5, "value")
    if met and isinstance(hours, float):
        out.append(t("report_in_time", lang, met=met, hours=fmt(hours, "hours", lang)))
    outcomes = tables.get("outcomes")
    if outcomes is not None:
        enough, referred = _pct(_value(outcomes, 0, "percent"), lang), _pct(_value(outcomes, 1, "percent"), lang)
        if enough and referred:
            out.append(t("report_outcomes", lang, enough=enough, referred=referred))
    mean = _value(key, 6, "value")
    if isinstance(mean, float):
        out.append(t("report_feedback", lang, mean=fmt(mean, "score", lang)))
    return out

