"""Reporting's use cases: the tables a viewer sees with the filters of their query, alone, by page or as a file.

The pages, the API and the downloads are thin adapters over these; each use case checks what it is
asked for in the same order the adapters always have, so the same wrong query gets the same error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.datastructures import QueryParams

from services.reporting import export, rollup
from services.reporting.auth import Viewer
from services.reporting.filters import Filters, describe, parse_filters
from services.reporting.i18n import t
from services.reporting.model import Table
from services.reporting.network_figures import network_figures
from services.reporting.network_tables import PAGE_FILE, NetworkTables, network_tables
from services.reporting.present import as_of_text
from services.reporting.tables import PAGES, TABLES, build
from shared.businessdays import HELSINKI
from shared.db import Conn
from shared.errors import NotFound
from shared.regions import Regions

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class View:
    """Tables as built for one viewer: the filters they chose and the tables under them."""

    filters: Filters
    tables: list[Table]
    as_of: datetime | None = None  # when the data behind the tables was read (their cube's time)


@dataclass(frozen=True)
class Download:
    """A file to send: its name, its media type and its bytes."""

    filename: str
    media_type: str
    body: bytes


async def _build_all(conn: Conn, table_ids: tuple[str, ...], filters: Filters, lang: str) -> View:
    # One after the other on one connection: a page's tables share it, and asyncpg runs one query at a time. All
    # of them read one cube, even when a newer one is kept while they are built.
    async with rollup.same_cube():
        tables = [await build(conn, table_id, filters, lang) for table_id in table_ids]
        return View(filters, tables, rollup.taken_as_of(filters))


async def page(*, conn: Conn, page: str, query: QueryParams, regions: Regions, viewer: Viewer, lang: str) -> View:
    """The tables of dashboard page ``page`` for ``viewer`` with the filters of ``query``."""
    return await _build_all(conn, PAGES[page], parse_filters(query, regions, viewer), lang)


async def one_table(*, conn: Conn, table_id: str, query: QueryParams, regions: Regions, viewer: Viewer,
                    lang: str) -> View:
    """Table ``table_id`` for ``viewer`` with the filters of ``query``; 404 for a table there is not."""
    if table_id not in TABLES:
        raise NotFound(f"no table called '{table_id}'", table=table_id)
    return await _build_all(conn, (table_id,), parse_filters(query, regions, viewer), lang)


async def download(*, conn: Conn, name: str, fmt: str, query: QueryParams, regions: Regions, viewer: Viewer,
                   lang: str) -> Download:
    """One table (``topics``, as .csv or .xlsx) or every table of a page (``page-overview``, as .xlsx) as a file."""
    if fmt not in ("csv", "xlsx"):
        raise NotFound("exports are .csv or .xlsx", format=fmt)
    filters = parse_filters(query, regions, viewer)
    if name.startswith("page-") and name[5:] in PAGES:
        if fmt != "xlsx":
            raise NotFound("a whole page is exported as .xlsx only", format=fmt)
        view = await _build_all(conn, PAGES[name[5:]], filters, lang)
    elif name in TABLES:
        view = await _build_all(conn, (name,), filters, lang)
    else:
        raise NotFound(f"no table called '{name}'", table=name)
    filename = f"pyyda-apua-{name}-{filters.region.id}-{filters.since}-{filters.until}.{fmt}"
    heading = describe(filters, lang)
    if view.as_of is not None:
        heading = f"{heading}. {as_of_text(view.as_of, lang)}"
    if fmt == "csv":
        return Download(filename, "text/csv; charset=utf-8", export.to_csv(view.tables[0], heading, lang))
    return Download(filename, XLSX, export.to_xlsx(view.tables, heading, t("privacy_note", lang)))


# The change agents' network (network_figures.py): no filters, the viewer's own region, counts as the page shows.
async def network(*, conn: Conn, regions: Regions, viewer: Viewer, lang: str) -> NetworkTables:
    """The network page's tables for ``viewer``'s region in ``lang``, municipalities by their names there."""
    region = regions.by_id[viewer.region]
    figures = await network_figures(conn, region.id, lang)
    names = {m.id: m.name.get(lang) for m in region.municipalities}
    figures["by_municipality"] = [(names.get(label, label), n) for label, n in figures["by_municipality"]]
    return network_tables(figures, lang)


async def network_download(*, conn: Conn, name: str, fmt: str, regions: Regions, viewer: Viewer, lang: str,
                           now: datetime) -> Download:
    """One table of the network page (``network-tasks``, as .csv or .xlsx) or all of them (``page-network``,
    .xlsx), with the region, the time the figures were read (Helsinki) and the rule that hides small counts."""
    if fmt not in ("csv", "xlsx"):
        raise NotFound("exports are .csv or .xlsx", format=fmt)
    view = await network(conn=conn, regions=regions, viewer=viewer, lang=lang)
    if name == PAGE_FILE:
        if fmt != "xlsx":
            raise NotFound("a whole page is exported as .xlsx only", format=fmt)
        tables = view.every
    else:
        table = view.find(name)
        if table is None:
            raise NotFound(f"no table called '{name}'", table=name)
        tables = [table]
    region = regions.by_id[viewer.region]
    heading = f"{t('network_title', lang)} – {region.name.get(lang)}. {as_of_text(now, lang)}"
    filename = f"pyyda-apua-{name}-{region.id}-{now.astimezone(HELSINKI).date()}.{fmt}"
    if fmt == "csv":
        return Download(filename, "text/csv; charset=utf-8", export.to_csv(tables[0], heading, lang))
    return Download(filename, XLSX, export.to_xlsx(tables, heading, t("network_privacy_note", lang)))
