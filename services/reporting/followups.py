"""The follow-ups table: how often families wrote again after an answer, and how many were answered by the day
promised for it."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.reporting.filters import Filters
from services.reporting.i18n import t
from services.reporting.labels import count_columns, month_label, months
from services.reporting.model import Cell, Chart, Column, Group, Table, summed
from services.reporting.privacy import share
from shared.db import Conn

FIGURES = ("followups", "met", "missed")


async def followup_groups(conn: Conn, f: Filters) -> dict[date, dict[str, Group]]:
    """Per month of the follow-up: all of them, those answered by their day, and those answered late or still
    unanswered after it (at ``f.now``); each with its record keys, so that it can be published."""
    where, args = f.where(topic=False)
    n = len(args) + 1
    topic = ""
    if f.topic:
        topic = f" AND case_id IN (SELECT case_id FROM case_facts WHERE topic = ${n + 1})"
        args.append(f.topic)
    rows = await conn.fetch(
        "SELECT month, count(*) AS followups, sum(record_key) AS followups_k,"
        " count(*) FILTER (WHERE answered_at <= due_at) AS met,"
        " coalesce(sum(record_key) FILTER (WHERE answered_at <= due_at), 0) AS met_k,"
        f" count(*) FILTER (WHERE coalesce(answered_at, ${n}) > due_at AND due_at <= ${n}) AS missed,"
        f" coalesce(sum(record_key) FILTER (WHERE coalesce(answered_at, ${n}) > due_at AND due_at <= ${n}), 0)"
        f" AS missed_k FROM followup_facts WHERE {where}{topic} GROUP BY month", *args[:n - 1], f.now, *args[n - 1:])
    return {r["month"]: {k: Group(int(r[k]), int(r[k + "_k"])) for k in FIGURES} for r in rows}


def followup_cells(groups: dict[str, Group] | None) -> list[Cell]:
    """A month's published figures: follow-ups, answered by their day, late, and the share on time."""
    found: dict[str, Any] = groups or {}
    followups, met, missed = (found.get(k, Group()) for k in FIGURES)
    return [followups.count, met.count, missed.count, share(met.count, summed((met, missed)).count)]


async def followups_by_month(conn: Conn, f: Filters, lang: str) -> Table:
    """Follow-ups per month of the period and the share answered by the day promised for each."""
    found = await followup_groups(conn, f)
    rows = [[month_label(m, lang), *followup_cells(found.get(m))] for m in months(f)]
    whole = {k: summed(g[k] for g in found.values()) for k in FIGURES}
    return Table("followups_by_month", t("tbl_followups_by_month", lang),
                 (Column("month", t("col_month", lang), "label"),
                  *count_columns("followups", "followups_met", "followups_missed", lang=lang),
                  Column("met_pct", t("col_met_pct", lang), "percent")),
                 rows, chart=Chart("line", ("followups",)), total=[t("total", lang), *followup_cells(whole)],
                 note=t("note_followups", lang))
