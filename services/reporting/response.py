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
from services.reporting.model import Cell, Chart, Column, Table
from services.reporting.privacy import enough, protect, share
from services.reporting.rollup import BY, cells_source
from shared.db import Conn

RESPONSE_COUNTS = ("n", "keys", "answered", "answered_keys", "met", "met_keys", "missed", "missed_keys")
# The facts' own column for what the cells group responses by ('' for no team, as in the cells and the waits).
FACT_BY = {"true": "true", "municipality": "municipality", "month": "month",
           "team": "coalesce(response_team, team_id, '')"}


async def response_rows(conn: Conn, f: Filters, by: str,
                        whole: bool = False) -> tuple[dict[Any, dict[str, Any]], dict[str, Any]]:
    """Per ``by`` and (the median waits only with ``whole``) for all its groups together: contacts, answered, in
    time and late (the cells), late though not yet answered (the facts: few cases wait unanswered past their
    day), and the median waits (waits.py)."""
    dim = "team" if by == "team" else "all"
    source, where, args = cells_source(f, [dim])
    key = "c.value" if by == "team" else BY[by]
    found: dict[Any, dict[str, Any]] = {}

    def row(k: Any) -> dict[str, Any]:
        return found.setdefault(cells.parse(dim, k) if by == "team" else k, {
            **dict.fromkeys(RESPONSE_COUNTS, 0), "median_business": None, "median_calendar": None})

    for r in await conn.fetch(
            f"SELECT {key} AS k, sum(c.n) AS n, sum(c.keys) AS keys, sum(c.answered_n) AS answered,"
            " sum(c.answered_k) AS answered_keys, sum(c.met_n) AS met, sum(c.met_k) AS met_keys,"
            f" sum(c.late_n) AS missed, sum(c.late_k) AS missed_keys FROM {source} WHERE {where} GROUP BY 1", *args):
        row(r["k"]).update({name: int(r[name]) for name in RESPONSE_COUNTS})
    where, args = f.where()
    for r in await conn.fetch(
            f"SELECT {FACT_BY[by]} AS k, count(*) AS n, sum(record_key) AS keys FROM case_facts WHERE {where}"
            f" AND first_response_at IS NULL AND due_at <= ${len(args) + 1} GROUP BY 1", *args, f.now):
        late = row(r["k"])
        late["missed"], late["missed_keys"] = late["missed"] + r["n"], late["missed_keys"] + int(r["keys"])
    per_group, whole_medians = await waits.medians(conn, f, by, whole=whole)
    for k, found_medians in per_group.items():
        row(k).update(median_business=found_medians.get("b"), median_calendar=found_medians.get("c"))
    together = {name: sum(r[name] for r in found.values()) for name in RESPONSE_COUNTS}
    together.update(median_business=whole_medians.get("b"), median_calendar=whole_medians.get("c"))
    return found, together


def response_cells(r: dict[str, Any] | None) -> list[Cell]:
    """A group's published response figures: contacts, answered, in time, late, in time %, the two medians."""
    r = r or {"n": 0, "keys": 0, "answered": 0, "answered_keys": 0, "met": 0, "met_keys": 0, "missed": 0,
              "missed_keys": 0, "median_business": None, "median_calendar": None}
    contacts = protect(r["n"], r["keys"])
    met, missed = protect(r["met"], r["met_keys"]), protect(r["missed"], r["missed_keys"])
    decided = protect(r["met"] + r["missed"], r["met_keys"] + r["missed_keys"])
    medians_ok = enough(r["answered"])
    return [contacts, protect(r["answered"], r["answered_keys"]), met, missed, share(met, decided),
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
                 note=t("note_response", lang))


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
