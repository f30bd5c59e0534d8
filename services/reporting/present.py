"""The tables as a reader meets them: numbers in their language, the data a chart draws, the report in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from babel.numbers import format_decimal, format_percent

from services.reporting.filters import Filters, topic_name
from services.reporting.i18n import t
from services.reporting.model import Cell, Table
from services.reporting.privacy import SUPPRESSED
from shared.i18n import BABEL_LOCALE, short_datetime


def fmt(value: Cell, kind: str, lang: str) -> str:
    """A cell as text in the reader's language: a hidden count ("x") stays, a hidden share or median is a dash."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    locale = BABEL_LOCALE.get(lang, "fi_FI")
    if kind in ("percent", "rate", "hours", "score") or isinstance(value, float):
        return str(format_decimal(value, format="#,##0.0", locale=locale))
    return str(format_decimal(value, format="#,##0", locale=locale))


def share_over(percent: int, lang: str) -> str:
    """A lower bound of a share: "yli 98 %", "över 98 %", "over 98%" (the whole percent in the reader's style)."""
    whole = format_percent(percent / 100, locale=BABEL_LOCALE.get(lang, "fi_FI"))
    return t("share_over", lang, percent=whole)


def as_of_text(moment: datetime, lang: str) -> str:
    """When the figures' data was read, in the reader's language and Helsinki time."""
    return t("data_as_of", lang, moment=short_datetime(moment, lang))


@dataclass(frozen=True)
class ChartView:
    """A table's chart as the page shows it: drawn, or a sentence saying why not; what it plots, in words."""

    drawn: bool
    reason: str | None  # why there is no chart, when there is none
    spec: str  # the JSON dashboard.js draws
    choices: list[tuple[str, str]]  # for alternatives: each series' label and the caption that says what is plotted
    initial: int  # the series drawn first (of alternatives: the first with any figure to show)
    caption: str


def _axis(kind: str, lang: str) -> str:
    return t(f"axis_{kind}", lang)


def chart_view(table: Table, lang: str) -> ChartView | None:
    """What dashboard.js draws: categories, series (hidden values as gaps), axis titles with their units.

    A chart whose every value is hidden (each count under 5, or none at all) would be an empty grid: a
    sentence says why instead.
    """
    if table.chart is None:
        return None
    keys = [c.key for c in table.columns]
    series, numeric = [], []
    for key in table.chart.series:
        i = keys.index(key)
        column = table.columns[i]
        data = [row[i] if isinstance(row[i], int | float) else None for row in table.rows]
        numeric.append(any(v is not None for v in data))
        series.append({"label": column.label, "data": data, "axis": _axis(column.kind, lang),
                       "caption": t("chart_plots", lang, what=column.label, unit=_axis(column.kind, lang))})
    initial = numeric.index(True) if table.chart.alternatives and any(numeric) else 0
    spec = orjson.dumps({"type": table.chart.type, "horizontal": table.chart.horizontal,
                         "stacked": table.chart.stacked, "alternatives": table.chart.alternatives,
                         "initial": initial, "category_title": table.columns[0].label,
                         "labels": [str(row[0]) for row in table.rows], "series": series}).decode()
    if table.chart.alternatives:
        caption = str(series[initial]["caption"])
    else:
        what = ", ".join(str(s["label"]) for s in series)
        caption = t("chart_plots", lang, what=what, unit=str(series[0]["axis"]))
    return ChartView(drawn=any(numeric), reason=None if any(numeric) else t("chart_all_hidden", lang),
                     spec=spec.replace("<", "\\u003c"),
                     choices=[(str(s["label"]), str(s["caption"])) for s in series] if table.chart.alternatives
                     else [], initial=initial, caption=caption)


def _value(table: Table | None, row: int, column: str) -> Cell:
    if table is None or row >= len(table.rows):
        return None
    keys = [c.key for c in table.columns]
    return table.rows[row][keys.index(column)]


def _pct(value: Cell, lang: str) -> str | None:
    return fmt(value, "percent", lang) if isinstance(value, int | float) else None


def report_sentences(tables: dict[str, Table], f: Filters, lang: str) -> list[str]:
    """The pilot report in words: each sentence only where its numbers may be shown."""
    key = tables["key_figures"]
    places = ", ".join(f.region.municipality(m).name.get(lang) for m in f.municipalities) or \
        f"{f.region.name.get(lang)} ({t('whole_region', lang)})"
    out = [t("report_scope", lang, municipalities=places)]
    contacts, rate = _value(key, 0, "value"), _value(key, 1, "value")
    if not isinstance(contacts, int):
        return [*out, t("report_few", lang)]
    n = fmt(contacts, "count", lang)
    out.append(t("report_contacts", lang, n=n, rate=fmt(rate, "rate", lang)) if isinstance(rate, float)
               else t("report_contacts_no_rate", lang, n=n))
    anon, after = _pct(_value(key, 2, "percent"), lang), _pct(_value(key, 3, "percent"), lang)
    if anon and after:
        out.append(t("report_when", lang, anon=anon, after=after))
    topics = tables.get("topics")
    if topics is not None:
        ranked = sorted((row for row in topics.rows if isinstance(row[3], int) and row[0] != topic_name(None, lang)),
                        key=lambda row: -int(row[3] or 0))[:3]
        if ranked:
            named = [f"{str(row[0]).lower()} ({_pct(row[4], lang) or SUPPRESSED} %)" if lang != "en"
                     else f"{str(row[0]).lower()} ({_pct(row[4], lang) or SUPPRESSED}%)" for row in ranked]
            joined = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} {t('list_and', lang)} {named[-1]}"
            out.append(t("report_topics", lang, topics=joined))
    met, hours = _pct(_value(key, 4, "percent"), lang), _value(key, 5, "value")
    if met and isinstance(hours, float):
        out.append(t("report_in_time", lang, met=met, hours=fmt(hours, "hours", lang)))
    outcomes = tables.get("outcomes")
    if outcomes is not None:
        enough, referred = _pct(_value(outcomes, 0, "percent"), lang), _pct(_value(outcomes, 1, "percent"), lang)
        if enough and referred:
            out.append(t("report_outcomes", lang, enough=enough, referred=referred))
    mean = _value(key, 6, "value")
    if isinstance(mean, float):
        out.append(t("report_feedback", lang, mean=fmt(mean, "score", lang)))
    return out
