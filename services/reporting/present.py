"""The tables as a reader meets them: numbers in their language, the data a chart draws, the report in words."""

from __future__ import annotations

import orjson
from babel.numbers import format_decimal

from services.reporting.filters import Filters, topic_name
from services.reporting.i18n import t
from services.reporting.model import Cell, Table
from services.reporting.privacy import SUPPRESSED
from shared.i18n import BABEL_LOCALE


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


def chart_data(table: Table) -> str | None:
    """What dashboard.js draws: the categories and the chart's series, hidden values as gaps."""
    if table.chart is None:
        return None
    keys = [c.key for c in table.columns]
    series = []
    for key in table.chart.series:
        i = keys.index(key)
        series.append({"label": table.columns[i].label,
                       "data": [row[i] if isinstance(row[i], int | float) else None for row in table.rows]})
    return orjson.dumps({"type": table.chart.type, "horizontal": table.chart.horizontal,
                         "stacked": table.chart.stacked, "labels": [str(row[0]) for row in table.rows],
                         "series": series}).decode().replace("<", "\\u003c")


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
