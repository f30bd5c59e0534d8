"""The follow-ups table: how often families wrote again after an answer, and how many were answered by the day
promised for it."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.reporting.filters import Filters
from services.reporting.i18n import t
from services.reporting.labels import count_columns, month_label, months
from services.reporting.model import Cell, Chart, Column, Group, Table
from services.reporting.privacy import published, share
from services.reporting.rollup import area, cube_for, places
from shared.db import Conn

FIGURES = ("followups", "met", "missed")


async def followup_groups(conn: Conn, f: Filters) -> dict[date, dict[str, Group]]:
    """Per month of the period: all follow-ups, those answered by their day, and those answered late or still
    unanswered after it (at ``f.now``); each a cell of the cube (cube.py), hidden or shown as decided there."""
    c = await cube_for(conn, f)
    return {m: {k: c.group((a, p, "followup", "all" if k == "followups" else k)) for k in FIGURES}
            for m, a, p in places(f, "month")}


async def followup_whole(conn: Conn, f: Filters) -> dict[str, Group]:
    """The same for the whole period and area."""
    c = await cube_for(conn, f)
    return {k: c.group((area(f), f.period, "followup", "all" if k == "followups" else k)) for k in FIGURES}


def followup_cells(groups: dict[str, Group] | None) -> list[Cell]:
    """A month's published figures: follow-ups, answered by their day, late, and the share on time."""
    found: dict[str, Any] = groups or {}
    followups, met, missed = (found.get(k, Group()).count for k in FIGURES)
    met_n, missed_n = published(met), published(missed)
    return [followups, met, missed,
            share(met, met_n + missed_n) if met_n is not None and missed_n is not None else None]


async def followups_by_month(conn: Conn, f: Filters, lang: str) -> Table:
    """Follow-ups per month of the period and the share answered by the day promised for each."""
    found = await followup_groups(conn, f)
    rows = [[month_label(m, lang), *followup_cells(found.get(m))] for m in months(f)]
    whole = await followup_whole(conn, f)
    return Table("followups_by_month", t("tbl_followups_by_month", lang),
                 (Column("month", t("col_month", lang), "label"),
                  *count_columns("followups", "followups_met", "followups_missed", lang=lang),
                  Column("met_pct", t("col_met_pct", lang), "percent")),
                 rows, chart=Chart("line", ("followups",)), total=[t("total", lang), *followup_cells(whole)],
                 note=t("note_followups", lang))
