"""Every table the dashboards show, built once and rendered as a page, JSON, CSV or XLSX alike.

A table is built for one set of filters and one language; every count in it has passed through
:func:`services.reporting.privacy.protect` before it leaves this module, so no rendering can show
a number that should be hidden.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import asyncpg

from services.reporting import cells, waits
from services.reporting.filters import TOPICS, Filters, topic_name
from services.reporting.i18n import t
from services.reporting.privacy import Count, enough, per_thousand, protect, share
from shared.db import Conn
from shared.events import Outcome, RequesterRole

OUTCOMES: tuple[str, ...] = Outcome.__args__  # type: ignore[attr-defined]
ROLES: tuple[str, ...] = RequesterRole.__args__  # type: ignore[attr-defined]
TIMES = ("office", "evening", "night", "weekend", "holiday")
METHODS = ("phone", "sms", "email", "anonymous")

Kind = Literal["label", "count", "percent", "rate", "hours", "score", "number"]
Cell = int | float | str | None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind


@dataclass(frozen=True)
class Chart:
    type: Literal["bar", "line"]
    # The columns drawn as series; the first column gives the categories.
    series: tuple[str, ...]
    stacked: bool = False
    horizontal: bool = False


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    columns: tuple[Column, ...]
    rows: list[list[Cell]]
    chart: Chart | None = None
    note: str | None = None
    total: list[Cell] | None = None  # a last row that sums the others up, shown apart

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title,
                "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
                "rows": self.rows, "total": self.total, "note": self.note}


@dataclass(frozen=True)
class Group:
    """The true size of a group and its cases' record-key sum: enough to publish it, never published as such."""

    n: int = 0
    keys: int = 0

    @property
    def count(self) -> Count:
        return protect(self.n, self.keys)


Builder = Callable[[Conn, Filters, str], Awaitable[Table]]
TABLES: dict[str, Builder] = {}
PAGES: dict[str, tuple[str, ...]] = {}


def table(table_id: str, *pages: str) -> Callable[[Builder], Builder]:
    def register(builder: Builder) -> Builder:
        TABLES[table_id] = builder
        for page in pages:
            PAGES.setdefault(page, ())
            PAGES[page] += (table_id,)
        return builder
    return register


# What a table can group the cells by: the dimension's own value, or the day's or municipality's.
BY = {"value": "c.value", "month": "date_trunc('month', c.local_date)::date",
      "week": "date_trunc('week', c.local_date)::date", "weekday": "extract(isodow FROM c.local_date)::int",
      "municipality": "c.municipality", "true": "true"}


def _cells(f: Filters, dims: Sequence[str]) -> tuple[str, str, list[Any]]:
    """FROM and WHERE for the rollup's cells of ``dims`` under the filters (see cells.py). With a topic, the
    cells are made on the fly from that topic's facts, by the same definitions."""
    if f.topic:
        where, args = f.where()
        return f"({cells.cells_of(f'SELECT 1 AS sign, * FROM case_facts WHERE {where}', dims)}) c", "true", args
    where, args = f.where(topic=False)
    return "fact_cells c", f"{where} AND c.dim = ANY(${len(args) + 1}::text[])", [*args, list(dims)]


async def counts(conn: Conn | asyncpg.Pool, f: Filters, dim: str, by: Sequence[str] = ("value",)) -> dict[Any, Group]:
    """The cases in each group of ``dim``, grouped by ``by`` (one key, or a tuple of keys)."""
    source, where, args = _cells(f, [dim])
    keys = ", ".join(f"{BY[b]} AS k{i}" for i, b in enumerate(by))
    rows = await conn.fetch(f"SELECT {keys}, sum(c.n) AS n, sum(c.keys) AS keys FROM {source} WHERE {where}"
                            f" GROUP BY {', '.join(str(i + 1) for i in range(len(by)))}", *args)

    def key(r: asyncpg.Record) -> Any:
        parts = [cells.parse(dim, r[f"k{i}"]) if b == "value" else r[f"k{i}"] for i, b in enumerate(by)]
        return parts[0] if len(parts) == 1 else tuple(parts)

    return {key(r): Group(int(r["n"]), int(r["keys"])) for r in rows}


async def tally(conn: Conn | asyncpg.Pool, f: Filters, by: str,
                conditions: dict[str, str]) -> dict[Any, dict[str, Group]]:
    """Per ``by``: the whole group (``"all"``) and the part of it for which each named condition (a dimension
    in cells.py) holds, in one query."""
    names = {dim: name for name, dim in conditions.items()}
    source, where, args = _cells(f, ["all", *conditions.values()])
    rows = await conn.fetch(f"SELECT {BY[by]} AS k, c.dim, sum(c.n) AS n, sum(c.keys) AS keys FROM {source}"
                            f" WHERE {where} GROUP BY 1, 2", *args)
    found: dict[Any, dict[str, Group]] = {}
    for r in rows:
        found.setdefault(r["k"], {})[names.get(r["dim"], "all")] = Group(int(r["n"]), int(r["keys"]))
    return found


def summed(parts: Any) -> Group:
    """The group of several disjoint groups: counts and record keys add up."""
    parts = list(parts)
    return Group(sum(g.n for g in parts), sum(g.keys for g in parts))


SHARES = {"anonymous": "anonymous", "after": "after_hours"}


def months(filters: Filters) -> list[date]:
    first, out = filters.since.replace(day=1), []
    while first <= filters.until:
        out.append(first)
        first = (first + timedelta(days=32)).replace(day=1)
    return out


def weeks(filters: Filters) -> list[date]:
    monday = filters.since - timedelta(days=filters.since.weekday())
    out = []
    while monday <= filters.until:
        out.append(monday)
        monday += timedelta(days=7)
    return out


def month_label(day: date, lang: str) -> str:
    return f"{t('month_' + str(day.month), lang)} {day.year}"


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def municipality_name(filters: Filters, mid: str, lang: str) -> str:
    return next((m.name.get(lang) for m in filters.region.municipalities if m.id == mid), mid)


def chosen_municipalities(filters: Filters) -> list[str]:
    return [m.id for m in filters.region.municipalities if not filters.municipalities or m.id in filters.municipalities]


def team_name(filters: Filters, team_id: str | None, lang: str) -> str:
    if team_id is None:
        return t("no_team", lang)
    return next((tm.name.get(lang) for tm in filters.region.teams if tm.id == team_id), team_id)


def count_columns(*keys: str, lang: str) -> tuple[Column, ...]:
    return tuple(Column(k, t("col_" + k, lang), "count") for k in keys)


# ---------------------------------------------------------------- overview




@table("key_figures", "overview", "report")
async def key_figures(conn: Conn, f: Filters, lang: str) -> Table:
    found = (await tally(conn, f, "true", SHARES)).get(True, {})
    total, anonymous, after = (found.get(k, Group()) for k in ("all", "anonymous", "after"))
    response = _response_cells((await _response_rows(conn, f, "true", whole=True))[1])
    scores = await counts(conn, f, "feedback")
    feedback = summed(scores.values())
    mean = sum(score * g.n for score, g in scores.items()) / feedback.n if feedback.n else None
    rows: list[list[Cell]] = [
        [t("fig_contacts", lang), total.count, None],
        [t("fig_per_1000", lang), per_thousand(total.count, f.children), None],
        [t("fig_anonymous", lang), anonymous.count, share(anonymous.count, total.count)],
        [t("fig_after_hours", lang), after.count, share(after.count, total.count)],
        [t("fig_in_time", lang), response[2], response[4]],
        [t("fig_median_business", lang), response[5], None],
        [t("fig_feedback_mean", lang), round(mean, 1) if mean is not None and enough(feedback.n) else None, None],
    ]
    return Table("key_figures", t("tbl_key_figures", lang),
                 (Column("figure", t("col_figure", lang), "label"), Column("value", t("col_value", lang), "number"),
                  Column("percent", t("col_percent", lang), "percent")), rows, note=t("note_in_time", lang))


@table("per_month", "overview")
async def per_month(conn: Conn, f: Filters, lang: str) -> Table:
    found = await tally(conn, f, "month", SHARES)
    rows: list[list[Cell]] = []
    for m in months(f):
        g = found.get(m, {})
        n = g.get("all", Group()).count
        rows.append([month_label(m, lang), n, share(g.get("anonymous", Group()).count, n),
                     share(g.get("after", Group()).count, n)])
    return Table("per_month", t("tbl_per_month", lang),
                 (Column("month", t("col_month", lang), "label"), Column("contacts", t("col_contacts", lang), "count"),
                  Column("anonymous", t("col_anonymous_pct", lang), "percent"),
                  Column("after_hours", t("col_after_hours_pct", lang), "percent")),
                 rows, chart=Chart("bar", ("contacts",)))


@table("per_week", "overview")
async def per_week(conn: Conn, f: Filters, lang: str) -> Table:
    total = await counts(conn, f, "all", by=("week",))
    rows: list[list[Cell]] = [[week_label(w), total.get(w, Group()).count] for w in weeks(f)]
    return Table("per_week", t("tbl_per_week", lang),
                 (Column("week", t("col_week", lang), "label"), Column("contacts", t("col_contacts", lang), "count")),
                 rows, chart=Chart("line", ("contacts",)))


@table("by_municipality", "overview", "report")
async def by_municipality(conn: Conn, f: Filters, lang: str) -> Table:
    found = await tally(conn, f, "municipality", SHARES)
    rows: list[list[Cell]] = []
    for mid in chosen_municipalities(f):
        m = f.region.municipality(mid)
        children = m.population.children_0_17 if m.population else None
        g = found.get(mid, {})
        n = g.get("all", Group()).count
        rows.append([m.name.get(lang), children, n, per_thousand(n, children),
                     share(g.get("anonymous", Group()).count, n), share(g.get("after", Group()).count, n)])
    whole, anon_all, after_all = (summed(g.get(k, Group()) for g in found.values())
                                  for k in ("all", "anonymous", "after"))
    total_row: list[Cell] = [t("all_chosen", lang), f.children, whole.count, per_thousand(whole.count, f.children),
                             share(anon_all.count, whole.count), share(after_all.count, whole.count)]
    return Table("by_municipality", t("tbl_by_municipality", lang),
                 (Column("municipality", t("col_municipality", lang), "label"),
                  Column("children", t("col_children", lang), "number"),
                  Column("contacts", t("col_contacts", lang), "count"),
                  Column("per_1000", t("col_per_1000", lang), "rate"),
                  Column("anonymous", t("col_anonymous_pct", lang), "percent"),
                  Column("after_hours", t("col_after_hours_pct", lang), "percent")),
                 rows, chart=Chart("bar", ("per_1000",), horizontal=True), total=total_row,
                 note=t("note_children", lang))


def _with_total(found: dict[Any, Group]) -> tuple[dict[Any, Group], Group]:
    return found, summed(found.values())


def _distribution(table_id: str, title: str, label: str, keys: Sequence[Any], names: Callable[[Any], str],
                  found: dict[Any, Group], lang: str, chart: bool = True) -> Table:
    whole = summed(found.values())
    rows: list[list[Cell]] = []
    for key in keys:
        n = found.get(key, Group()).count
        rows.append([names(key), n, share(n, whole.count)])
    return Table(table_id, title,
                 (Column("category", label, "label"), Column("contacts", t("col_contacts", lang), "count"),
                  Column("percent", t("col_percent", lang), "percent")),
                 rows, chart=Chart("bar", ("contacts",)) if chart else None, total=[t("total", lang), whole.count,
                                                                                     None])


@table("by_time", "overview")
async def by_time(conn: Conn, f: Filters, lang: str) -> Table:
    return _distribution("by_time", t("tbl_by_time", lang), t("col_time", lang), TIMES,
                         lambda k: t("time_" + k, lang), await counts(conn, f, "time"), lang)


@table("by_hour", "overview")
async def by_hour(conn: Conn, f: Filters, lang: str) -> Table:
    return _distribution("by_hour", t("tbl_by_hour", lang), t("col_hour", lang), range(24),
                         lambda h: f"{h:02d}–{(h + 1) % 24:02d}", await counts(conn, f, "hour"), lang)


@table("by_weekday", "overview")
async def by_weekday(conn: Conn, f: Filters, lang: str) -> Table:
    return _distribution("by_weekday", t("tbl_by_weekday", lang), t("col_weekday", lang), range(1, 8),
                         lambda d: t(f"weekday_{d}", lang), await counts(conn, f, "all", by=("weekday",)), lang)


@table("by_role", "overview", "report")
async def by_role(conn: Conn, f: Filters, lang: str) -> Table:
    return _distribution("by_role", t("tbl_by_role", lang), t("col_role", lang), ROLES,
                         lambda r: t("role_" + r, lang), await counts(conn, f, "role"), lang, chart=False)


@table("by_method", "overview", "report")
async def by_method(conn: Conn, f: Filters, lang: str) -> Table:
    return _distribution("by_method", t("tbl_by_method", lang), t("col_method", lang), METHODS,
                         lambda m: t("method_" + m, lang), await counts(conn, f, "method"), lang, chart=False)


# ---------------------------------------------------------------- topics


@table("topics", "topics", "report")
async def topics(conn: Conn, f: Filters, lang: str) -> Table:
    family = await counts(conn, f, "topic_family")
    triage = await counts(conn, f, "topic_triage")
    effective, whole = _with_total(await counts(conn, f, "topic"))
    rows: list[list[Cell]] = []
    for key in (*TOPICS, None):
        n = effective.get(key, Group()).count
        rows.append([topic_name(key, lang), family.get(key, Group()).count,
                     triage.get(key, Group()).count if key else None, n, share(n, whole.count)])
    return Table("topics", t("tbl_topics", lang),
                 (Column("topic", t("col_topic", lang), "label"),
                  Column("family", t("col_topic_family", lang), "count"),
                  Column("triage", t("col_topic_triage", lang), "count"),
                  Column("contacts", t("col_topic_final", lang), "count"),
                  Column("percent", t("col_percent", lang), "percent")),
                 rows, chart=Chart("bar", ("family", "triage"), horizontal=True),
                 total=[t("total", lang), whole.count, None, whole.count, None], note=t("note_topics", lang))


@table("topics_by_month", "topics")
async def topics_by_month(conn: Conn, f: Filters, lang: str) -> Table:
    by_month = await counts(conn, f, "topic", by=("month", "value"))
    found = {(month, topic or "none"): g for (month, topic), g in by_month.items()}
    keys = [*TOPICS, "none"]
    rows: list[list[Cell]] = [[month_label(m, lang), *(found.get((m, k), Group()).count for k in keys)]
                              for m in months(f)]
    return Table("topics_by_month", t("tbl_topics_by_month", lang),
                 (Column("month", t("col_month", lang), "label"),
                  *(Column(k, topic_name(None if k == "none" else k, lang), "count") for k in keys)),
                 rows, chart=Chart("line", tuple(keys)), note=t("note_seasons", lang))


# ---------------------------------------------------------------- response times


RESPONSE_COUNTS = ("n", "keys", "answered", "answered_keys", "met", "met_keys", "missed", "missed_keys")
# The facts' own column for what the cells group responses by ('' for no team, as in the cells and the waits).
FACT_BY = {"true": "true", "municipality": "municipality", "month": "month",
           "team": "coalesce(response_team, team_id, '')"}


async def _response_rows(conn: Conn, f: Filters, by: str,
                         whole: bool = False) -> tuple[dict[Any, dict[str, Any]], dict[str, Any]]:
    """Per ``by`` and (the median waits only with ``whole``) for all its groups together: contacts, answered, in
    time and late (the cells), late though not yet answered (the facts: few cases wait unanswered past their
    day), and the median waits (waits.py)."""
    dim = "team" if by == "team" else "all"
    source, where, args = _cells(f, [dim])
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


def _response_cells(r: dict[str, Any] | None) -> list[Cell]:
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


@table("response_by_municipality", "response", "report")
async def response_by_municipality(conn: Conn, f: Filters, lang: str) -> Table:
    found, whole = await _response_rows(conn, f, "municipality", whole=True)
    rows = [[municipality_name(f, mid, lang), *_response_cells(found.get(mid))] for mid in chosen_municipalities(f)]
    return Table("response_by_municipality", t("tbl_response_by_municipality", lang),
                 _response_columns(Column("municipality", t("col_municipality", lang), "label"), lang), rows,
                 chart=Chart("bar", ("met_pct",), horizontal=True), total=[t("all_chosen", lang),
                                                                          *_response_cells(whole)],
                 note=t("note_response", lang))


@table("response_by_team", "response")
async def response_by_team(conn: Conn, f: Filters, lang: str) -> Table:
    found, _ = await _response_rows(conn, f, "team")
    team_ids: list[str | None] = [tm.id for tm in f.region.teams]
    team_ids += sorted(k for k in found if k is not None and k not in team_ids)
    team_ids.append(None)
    rows = [[team_name(f, tid, lang), *_response_cells(found.get(tid))] for tid in team_ids]
    return Table("response_by_team", t("tbl_response_by_team", lang),
                 _response_columns(Column("team", t("col_team", lang), "label"), lang), rows,
                 chart=Chart("bar", ("median_business",), horizontal=True), note=t("note_team", lang))


@table("response_by_month", "response")
async def response_by_month(conn: Conn, f: Filters, lang: str) -> Table:
    found, _ = await _response_rows(conn, f, "month")
    rows = [[month_label(m, lang), *_response_cells(found.get(m))] for m in months(f)]
    return Table("response_by_month", t("tbl_response_by_month", lang),
                 _response_columns(Column("month", t("col_month", lang), "label"), lang), rows,
                 chart=Chart("line", ("met_pct",)))


# ---------------------------------------------------------------- outcomes


@table("outcomes", "outcomes", "report")
async def outcomes(conn: Conn, f: Filters, lang: str) -> Table:
    found = await counts(conn, f, "outcome")
    closed = summed(found.values())
    table_ = _distribution("outcomes", t("tbl_outcomes", lang), t("col_outcome", lang), OUTCOMES,
                           lambda o: t("outcome_" + o, lang), found, lang)
    return Table(table_.id, table_.title, table_.columns, table_.rows, chart=Chart("bar", ("contacts",),
                                                                                   horizontal=True),
                 total=[t("closed_total", lang), closed.count, None], note=t("note_outcomes", lang))


@table("referrals", "outcomes", "report")
async def referrals(conn: Conn, f: Filters, lang: str) -> Table:
    by_service = await counts(conn, f, "referral")
    kinds = await counts(conn, f, "referral_kind")
    whole = summed(kinds.values())
    rows: list[list[Cell]] = []
    for kind in ("municipal", "county", "third_sector"):
        rows.append([t("kind_" + kind, lang), None, kinds.get(kind, Group()).count,
                     share(kinds.get(kind, Group()).count, whole.count)])
        for service in f.region.services:
            if service.kind == kind:
                n = by_service.get(service.id, Group()).count
                rows.append([t("kind_" + kind, lang), service.name.get(lang), n, share(n, whole.count)])
    return Table("referrals", t("tbl_referrals", lang),
                 (Column("kind", t("col_service_kind", lang), "label"),
                  Column("service", t("col_service", lang), "label"),
                  Column("contacts", t("col_contacts", lang), "count"),
                  Column("percent", t("col_percent", lang), "percent")),
                 rows, total=[t("total", lang), None, whole.count, None], note=t("note_referrals", lang))


@table("follow_up", "outcomes", "report")
async def follow_up(conn: Conn, f: Filters, lang: str) -> Table:
    figures = {"fig_handed_off": "handed_off", "fig_referred": "referred", "fig_reopened": "reopened",
               "fig_child_welfare": "child_welfare_notified", "fig_feedback_given": "feedback_given"}
    found = (await tally(conn, f, "true", figures)).get(True, {})
    whole = found.get("all", Group())
    rows: list[list[Cell]] = []
    for key in figures:
        n = found.get(key, Group()).count
        rows.append([t(key, lang), n, share(n, whole.count)])
    return Table("follow_up", t("tbl_follow_up", lang),
                 (Column("figure", t("col_figure", lang), "label"),
                  Column("contacts", t("col_contacts", lang), "count"),
                  Column("percent", t("col_percent", lang), "percent")), rows,
                 total=[t("fig_contacts", lang), whole.count, None])


@table("feedback", "outcomes", "report")
async def feedback(conn: Conn, f: Filters, lang: str) -> Table:
    found = await counts(conn, f, "feedback")
    given = summed(found.values())
    rows: list[list[Cell]] = []
    for score in range(1, 6):
        n = found.get(score, Group()).count
        rows.append([t(f"score_{score}", lang), n, share(n, given.count)])
    return Table("feedback", t("tbl_feedback", lang),
                 (Column("score", t("col_score", lang), "label"), Column("answers", t("col_answers", lang), "count"),
                  Column("percent", t("col_percent", lang), "percent")),
                 rows, chart=Chart("bar", ("answers",)),
                 total=[t("total", lang), given.count, None], note=t("note_feedback", lang))


async def build(conn: Conn, table_id: str, filters: Filters, lang: str) -> Table:
    return await TABLES[table_id](conn, filters, lang)

