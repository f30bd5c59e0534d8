"""The rows and words tables share: the period's months and weeks, the region's names, the usual columns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from services.reporting.cube import whole_weeks
from services.reporting.filters import Filters
from services.reporting.i18n import t
from services.reporting.model import Cell, Chart, Column, Group, Table
from services.reporting.privacy import share


def months(filters: Filters) -> list[date]:
    """The first days of the months the period touches."""
    first, out = filters.since.replace(day=1), []
    while first <= filters.until:
        out.append(first)
        first = (first + timedelta(days=32)).replace(day=1)
    return out


def weeks(filters: Filters) -> list[date]:
    """The Mondays of the ISO weeks wholly inside the period (a part of a week would be a fresh set of cases
    at each edge of a period, whose differences would tell who came on the days in between)."""
    return whole_weeks(filters.since, filters.until)


def month_label(day: date, lang: str) -> str:
    """A month's name and year in ``lang``."""
    return f"{t('month_' + str(day.month), lang)} {day.year}"


def week_label(monday: date) -> str:
    """An ISO week (2026-W05)."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def municipality_name(filters: Filters, mid: str, lang: str) -> str:
    """A municipality's name in ``lang``, or its id when the region does not know it."""
    return next((m.name.get(lang) for m in filters.region.municipalities if m.id == mid), mid)


def chosen_municipalities(filters: Filters) -> list[str]:
    """The ids of the chosen municipalities (every one of the region's when none is chosen), in the region's order."""
    return [m.id for m in filters.region.municipalities if not filters.municipalities or m.id in filters.municipalities]


def team_name(filters: Filters, team_id: str | None, lang: str) -> str:
    """A team's name in ``lang``; ``None`` is "no team"."""
    if team_id is None:
        return t("no_team", lang)
    return next((tm.name.get(lang) for tm in filters.region.teams if tm.id == team_id), team_id)


def count_columns(*keys: str, lang: str) -> tuple[Column, ...]:
    """Count columns labelled by their ``col_`` texts."""
    return tuple(Column(k, t("col_" + k, lang), "count") for k in keys)


def distribution(table_id: str, title: str, label: str, keys: Sequence[Any], names: Callable[[Any], str],
                 found: dict[Any, Group], whole: Group, lang: str, chart: bool = True) -> Table:
    """The cases by one dimension: a row per key with its count and share, and the total (``whole``)."""
    rows: list[list[Cell]] = []
    for key in keys:
        n = found.get(key, Group()).count
        rows.append([names(key), n, share(n, whole.count)])
    return Table(table_id, title,
                 (Column("category", label, "label"), Column("contacts", t("col_contacts", lang), "count"),
                  Column("percent", t("col_percent", lang), "percent")),
                 rows, chart=Chart("bar", ("contacts",)) if chart else None, total=[t("total", lang), whole.count,
                                                                                     None])
