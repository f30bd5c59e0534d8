"""The contact tables of the outcomes page: how often a family was not reached, and how many tries reaching one took.

Both count cases by the day they came in, from the region-year's cube (cube.py) under the same filters as every
table, and publish only protected counts (privacy.py): shares from the published counts, the mean only over
enough families and only when every row of the table is published.
"""

from __future__ import annotations

from services.reporting.cells import COUNTED
from services.reporting.filters import Filters
from services.reporting.i18n import t
from services.reporting.model import Cell, Chart, Column, Group, Table
from services.reporting.privacy import enough, share
from services.reporting.rollup import counts, whole
from shared.db import Conn
from shared.events import ContactMethod

METHODS: tuple[str, ...] = ContactMethod.__args__  # type: ignore[attr-defined]
# The attempts a row counts: the first, second and third, and the fourth or later together.
BUCKETS = (1, 2, 3, 4)


async def closing_groups(conn: Conn, f: Filters) -> dict[str, dict[str, Group]]:
    """Per contact method: the closed cases, and those closed as not reached (the rollup's cells, cells.py)."""
    closed, not_reached = await counts(conn, f, "closed_method"), await counts(conn, f, "not_reached_method")
    return {m: {"closed": closed.get(m, Group()), "not_reached": not_reached.get(m, Group())}
            for m in {*closed, *not_reached}}


def closing_cells(groups: dict[str, Group] | None) -> list[Cell]:
    """Published: closed, not reached, and the share not reached of the closed."""
    found = groups or {}
    closed, not_reached = found.get("closed", Group()).count, found.get("not_reached", Group()).count
    return [closed, not_reached, share(not_reached, closed)]


async def not_reached_by_method(conn: Conn, f: Filters, lang: str) -> Table:
    """Closed cases per way the family asked to be answered, and the share closed because they were not reached."""
    found = await closing_groups(conn, f)
    rows: list[list[Cell]] = [[t("method_" + m, lang), *closing_cells(found.get(m))] for m in METHODS]
    # The totals are cells of their own, hidden or shown as the cube decided (never a sum of the rows).
    totals = {"closed": await whole(conn, f, "closed_method"),
              "not_reached": await whole(conn, f, "not_reached_method")}
    return Table("not_reached_by_method", t("tbl_not_reached_by_method", lang),
                 (Column("method", t("col_method", lang), "label"),
                  Column("closed", t("col_closed", lang), "count"),
                  Column("not_reached", t("col_not_reached", lang), "count"),
                  Column("not_reached_pct", t("col_not_reached_pct", lang), "percent")),
                 rows, chart=Chart("bar", ("not_reached_pct",), horizontal=True),
                 total=[t("total", lang), *closing_cells(totals)], note=t("note_not_reached", lang))


async def reaching_groups(conn: Conn, f: Filters) -> tuple[dict[int, Group], int]:
    """The reached families by the attempt that first reached them (4: the fourth or later), and the sum of
    those attempts over all of them (from the facts: the cells keep the groups, not the attempts)."""
    found = await counts(conn, f, "reached_after")
    where, args = f.where()
    attempts = await conn.fetchval(f"SELECT coalesce(sum(reached_after), 0) FROM case_facts WHERE {where}"
                                   f" AND reached_after IS NOT NULL AND {COUNTED}", *args)
    return {b: found.get(b, Group()) for b in BUCKETS}, int(attempts)


async def attempts_to_reach(conn: Conn, f: Filters, lang: str) -> Table:
    """Of the families a contact attempt reached: at which attempt, and how many attempts it took on average."""
    found, attempts = await reaching_groups(conn, f)
    reached = await whole(conn, f, "reached_after")
    labels = (t("attempts_1", lang), t("attempts_2", lang), t("attempts_3", lang), t("attempts_4", lang))
    rows: list[list[Cell]] = []
    for bucket, label in zip(BUCKETS, labels, strict=True):
        n = found.get(bucket, Group()).count
        rows.append([label, n, share(n, reached.count)])
    shown = not reached.hidden and not any(g.hidden for g in found.values())
    mean = round(attempts / reached.n, 1) if enough(reached.n) and shown else None
    rows.append([t("attempts_mean", lang), mean, None])
    return Table("attempts_to_reach", t("tbl_attempts_to_reach", lang),
                 (Column("attempt", t("col_attempt", lang), "label"),
                  Column("value", t("col_value", lang), "number"),
                  Column("percent", t("col_percent", lang), "percent")),
                 rows, total=[t("reached_total", lang), reached.count, None], note=t("note_attempts", lang))
