"""The count tables of the overview and topics pages: how many families asked, when, how, and about what."""

from __future__ import annotations

from services.reporting.cube import MERGED
from services.reporting.filters import TOPICS, Filters, topic_name
from services.reporting.i18n import t
from services.reporting.labels import (
    chosen_municipalities,
    distribution,
    month_label,
    months,
    week_label,
    weeks,
)
from services.reporting.model import Cell, Chart, Column, Group, Table
from services.reporting.present import share_over
from services.reporting.privacy import enough, per_thousand, published, share, whole_percent_below
from services.reporting.response import response_cells, response_rows
from services.reporting.rollup import SHARES, area, cell, counts, cube_for, tally, whole
from shared.db import Conn
from shared.events import RequesterRole

ROLES: tuple[str, ...] = RequesterRole.__args__  # type: ignore[attr-defined]
TIMES = ("office", "evening", "night", "weekend", "holiday")
METHODS = ("phone", "sms", "email", "anonymous")
CHANNELS = ("button", "phone", "in_person", "letter")


# ---------------------------------------------------------------- overview


async def key_figures(conn: Conn, f: Filters, lang: str) -> Table:
    """The period in a few figures: contacts, their rate, shares, answers in time, the median wait, feedback."""
    found = (await tally(conn, f, "true", SHARES)).get(True, {})
    total, anonymous, after = (found.get(k, Group()) for k in ("all", "anonymous", "after"))
    response = response_cells((await response_rows(conn, f, "true", whole=True))[1])
    in_time, note = await _in_time_share(conn, f, response[4], lang)
    scores = await counts(conn, f, "feedback")
    feedback = await whole(conn, f, "feedback")
    # The mean with the scores' counts would be one more relation between them: shown only when every one of
    # them is published anyway.
    shown = not feedback.hidden and all(published(g.count) is not None for g in scores.values())
    mean = sum(score * g.n for score, g in scores.items()) / feedback.n if feedback.n and shown else None
    rows: list[list[Cell]] = [
        [t("fig_contacts", lang), total.count, None],
        [t("fig_per_1000", lang), per_thousand(total.count, f.children), None],
        [t("fig_anonymous", lang), anonymous.count, share(anonymous.count, total.count)],
        [t("fig_after_hours", lang), after.count, share(after.count, total.count)],
        [t("fig_in_time", lang), response[2], in_time],
        [t("fig_median_business", lang), response[5], None],
        [t("fig_feedback_mean", lang), round(mean, 1) if mean is not None and enough(feedback.n) else None, None],
        # Requests closed as duplicates of another: in none of the figures above (the request kept is), but a
        # count of their own, published by the same rules.
        [t("fig_merged", lang), (await cell(conn, f, (area(f), f.period, *MERGED))).count, None],
    ]
    return Table("key_figures", t("tbl_key_figures", lang),
                 (Column("figure", t("col_figure", lang), "label"), Column("value", t("col_value", lang), "number"),
                  Column("percent", t("col_percent", lang), "percent")), rows, note=note)


async def _in_time_share(conn: Conn, f: Filters, share: Cell, lang: str) -> tuple[Cell, str]:
    """The share answered by the promised day as published, or, when it is hidden, the least share the published
    cells allow ("over 98 %", bounds.py); and the note that says what the figure means."""
    note = t("note_in_time", lang)
    if share is not None:
        return share, note
    floor = (await cube_for(conn, f)).in_time.get((area(f), f.period))
    if floor is None or whole_percent_below(floor) < 1:
        return None, note
    legend = t("note_in_time_floor", lang)
    return share_over(whole_percent_below(floor), lang), f"{note} {legend}"


async def per_month(conn: Conn, f: Filters, lang: str) -> Table:
    """Contacts per month, with the anonymous and after-hours shares."""
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


async def per_week(conn: Conn, f: Filters, lang: str) -> Table:
    """Contacts per ISO week."""
    total = await counts(conn, f, "all", by=("week",))
    rows: list[list[Cell]] = [[week_label(w), total.get(w, Group()).count] for w in weeks(f)]
    return Table("per_week", t("tbl_per_week", lang),
                 (Column("week", t("col_week", lang), "label"), Column("contacts", t("col_contacts", lang), "count")),
                 rows, chart=Chart("line", ("contacts",)))


async def by_municipality(conn: Conn, f: Filters, lang: str) -> Table:
    """Contacts per chosen municipality, per 1,000 children, with the anonymous and after-hours shares."""
    found = await tally(conn, f, "municipality", SHARES)
    rows: list[list[Cell]] = []
    for mid in chosen_municipalities(f):
        m = f.region.municipality(mid)
        children = m.population.children_0_17 if m.population else None
        g = found.get(mid, {})
        n = g.get("all", Group()).count
        rows.append([m.name.get(lang), children, n, per_thousand(n, children),
                     share(g.get("anonymous", Group()).count, n), share(g.get("after", Group()).count, n)])
    together = (await tally(conn, f, "true", SHARES))[True]
    everyone, anon_all, after_all = (together.get(k, Group()) for k in ("all", "anonymous", "after"))
    total_row: list[Cell] = [t("all_chosen", lang), f.children, everyone.count,
                             per_thousand(everyone.count, f.children), share(anon_all.count, everyone.count),
                             share(after_all.count, everyone.count)]
    return Table("by_municipality", t("tbl_by_municipality", lang),
                 (Column("municipality", t("col_municipality", lang), "label"),
                  Column("children", t("col_children", lang), "number"),
                  Column("contacts", t("col_contacts", lang), "count"),
                  Column("per_1000", t("col_per_1000", lang), "rate"),
                  Column("anonymous", t("col_anonymous_pct", lang), "percent"),
                  Column("after_hours", t("col_after_hours_pct", lang), "percent")),
                 # Counts first: a rate alone makes a village of 8 requests look bigger than a city of 319.
                 rows, chart=Chart("bar", ("contacts", "per_1000"), horizontal=True, alternatives=True),
                 total=total_row,
                 note=t("note_children", lang))


def time_label(kind: str, f: Filters, lang: str) -> str:
    """'Office hours (weekdays 8–16)': the bands named with the region's own office hours."""
    hours = f.region.office_hours
    return t("time_" + kind, lang, opens=hours.opens_label, closes=hours.closes_label)


async def by_time(conn: Conn, f: Filters, lang: str) -> Table:
    """Contacts by time of contact (office hours, evening, night, weekend, holiday)."""
    return distribution("by_time", t("tbl_by_time", lang), t("col_time", lang), TIMES,
                        lambda k: time_label(k, f, lang), await counts(conn, f, "time"),
                        await whole(conn, f, "time"), lang)


async def by_hour(conn: Conn, f: Filters, lang: str) -> Table:
    """Contacts by the hour of the day they came."""
    return distribution("by_hour", t("tbl_by_hour", lang), t("col_hour", lang), range(24),
                        lambda h: f"{h:02d}–{(h + 1) % 24:02d}", await counts(conn, f, "hour"),
                        await whole(conn, f, "hour"), lang)


async def by_weekday(conn: Conn, f: Filters, lang: str) -> Table:
    """Contacts by day of the week."""
    return distribution("by_weekday", t("tbl_by_weekday", lang), t("col_weekday", lang), range(1, 8),
                        lambda d: t(f"weekday_{d}", lang), await counts(conn, f, "all", by=("weekday",)),
                        await whole(conn, f, "all"), lang)


async def by_role(conn: Conn, f: Filters, lang: str) -> Table:
    """Contacts by who asked (a parent, a child, …)."""
    return distribution("by_role", t("tbl_by_role", lang), t("col_role", lang), ROLES,
                        lambda r: t("role_" + r, lang), await counts(conn, f, "role"),
                        await whole(conn, f, "role"), lang, chart=False)


async def by_method(conn: Conn, f: Filters, lang: str) -> Table:
    """Contacts by how the family wished to be answered."""
    return distribution("by_method", t("tbl_by_method", lang), t("col_method", lang), METHODS,
                        lambda m: t("method_" + m, lang), await counts(conn, f, "method"),
                        await whole(conn, f, "method"), lang, chart=False)


async def by_channel(conn: Conn, f: Filters, lang: str) -> Table:
    """Contacts by how the family got in touch: the button, or by phone, in person or by letter (recorded by staff)."""
    return distribution("by_channel", t("tbl_by_channel", lang), t("col_channel", lang), CHANNELS,
                        lambda c: t("channel_" + c, lang), await counts(conn, f, "channel"),
                        await whole(conn, f, "channel"), lang, chart=False)


# ---------------------------------------------------------------- topics


async def topics(conn: Conn, f: Filters, lang: str) -> Table:
    """Contacts by topic: as the family chose it, as triage set it, and as it stands."""
    family = await counts(conn, f, "topic_family")
    triage = await counts(conn, f, "topic_triage")
    effective = await counts(conn, f, "topic")
    everyone = await whole(conn, f, "topic")
    rows: list[list[Cell]] = []
    for key in (*TOPICS, None):
        n = effective.get(key, Group()).count
        rows.append([topic_name(key, lang), family.get(key, Group()).count,
                     triage.get(key, Group()).count if key else None, n, share(n, everyone.count)])
    return Table("topics", t("tbl_topics", lang),
                 (Column("topic", t("col_topic", lang), "label"),
                  Column("family", t("col_topic_family", lang), "count"),
                  Column("triage", t("col_topic_triage", lang), "count"),
                  Column("contacts", t("col_topic_final", lang), "count"),
                  Column("percent", t("col_percent", lang), "percent")),
                 rows, chart=Chart("bar", ("family", "triage"), horizontal=True),
                 total=[t("total", lang), everyone.count, None, everyone.count, None], note=t("note_topics", lang))


async def topics_by_month(conn: Conn, f: Filters, lang: str) -> Table:
    """Contacts per month and topic."""
    by_month = await counts(conn, f, "topic", by=("month", "value"))
    found = {(month, topic or "none"): g for (month, topic), g in by_month.items()}
    keys = [*TOPICS, "none"]
    rows: list[list[Cell]] = [[month_label(m, lang), *(found.get((m, k), Group()).count for k in keys)]
                              for m in months(f)]
    return Table("topics_by_month", t("tbl_topics_by_month", lang),
                 (Column("month", t("col_month", lang), "label"),
                  *(Column(k, topic_name(None if k == "none" else k, lang), "count") for k in keys)),
                 rows, chart=Chart("line", tuple(keys)), note=t("note_seasons", lang))
