"""The response-time tables: how many families were answered, in time or late, and the median waits."""

from __future__ import annotations

from typing import Any

from services.reporting import cells, waits
from services.reporting.filters import Filters
from services.reporting.i18n import t
from services.reporting.labels import (
    chosen_municipalities,
    count_columns,
    month_label,
    months,
    municipality_name,
    team_name,
)
from services.reporting.model import Cell, Chart, Column, Group, Table
from services.reporting.privacy import enough, published, share
from services.reporting.rollup import area, cube_for, places
from shared.db import Conn

FIGURES = ("contacts", "answered", "met", "missed")


async def response_rows(conn: Conn, f: Filters, by: str,
                        whole: bool = False) -> tuple[dict[Any, dict[str, Any]], dict[str, Any]]:
    """Per ``by`` (and for the filters' area and period as a whole): contacts, answered, in time, late (answered
    after the day or not yet answered past it), each a cell of the cube, and the median waits (waits.py; the
    whole's only with ``whole``)."""
    c = await cube_for(conn, f)

    def figures(a: str, p: str, team: str | None) -> dict[str, Any]:
        if team is None:
            keys = {"contacts": ("all", ""), **{k: ("response", k) for k in FIGURES[1:]}}
        else:
            keys = {"contacts": ("team", team), **{k: ("team_response", f"{team}|{k}") for k in FIGURES[1:]}}
        return {name: c.group((a, p, *key)) for name, key in keys.items()}

    if by == "team":
        found = {cells.parse("team", tm): figures(area(f), f.period, tm) for tm in c.values["team"]}
    else:
        found = {k: figures(a, p, None) for k, a, p in places(f, by)}
    per_group, whole_medians = await waits.medians(conn, f, by, whole=whole)
    for k, row in found.items():
        medians = per_group.get("" if by == "team" and k is None else k, {})
        row.update(median_business=medians.get("b"), median_calendar=medians.get("c"))
    together = figures(area(f), f.period, None)
    together.update(median_business=whole_medians.get("b"), median_calendar=whole_medians.get("c"))
    return found, together


def response_cells(r: dict[str, Any] | None) -> list[Cell]:
    """A group's published response figures: contacts, answered, in time, late, in time %, the two medians. The
    share is worked out from the published counts; the medians only when the answered cell is published."""
    r = r or {**{k: Group() for k in FIGURES}, "median_business": None, "median_calendar": None}
    contacts, answered, met, missed = (r[k].count for k in FIGURES)
    met_n, missed_n = published(met), published(missed)
    medians_ok = enough(r["answered"].n) and published(answered) is not None
    return [contacts, answered, met, missed,
            share(met, met_n + missed_n) if met_n is not None and missed_n is not None else None,
            round(r["median_business"], 1) if medians_ok and r["median_business"] is not None else None,
            round(r["median_calendar"], 1) if medians_ok and r["median_calendar"] is not None else None]


def _response_columns(first: Column, lang: str) -> tuple[Column, ...]:
    return (first, *count_columns("contacts", "answered", "met", "missed", lang=lang),
            Column("met_pct", t("col_met_pct", lang), "percent"),
            Column("median_business", t("col_median_business", lang), "hours"),
            Column("median_calendar", t("col_median_calendar", lang), "hours"))


async def response_by_municipality(conn: Conn, f: Filters, lang: str) -> Table:
    """Response times per chosen municipality, and all of them together."""
    found, whole = await response_rows(conn, f, "municipality", whole=True)
    rows = [[municipality_name(f, mid, lang), *response_cells(found.get(mid))] for mid in chosen_municipalities(f)]
    return Table("response_by_municipality", t("tbl_response_by_municipality", lang),
                 _response_columns(Column("municipality", t("col_municipality", lang), "label"), lang), rows,
                 chart=Chart("bar", ("met_pct",), horizontal=True), total=[t("all_chosen", lang),
                                                                          *response_cells(whole)],
                 note=t("note_response", lang, hours=f.region.office_hours.label))


async def response_by_team(conn: Conn, f: Filters, lang: str) -> Table:
    """Response times per team: the region's teams, any other that answered, and no team."""
    found, _ = await response_rows(conn, f, "team")
    team_ids: list[str | None] = [tm.id for tm in f.region.teams]
    team_ids += sorted(k for k in found if k is not None and k not in team_ids)
    team_ids.append(None)
    rows = [[team_name(f, tid, lang), *response_cells(found.get(tid))] for tid in team_ids]
    return Table("response_by_team", t("tbl_response_by_team", lang),
                 _response_columns(Column("team", t("col_team", lang), "label"), lang), rows,
                 chart=Chart("bar", ("median_business",), horizontal=True), note=t("note_team", lang))


async def response_by_month(conn: Conn, f: Filters, lang: str) -> Table:
    """Response times per month of the period."""
    found, _ = await response_rows(conn, f, "month")
    rows = [[month_label(m, lang), *response_cells(found.get(m))] for m in months(f)]
    return Table("response_by_month", t("tbl_response_by_month", lang),
                 _response_columns(Column("month", t("col_month", lang), "label"), lang), rows,
                 chart=Chart("line", ("met_pct",)))
