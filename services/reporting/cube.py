"""Every cell the dashboards can show for one region and year, with its true count and whether it is hidden.

The query space is fixed (filters.py): an area (the whole region, ``""``, or one municipality) and a
period (the year ``"2026"``, a month ``"2026-03"``, or for the weekly table a whole ISO week
``"W2026-03-02"``). A cell is ``(area, period, dim, value)``: ``dim`` is a dimension of cells.py (the
value as its text), or one of the groups made here from them:

* ``weekday`` (1–7), from the days of dimension ``all``;
* ``response``: ``met`` (answered by the promised day), ``late`` (answered after it), ``overdue`` (not
  answered, past the day), ``waiting`` (not answered, not yet due), and the sums the tables show,
  ``answered`` (met + late) and ``missed`` (late + overdue); ``team_response``: the same per team
  (``team|status``);
* ``followup``: ``all``, ``met``, ``missed`` and the rest, ``other``;
* for a dimension that counts only some cases (closed ones by outcome, given feedback, …): ``*`` the
  cases it counts, ``∅`` the others; for a condition (anonymous, …) ``''`` the cases for which it holds
  and ``∅`` the others.

The lines (suppression.Line) are every way the published cells add up: a dimension's values to its
total; the months to the year; the municipalities to the region; the response statuses to their sums
and the teams to the whole. Secondary suppression decides on all of them at once, because the total
cell of an area and period (dimension ``all``) is the total of every dimension's line.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any, Final

from services.reporting import cells
from services.reporting.bounds import SHOWN, in_time_floors
from services.reporting.model import Group
from services.reporting.privacy import protect
from services.reporting.referral_facts import ACCEPT_TIMES, ANSWERS
from services.reporting.suppression import Line, secondary
from shared.db import Conn
from shared.events import Outcome, RequesterRole, Topic
from shared.events_referrals import DECLINE_REASONS
from shared.regions import Region

Key = tuple[str, str, str, str]  # (area, period, dim, value)
REGION: Final = ""
COVERED, OTHERS = "*", "∅"
STATUSES = ("met", "late", "overdue", "waiting")
SUMS = {"answered": ("met", "late"), "missed": ("late", "overdue")}
TOPICS: tuple[str, ...] = Topic.__args__  # type: ignore[attr-defined]
# The dimensions whose values add up to every case, with the values a table shows even when nobody is in them.
FULL: dict[str, tuple[str, ...]] = {
    "time": ("office", "evening", "night", "weekend", "holiday"),
    "hour": tuple(str(h) for h in range(24)),
    "role": RequesterRole.__args__,  # type: ignore[attr-defined]
    "method": ("phone", "sms", "email", "anonymous"),
    "channel": ("button", "phone", "in_person", "letter"),
    "topic_family": (*TOPICS, ""),
    "topic": (*TOPICS, ""),
    "weekday": tuple(str(d) for d in range(1, 8)),
}
# The dimensions that count only some of the cases.
PARTIAL: dict[str, tuple[str, ...]] = {
    "topic_triage": TOPICS,
    "outcome": Outcome.__args__,  # type: ignore[attr-defined]
    "feedback": tuple(str(s) for s in range(1, 6)),
    "referral_kind": ("municipal", "county", "third_sector"),
    "referral": (),
    # Contacts (contacts.py): closed cases, and those closed as not reached, by the way the family asked to be
    # answered; the attempt that first reached a family (4: the fourth or later).
    "closed_method": ("phone", "sms", "email", "anonymous"),
    "not_reached_method": ("phone", "sms", "email", "anonymous"),
    "reached_after": ("1", "2", "3", "4"),
    # Referrals (referral_facts.py): the latest one's answer, a decline's reason, how soon it was accepted.
    "referral_answer": ANSWERS,
    "referral_decline": DECLINE_REASONS,
    "referral_accept_time": ACCEPT_TIMES,
}
CONDITIONS = ("anonymous", "after_hours", "feedback_given", "handed_off", "referred", "reopened",
              "child_welfare_notified")
# Cells of different tables that count (nearly) the same cases: the difference is a cell of its own ("same_rest"),
# so that one of them shown and the other hidden cannot give the hidden one away.
# A topic's final count holds its triaged ones (the topics table shows both), and referred cases hold those closed
# as referred.
SAME: tuple[tuple[tuple[str, str], tuple[str, str]], ...] = (
    (("feedback_given", ""), ("feedback", COVERED)), (("referred", ""), ("referral_kind", COVERED)),
    (("anonymous", ""), ("method", "anonymous")), (("referred", ""), ("outcome", "referred")),
    (("outcome", COVERED), ("closed_method", COVERED)), (("outcome", "not_reached"), ("not_reached_method", COVERED)),
    *((("topic", v), ("topic_triage", v)) for v in TOPICS),
    # Every answered-or-waiting referral has an acceptance time group, and every decline a reason.
    (("referral_answer", COVERED), ("referral_accept_time", COVERED)),
    (("referral_answer", "declined"), ("referral_decline", COVERED)))
# Requests merged as duplicates (cells.py): counted apart from every other cell, in lines of their own over
# the months and the municipalities (series), so secondary suppression protects them like any count.
MERGED: Final = ("merged", "")
LOADED = ("all", *(d for d in (*FULL, *PARTIAL) if d != "weekday"), "team", *CONDITIONS, MERGED[0])


def _rest_name(first: tuple[str, str], second: tuple[str, str]) -> str:
    return f"{first[0]}={first[1]}:{second[0]}={second[1]}"


def month_period(day: date) -> str:
    return f"{day:%Y-%m}"


def week_period(monday: date) -> str:
    return f"W{monday.isoformat()}"


def whole_weeks(since: date, until: date) -> list[date]:
    """The Mondays of the ISO weeks wholly inside ``since``–``until``: a part of a week would be a fresh set."""
    monday = since + timedelta(days=(7 - since.weekday()) % 7)
    out = []
    while monday + timedelta(days=6) <= until:
        out.append(monday)
        monday += timedelta(days=7)
    return out


@dataclass(frozen=True)
class Cube:
    """The true counts, record-key sums and hidden cells of one region and year."""

    n: dict[Key, int]
    keys: dict[Key, int]
    hidden: frozenset[Key]
    values: dict[str, tuple[str, ...]]  # per dimension, every value it has (known or found)
    lines: tuple[Line[Key], ...]  # what it was decided on; () when sent from a worker process (no page reads them)
    as_of: datetime | None = None  # when its data was read (the overdue counts are as of then)
    # Per (area, period): the least share answered by the promised day its published cells allow (bounds.py).
    in_time: dict[tuple[str, str], Fraction] = field(default_factory=dict)

    def group(self, key: Key) -> Group:
        return Group(self.n.get(key, 0), self.keys.get(key, 0), hidden=key in self.hidden)


# Makes a cube from its query rows apart from the event loop (cube_worker.py: in a process of its own).
Assemble = Callable[["Rows", Region, int, date, datetime], Awaitable[Cube]]


class Builder:
    """Adds base cells (a municipality and month) and makes the year's and the region's from them."""

    def __init__(self) -> None:
        self.n: dict[Key, int] = defaultdict(int)
        self.keys: dict[Key, int] = defaultdict(int)

    def add(self, municipality: str, period: str, dim: str, value: str, n: int, keys: int) -> None:
        if not n and not keys:
            return
        year = period[:4] if not period.startswith("W") else None
        for area in (municipality, REGION):
            for p in (period, year) if year and len(period) > 4 else (period,):
                self.n[(area, p, dim, value)] += n
                self.keys[(area, p, dim, value)] += keys


@dataclass(frozen=True)
class Rows:
    """A region-year's query results as :func:`load` reads them, as plain tuples of text and numbers (periods as
    cube.py writes them): what a worker process is sent."""

    base: list[tuple[str, str, str, str, int, int, int, int, int, int]]  # (m, month, dim, value, n, keys, met, late)
    weekdays: list[tuple[str, str, str, int, int]]  # (municipality, month, ISO weekday, n, keys) of dimension "all"
    weeks: list[tuple[str, str, int, int]]  # (municipality, week, n, keys) of the whole weeks
    overdue: list[tuple[str, str, str, int, int]]  # (municipality, month, team, n, keys) past their day, unanswered
    followups: list[tuple[str, str, int, int, int, int, int, int]]  # (m, month, n, keys, met n/k, missed n/k)
    kinds: dict[str, str]  # the kind of each service a referral may name


# The periods as cube.py writes them (month_period, week_period), made by PostgreSQL: text pickles four times
# faster than dates, and the rows go to the worker process.
MONTH, WEEK = "to_char(local_date, 'YYYY-MM')", "'W' || to_char(date_trunc('week', local_date), 'YYYY-MM-DD')"


async def load(conn: Conn, region: Region, year: int, until: date, now: datetime,
               assemble_with: Assemble | None = None) -> Cube:
    """The cube of ``region`` and ``year`` (its days until ``until``), with what is overdue at ``now``; made from
    the rows by ``assemble_with`` (cube_worker.ProcessAssembler: in a process of its own), by default in a worker
    thread. Only the queries run here: adding the rows up is the worker's too, never the event loop's."""
    since, last = date(year, 1, 1), min(until, date(year, 12, 31))
    weeks = whole_weeks(since, last)
    base = await conn.fetch(
        f"SELECT municipality, {MONTH}, dim, value, sum(n)::bigint, sum(keys)::bigint, sum(met_n)::bigint,"
        " sum(met_k)::bigint, sum(late_n)::bigint, sum(late_k)::bigint FROM fact_cells WHERE region = $1"
        " AND local_date >= $2 AND local_date <= $3 AND dim = ANY($4::text[]) GROUP BY 1, 2, 3, 4",
        region.id, since, last, list(LOADED))
    weekdays = await conn.fetch(
        f"SELECT municipality, {MONTH}, extract(isodow FROM local_date)::int::text, sum(n)::bigint,"
        " sum(keys)::bigint FROM fact_cells WHERE region = $1 AND dim = 'all' AND local_date >= $2"
        " AND local_date <= $3 GROUP BY 1, 2, 3", region.id, since, last)
    week_rows = await conn.fetch(
        f"SELECT municipality, {WEEK}, sum(n)::bigint, sum(keys)::bigint FROM fact_cells WHERE region = $1"
        " AND dim = 'all' AND local_date >= $2 AND local_date <= $3 GROUP BY 1, 2",
        region.id, weeks[0] if weeks else since, weeks[-1] + timedelta(days=6) if weeks else since - timedelta(days=1))
    overdue = await conn.fetch(
        "SELECT municipality, to_char(month, 'YYYY-MM'), coalesce(response_team, team_id, ''), count(*),"
        " sum(record_key)::bigint FROM case_facts WHERE region = $1 AND local_date >= $2 AND local_date <= $3"
        f" AND first_response_at IS NULL AND due_at <= $4 AND {cells.COUNTED} GROUP BY 1, 2, 3",
        region.id, since, last, now)
    followups = await conn.fetch(
        "SELECT municipality, to_char(month, 'YYYY-MM'), count(*), sum(record_key)::bigint,"
        " count(*) FILTER (WHERE answered_at <= due_at),"
        " coalesce(sum(record_key) FILTER (WHERE answered_at <= due_at), 0)::bigint,"
        " count(*) FILTER (WHERE coalesce(answered_at, $4) > due_at AND due_at <= $4),"
        " coalesce(sum(record_key) FILTER (WHERE coalesce(answered_at, $4) > due_at AND due_at <= $4), 0)::bigint"
        " FROM followup_facts u WHERE region = $1 AND local_date >= $2 AND local_date <= $3"
        " AND NOT EXISTS (SELECT FROM case_facts c WHERE c.case_id = u.case_id AND c.outcome = 'duplicate')"
        " GROUP BY 1, 2", region.id, since, last, now)
    # The kind of every service a referral may name: the directory's (PTV's and the YAML's own, as synced), and
    # the YAML's whole services of a region whose directory was never synced.
    kinds = {s.id: s.kind for s in region.local_services} | {
        r["service_id"]: r["kind"] for r in await conn.fetch(
            "SELECT service_id, kind FROM directory_services WHERE region = $1", region.id)}

    def plain(records: list[Any]) -> list[Any]:  # asyncpg's records are not picklable; their tuples are
        return [tuple(r) for r in records]

    rows = Rows(plain(base), plain(weekdays), plain(week_rows), plain(overdue), plain(followups), kinds)
    if assemble_with is not None:
        return await assemble_with(rows, region, year, last, now)
    # The rule's work is pure Python: apart from the event loop, so other requests are served meanwhile.
    return await asyncio.to_thread(built, rows, region, year, last, now)


def built(rows: Rows, region: Region, year: int, last: date, now: datetime) -> Cube:
    """The cube from its query rows: the base cells added up (a municipality and month, the weekdays, the whole
    weeks, what is overdue, the follow-ups), then assembled."""
    b = Builder()
    found: dict[str, set[str]] = defaultdict(set)
    for m, p, dim, v, n, keys, met_n, met_k, late_n, late_k in rows.base:
        found[dim].add(v)
        b.add(m, p, dim, v, n, keys)
        if dim in ("all", "team"):
            for status, s_n, s_k in (("met", met_n, met_k), ("late", late_n, late_k)):
                into = ("response", status) if dim == "all" else ("team_response", f"{v}|{status}")
                b.add(m, p, *into, s_n, s_k)
    for m, p, weekday, n, keys in rows.weekdays:
        b.add(m, p, "weekday", weekday, n, keys)
    for m, week, n, keys in rows.weeks:
        b.add(m, week, "all", "", n, keys)
    for m, p, team, n, keys in rows.overdue:
        b.add(m, p, "response", "overdue", n, keys)
        b.add(m, p, "team_response", f"{team}|overdue", n, keys)
        found["team"].add(team)
    for m, p, n, keys, met_n, met_k, missed_n, missed_k in rows.followups:
        b.add(m, p, "followup", "all", n, keys)
        b.add(m, p, "followup", "met", met_n, met_k)
        b.add(m, p, "followup", "missed", missed_n, missed_k)
    return assemble(b, region, year, last, found, now, rows.kinds)


def assemble(b: Builder, region: Region, year: int, last: date, found: dict[str, set[str]],
             as_of: datetime | None = None, kinds: Mapping[str, str] | None = None) -> Cube:
    """The cube from its base cells (``found``: the values seen per dimension): the cells made from them, the
    lines, and what is hidden. ``kinds``: the kind of each service a referral may name (the YAML's by default)."""
    kinds = kinds if kinds is not None else {s.id: s.kind for s in region.local_services}
    areas = [REGION, *dict.fromkeys([*(m.id for m in region.municipalities), *sorted({k[0] for k in b.n} - {REGION})])]
    months = [f"{year}-{m:02d}" for m in range(1, last.month + 1)]
    values = _values(region, found)
    n, keys = b.n, b.keys
    _derive(n, keys, areas, [str(year), *months], values, kinds)
    weeks = [week_period(w) for w in whole_weeks(date(year, 1, 1), last)]
    lines = _lines(areas, str(year), months, weeks, values, kinds, n)
    hidden = frozenset(secondary(n, lines))
    shown = {k: protect(count, keys.get(k, 0)) for k, count in n.items() if (k[2], k[3]) in SHOWN and k not in hidden}
    return Cube(dict(n), dict(keys), hidden, values, tuple(lines), as_of, in_time_floors(shown, lines))


def _values(region: Region, found: dict[str, set[str]]) -> dict[str, tuple[str, ...]]:
    def merged(known: tuple[str, ...], dim: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*known, *sorted(found.get(dim, set()))]))

    values = {d: merged(known, d) for d, known in FULL.items()}
    values |= {d: merged(known, d) for d, known in PARTIAL.items()}
    values["referral"] = merged(tuple(s.id for s in region.local_services), "referral")
    values["team"] = merged((*(tm.id for tm in region.teams), ""), "team")
    return values


def _derive(n: dict[Key, int], keys: dict[Key, int], areas: list[str], periods: list[str],
            values: dict[str, tuple[str, ...]], kinds: Mapping[str, str]) -> None:
    """The cells made from others: the rest of a partial dimension or condition, the response statuses not
    loaded, and the sums the tables show."""
    def put(key: Key, count: int, key_sum: int) -> None:
        if count or key_sum:
            n[key], keys[key] = count, key_sum

    def total(a: str, p: str, dim: str, vals: tuple[str, ...]) -> tuple[int, int]:
        return (sum(n.get((a, p, dim, v), 0) for v in vals), sum(keys.get((a, p, dim, v), 0) for v in vals))

    for a in areas:
        for p in periods:
            all_n, all_k = n.get((a, p, "all", ""), 0), keys.get((a, p, "all", ""), 0)
            for dim in (*FULL, *PARTIAL):
                c_n, c_k = total(a, p, dim, values[dim])
                if dim in PARTIAL:
                    put((a, p, dim, COVERED), c_n, c_k)
                put((a, p, dim, OTHERS), all_n - c_n, all_k - c_k)
            for dim in CONDITIONS:
                put((a, p, dim, OTHERS), all_n - n.get((a, p, dim, ""), 0), all_k - keys.get((a, p, dim, ""), 0))
            for kind in PARTIAL["referral_kind"]:
                s_n, s_k = total(a, p, "referral", tuple(s for s in values["referral"] if kinds.get(s) == kind))
                put((a, p, "referral_rest", kind), n.get((a, p, "referral_kind", kind), 0) - s_n,
                    keys.get((a, p, "referral_kind", kind), 0) - s_k)
            for dim, whole, prefix in [("response", ("all", ""), "")] + [
                    ("team_response", ("team", t), f"{t}|") for t in values["team"]]:
                w_n, w_k = n.get((a, p, *whole), 0), keys.get((a, p, *whole), 0)
                s_n, s_k = total(a, p, dim, tuple(prefix + s for s in STATUSES[:3]))
                put((a, p, dim, prefix + "waiting"), w_n - s_n, w_k - s_k)
                for name, parts in SUMS.items():
                    put((a, p, dim, prefix + name), *total(a, p, dim, tuple(prefix + s for s in parts)))
            for (a_dim, a_value), (b_dim, b_value) in SAME:
                d_n = n.get((a, p, a_dim, a_value), 0) - n.get((a, p, b_dim, b_value), 0)
                d_k = keys.get((a, p, a_dim, a_value), 0) - keys.get((a, p, b_dim, b_value), 0)
                put((a, p, "same_rest", _rest_name((a_dim, a_value), (b_dim, b_value))), abs(d_n),
                    d_k if d_n >= 0 else -d_k)
            f_n, f_k = total(a, p, "followup", ("met", "missed"))
            put((a, p, "followup", "other"), n.get((a, p, "followup", "all"), 0) - f_n,
                keys.get((a, p, "followup", "all"), 0) - f_k)


def series(values: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """Every (dimension, value) there is a cell of, in each area and period."""
    out = [("all", ""), MERGED, *(("followup", v) for v in ("all", "met", "missed", "other"))]
    out += [(d, v) for d in FULL for v in (*values[d], OTHERS)]
    out += [(d, v) for d in PARTIAL for v in (*values[d], COVERED, OTHERS)]
    out += [(d, v) for d in CONDITIONS for v in ("", OTHERS)]
    out += [("referral_rest", k) for k in PARTIAL["referral_kind"]]
    # Not the twins' differences ("same_rest"): the twins' own lines over months and places already tie them.
    out += [("team", t) for t in values["team"]]
    statuses = (*STATUSES, *SUMS)
    out += [("response", s) for s in statuses]
    out += [("team_response", f"{t}|{s}") for t in values["team"] for s in statuses]
    return out


def _structural(key: Key, n: dict[Key, int]) -> bool:
    """A part that cannot hold anyone (no case lacks an hour, every referred service of the directory has its
    kind): left out of its line when empty, since hiding it would hide a published neighbour for nothing."""
    return ((key[2] in FULL and key[3] == OTHERS) or key[2] in ("referral_rest", "same_rest")) and not n.get(key, 0)


def _lines(areas: list[str], year: str, months: list[str], weeks: list[str], values: dict[str, tuple[str, ...]],
           kinds: Mapping[str, str], n: dict[Key, int]) -> list[Line[Key]]:
    """Every relation between the cells: within an area and period, over the months, over the municipalities."""
    within: list[tuple[tuple[str, str], tuple[tuple[str, str], ...]]] = []
    every = ("all", "")
    for dim in FULL:
        within.append((every, (*((dim, v) for v in values[dim]), (dim, OTHERS))))
    for dim in PARTIAL:
        within.append(((dim, COVERED), tuple((dim, v) for v in values[dim])))
        within.append((every, ((dim, COVERED), (dim, OTHERS))))
    for dim in CONDITIONS:
        within.append((every, ((dim, ""), (dim, OTHERS))))
    for kind in PARTIAL["referral_kind"]:
        within.append((("referral_kind", kind), (*(("referral", s) for s in values["referral"] if kinds.get(s) == kind),
                                                ("referral_rest", kind))))
    within.append((every, tuple(("team", t) for t in values["team"])))
    for dim, whole, prefix in [("response", every, "")] + [("team_response", ("team", t), f"{t}|")
                                                          for t in values["team"]]:
        within.append((whole, tuple((dim, prefix + s) for s in STATUSES)))
        within += [((dim, prefix + name), tuple((dim, prefix + s) for s in parts)) for name, parts in SUMS.items()]
    for s in (*STATUSES, *SUMS):
        within.append((("response", s), tuple(("team_response", f"{t}|{s}") for t in values["team"])))
    within.append((("followup", "all"), tuple(("followup", v) for v in ("met", "missed", "other"))))
    # After hours is the time of contact outside office hours: the same cases as those four values.
    within.append((("after_hours", ""), tuple(("time", v) for v in ("evening", "night", "weekend", "holiday"))))
    lines: list[Line[Key]] = []
    for a in areas:
        for p in (year, *months):
            for (t_dim, t_value), parts in within:
                kept = tuple(k for k in ((a, p, d, v) for d, v in parts) if not _structural(k, n))
                lines.append(Line((a, p, t_dim, t_value), kept))
            for first, second in SAME:  # the larger of the two is the other and their difference
                one, other = (a, p, *first), (a, p, *second)
                big, small = (one, other) if n.get(one, 0) >= n.get(other, 0) else (other, one)
                rest = (a, p, "same_rest", _rest_name(first, second))
                lines.append(Line(big, (small,) if _structural(rest, n) else (small, rest)))
    municipalities = areas[1:]
    for d, v in series(values):
        lines += [Line((a, year, d, v), tuple((a, m, d, v) for m in months)) for a in areas]
        lines += [Line((REGION, p, d, v), tuple((m, p, d, v) for m in municipalities)) for p in (year, *months)]
    lines += [Line((REGION, w, "all", ""), tuple((m, w, "all", "") for m in municipalities)) for w in weeks]
    return lines


def parse(dim: str, value: str) -> object:
    """A cell's value as the tables key it (cells.parse; the weekday as a number)."""
    return int(value) if dim == "weekday" else cells.parse(dim, value)
