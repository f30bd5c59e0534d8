"""Reporting's histograms of how long families waited for a first answer, where the medians come from.

A median needs every value in order, and sorting a region-year's answered cases for each table took
seconds once a region had many cases (docs/benchmarks.md). The dashboards show a wait to a tenth of an
hour, so the median of the waits counted in tenths of an hour is the figure they show, and counts give it:

* ``wait_tenths``: per region, measure (``b`` working hours, ``c`` calendar hours), month, municipality
  and team, how many cases waited each tenth of an hour;
* ``wait_hours``: the same per whole hour (a tenth's hour is ``tenths / 10``), a fraction of the rows.

The hours say which hour holds each group's middle case and how many cases come before that hour; then
only the tenths of those few hours are read. Both are kept in the statements that write the facts, as
the rollup's cells are (see cells.py), and filled once after a rebuild. Months wholly in a period come
from the histograms; the days of a month the period takes only in part (the current month's, up to today) come
from the facts by the same definitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from services.reporting.cells import COUNTED
from services.reporting.filters import Filters
from shared.db import Conn

MEASURES = {"b": "response_business_hours", "c": "response_calendar_hours"}
KEY = ("region", "measure", "month", "municipality", "team")
# The tables themselves: migrations/projection/0003_wait_histograms.sql.


def waits_of(source: str) -> str:
    """Each answered case of the facts rows ``source`` yields (with a ``sign``), once per measure: its key
    columns, ``tenths`` and ``sign``."""
    values = ", ".join(f"('{m}'::\"char\", round(f.{column} * 10)::int)" for m, column in MEASURES.items())
    return ("SELECT f.region, w.measure, f.month, f.municipality, coalesce(f.response_team, f.team_id, '') AS team,"
            f" w.tenths, f.sign FROM ({source}) f CROSS JOIN LATERAL (VALUES {values}) AS w(measure, tenths)"
            f" WHERE f.first_response_at IS NOT NULL AND w.tenths IS NOT NULL AND f.{COUNTED}")


# Each histogram: its table, its value column, and that value from a wait counted in tenths.
HISTOGRAMS = {"tenths": ("wait_tenths", "tenths", "tenths"), "hour": ("wait_hours", "hour", "tenths / 10")}


def histogram_of(unit: str, source: str) -> str:
    """The rows of histogram ``unit`` that the facts rows ``source`` yields (with a ``sign``) make: its key columns,
    its value and ``n``; a row that comes to nothing is left out."""
    _, _, value = HISTOGRAMS[unit]
    keys = ", ".join(KEY)
    return (f"SELECT {keys}, {value}, sum(sign) FROM ({waits_of(source)}) w GROUP BY {keys}, {value}"
            " HAVING sum(sign) <> 0")


def _add(unit: str, source: str) -> str:
    table, column, _ = HISTOGRAMS[unit]
    keys = ", ".join(KEY)
    return (f"INSERT INTO {table} AS h ({keys}, {column}, n) {histogram_of(unit, source)}"
            f" ON CONFLICT ({keys}, {column}) DO UPDATE SET n = h.n + EXCLUDED.n")


def add_waits(source: str) -> tuple[str, str]:
    """The two statements that add the waits of ``source`` (facts rows with a ``sign``: +1 to add, -1 to take
    away) to the histograms; each can stand in a data-modifying CTE."""
    return _add("tenths", source), _add("hour", source)


DROP_EMPTY = "DELETE FROM wait_tenths WHERE n = 0; DELETE FROM wait_hours WHERE n = 0"
FILL = add_waits("SELECT 1 AS sign, * FROM case_facts")
# After a rebuild has written the facts alone.
REFILL = ("TRUNCATE wait_tenths, wait_hours", *FILL)


# ---------------------------------------------------------------- medians


def middle_ranks(total: int) -> tuple[int, int]:
    """The ranks (from 1) whose values' mean is the median: the same one twice when ``total`` is odd."""
    return (total + 1) // 2, total // 2 + 1


def value_at(counts: Mapping[int, int], rank: int) -> tuple[int, int]:
    """The value the ``rank``-th case (from 1) has when the cases are in order, and how many come before it."""
    before = 0
    for value in sorted(counts):
        if before + counts[value] >= rank:
            return value, before
        before += counts[value]
    raise ValueError(f"rank {rank} is past the {before} cases counted")


def hours_needed(hours: Mapping[int, int]) -> set[int]:
    """The hours that hold the middle cases of a histogram of whole hours."""
    total = sum(hours.values())
    return {value_at(hours, rank)[0] for rank in middle_ranks(total)} if total else set()


def median(hours: Mapping[int, int], tenths: Mapping[int, int]) -> float | None:
    """The median wait in hours from a histogram of whole hours and the tenths of (at least) the hours that
    hold its middle cases; None without cases."""
    total = sum(hours.values())
    if not total:
        return None
    found = []
    for rank in middle_ranks(total):
        hour, before = value_at(hours, rank)
        found.append(value_at({t: n for t, n in tenths.items() if t // 10 == hour}, rank - before)[0])
    return sum(found) / 20


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _months(since: date, until: date) -> list[date]:
    """The months wholly inside the period."""
    month = since if since.day == 1 else _next_month(since)
    found = []
    while _next_month(month) - timedelta(days=1) <= until:
        found.append(month)
        month = _next_month(month)
    return found


# What the medians are grouped by, over the histograms' columns.
GROUP = {"true": "true", "municipality": "municipality", "month": "month", "team": "team"}
Targets = list[tuple[Any, str, int]]  # (group, measure, hour): the hours whose tenths a median needs


def _source(f: Filters, by: str, unit: str, targets: Targets | None) -> tuple[str, list[Any]]:
    """The histogram rows of the period (key columns, ``value`` and ``n``): whole months from the table, the
    other days (the current month's) from the facts; with ``targets``, only the tenths of each group's
    chosen hours."""
    values: list[Any] = []

    def arg(value: object) -> str:
        values.append(value)
        return f"${len(values)}"

    months = _months(f.since, f.until)
    table, column, value = HISTOGRAMS[unit]
    near, chosen_targets = "", ""
    if targets is not None:
        groups, measures, hours = (arg([str(t[0]) for t in targets]), arg([t[1] for t in targets]),
                                   arg([t[2] for t in targets]))
        chosen_targets = f"unnest({groups}::text[], {measures}::text[], {hours}::int[]) AS t(k, measure, hour)"
        near = (f" AND EXISTS (SELECT FROM {chosen_targets} WHERE {_same_group(by, 'w')}"
                " AND w.measure = t.measure::\"char\" AND w.tenths / 10 = t.hour)")
    parts = []
    # The days outside the whole months, as ranges the facts' (region, local_date) index can read.
    for since, until in ([(f.since, months[0] - timedelta(days=1)), (_next_month(months[-1]), f.until)]
                         if months else [(f.since, f.until)]):
        if since > until:
            continue
        where, where_values = f.where(len(values) + 1)
        values += where_values
        days = f" AND local_date >= {arg(since)} AND local_date <= {arg(until)}" if months else ""
        facts = f"SELECT 1 AS sign, * FROM case_facts WHERE {where}{days}"
        parts.append(f"SELECT month, municipality, team, measure, {value} AS value, sign AS n"
                     f" FROM ({waits_of(facts)}) w WHERE true{near}")
    if months:
        region, chosen = arg(f.region.id), arg(months)
        only = f" AND h.municipality = ANY({arg(list(f.municipalities))}::text[])" if f.municipalities else ""
        if targets is None:
            parts.append(f"SELECT h.month, h.municipality, h.team, h.measure, h.{column} AS value, h.n FROM {table} h"
                         f" WHERE h.region = {region} AND h.month = ANY({chosen}::date[]){only}")
        else:  # a range of an index per group and hour (LATERAL, kept apart by OFFSET 0: a lookup each), not
            # every tenth of the period
            parts.append(f"SELECT h.month, h.municipality, h.team, h.measure, h.tenths AS value, h.n FROM"
                         f" {chosen_targets} CROSS JOIN LATERAL (SELECT * FROM wait_tenths h WHERE h.region = {region}"
                         f" AND h.measure = t.measure::\"char\" AND {_same_group(by, 'h')}"
                         " AND h.tenths >= t.hour * 10 AND h.tenths < t.hour * 10 + 10"
                         f" AND h.month = ANY({chosen}::date[]){only} OFFSET 0) h")
    return " UNION ALL ".join(parts), values


def _same_group(by: str, row: str) -> str:
    """The condition that a histogram row (``row``) is in target ``t``'s group (a group travels as text)."""
    return {"true": "true", "month": f"{row}.month = t.k::date"}.get(by, f"{row}.{GROUP[by]} = t.k")


async def _counts(conn: Conn, f: Filters, by: str, unit: str,
                  targets: Targets | None = None) -> dict[tuple[Any, str], dict[int, int]]:
    source, args = _source(f, by, unit, targets)
    found: dict[tuple[Any, str], dict[int, int]] = {}
    # Grouped by the "char" itself; the text the driver reads is made once per group, not once per row.
    for r in await conn.fetch(f"SELECT k, measure::text, value, n FROM (SELECT {GROUP[by]} AS k, measure, value,"
                              f" sum(n) AS n FROM ({source}) s GROUP BY 1, 2, 3 HAVING sum(n) > 0) g", *args):
        found.setdefault((r["k"], r["measure"]), {})[r["value"]] = int(r["n"])
    return found


def _whole(parts: Iterable[tuple[tuple[Any, str], dict[int, int]]]) -> dict[str, dict[int, int]]:
    whole: dict[str, dict[int, int]] = {}
    for (_, measure), counts in parts:
        into = whole.setdefault(measure, {})
        for value, n in counts.items():
            into[value] = into.get(value, 0) + n
    return whole


async def medians(conn: Conn, f: Filters, by: str, *,
                  whole: bool = True) -> tuple[dict[Any, dict[str, float]], dict[str, float]]:
    """The median waits per group of ``by`` and, with ``whole``, of all the groups together:
    ``{measure: hours}``."""
    hours = await _counts(conn, f, by, "hour")
    whole_hours = _whole(hours.items()) if whole else {}
    targets = {(k, m, h) for (k, m), counts in hours.items() for h in hours_needed(counts)}
    # The whole's middle hours are read in every group.
    targets |= {(k, m, h) for k, m in hours if m in whole_hours for h in hours_needed(whole_hours[m])}
    if not targets:
        return {}, {}
    tenths = await _counts(conn, f, by, "tenths", sorted(targets, key=str))
    whole_tenths = _whole(tenths.items()) if whole_hours else {}
    per_group: dict[Any, dict[str, float]] = {}
    for (k, m), counts in hours.items():
        value = median(counts, tenths.get((k, m), {}))
        if value is not None:
            per_group.setdefault(k, {})[m] = value
    return per_group, {m: value for m, counts in whole_hours.items()
                       if (value := median(counts, whole_tenths.get(m, {}))) is not None}
