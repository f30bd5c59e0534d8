"""What a viewer chose to see: region, area and period; read from a query, told in words.

The pages, the API and the exports all take their filters from here, so the same query gives the same
tables, the same errors (unknown names 404, another region 403, bad values 422) and the same description.

The choices are a fixed, finite set of cells on purpose (docs/reporting.md, "What a manager can ask"): the area
is the whole region or exactly one municipality, the period a calendar year or a calendar month. When anyone
could pick any set of municipalities, any range of days or a topic, every different set of cases got a fresh
draw of the privacy noise, and averaging the differences of many overlapping sets gave a hidden count back.
With fixed cells the same question always covers the same cases, so it gets the same answer, and secondary
suppression (suppression.py) sees every cell a table can show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from services.reporting.auth import Viewer
from services.reporting.i18n import t
from shared.businessdays import HELSINKI
from shared.errors import Forbidden, InvalidCommand, NotFound
from shared.events import Topic
from shared.regions import Region, Regions

TOPICS: tuple[str, ...] = Topic.__args__  # type: ignore[attr-defined]
FIRST_YEAR = 2020  # before the service existed there is nothing to count
# Filters that no longer exist, and what to use instead (each a 422 naming the field).
REFUSED = {"since": "use period (a year like 2026 or a month like 2026-03) instead of since and until",
           "until": "use period (a year like 2026 or a month like 2026-03) instead of since and until",
           "topic": "the statistics are no longer filtered by topic; the topic tables show every topic"}


@dataclass(frozen=True)
class Filters:
    region: Region
    municipalities: tuple[str, ...]  # empty: the whole region; else exactly one municipality
    since: date
    until: date
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    month: int | None = None  # the period's month; None: the whole year (see parse_filters)

    @property
    def year(self) -> int:
        """The calendar year the period lies in (a period is a year or a month of one)."""
        return self.since.year

    @property
    def period(self) -> str:
        """The period as the query names it: ``2026`` or ``2026-03``."""
        return str(self.year) if self.month is None else f"{self.year}-{self.month:02d}"

    @property
    def municipality(self) -> str | None:
        """The one chosen municipality, or None for the whole region."""
        return self.municipalities[0] if self.municipalities else None

    def where(self, first: int = 1) -> tuple[str, list[Any]]:
        """The SQL condition on the facts (or the cells) and its arguments, from ``$first``."""
        n = first
        parts = [f"region = ${n}", f"local_date >= ${n + 1}", f"local_date <= ${n + 2}"]
        args: list[Any] = [self.region.id, self.since, self.until]
        n += 3
        if self.municipalities:
            parts.append(f"municipality = ANY(${n}::text[])")
            args.append(list(self.municipalities))
        return " AND ".join(parts), args

    @property
    def children(self) -> int | None:
        """The 0–17-year-olds of the chosen municipalities, if the region's configuration has them all."""
        chosen = [m for m in self.region.municipalities if not self.municipalities or m.id in self.municipalities]
        if any(m.population is None for m in chosen):
            return None
        return sum(m.population.children_0_17 for m in chosen if m.population is not None)


def today() -> date:
    """Today in Finland, where the statistics' days are counted."""
    return datetime.now(HELSINKI).date()


def period_days(year: int, month: int | None, day: date) -> tuple[date, date]:
    """The first and last day of a year or a month, the current one only up to ``day``."""
    first = date(year, month or 1, 1)
    last = date(year, 12, 31) if month is None else (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, min(last, day)


def _period(raw: str | None, day: date) -> tuple[int, int | None]:
    """A year (``2026``) or a month (``2026-03``), not before the service and not in the future."""
    if not raw:
        return day.year, None
    try:
        year, month = (int(raw), None) if len(raw) == 4 else (int(raw[:4]), int(raw[5:]))
        if len(raw) not in (4, 7) or (month is not None and (raw[4] != "-" or not 1 <= month <= 12)):
            raise ValueError(raw)
    except ValueError:
        raise InvalidCommand("period must be a year like 2026 or a month like 2026-03", field="period",
                             problem="not_a_period") from None
    if year < FIRST_YEAR or date(year, month or 1, 1) > day:
        raise InvalidCommand(f"period must be from {FIRST_YEAR} until now", field="period",
                             problem="period_out_of_range")
    return year, month


def parse_filters(params: QueryParams, regions: Regions, viewer: Viewer) -> Filters:
    """The filters of a page, API call or export; unknown names get 404, another region 403, bad values 422."""
    for name, why in REFUSED.items():
        if params.get(name):
            raise InvalidCommand(why, field=name, problem="topic_gone" if name == "topic" else "use_period")
    region_id = params.get("region") or viewer.region
    region = regions.by_id.get(region_id)
    if region is None:
        raise NotFound(f"unknown region '{region_id}'", region=region_id)
    if region.id != viewer.region:  # staff see their own region's statistics, never another's
        raise Forbidden(f"only the statistics of your own region ({viewer.region})", region=region_id)
    known = {m.id for m in region.municipalities}
    chosen = tuple(dict.fromkeys(m for m in params.getlist("municipality") if m))
    if len(chosen) > 1:
        raise InvalidCommand("choose the whole region or exactly one municipality", field="municipality",
                             problem="one_municipality")
    for mid in chosen:
        if mid not in known:
            raise NotFound(f"unknown municipality '{mid}' in region '{region.id}'", municipality=mid)
    year, month = _period(params.get("period"), today())
    since, until = period_days(year, month, today())
    return Filters(region=region, municipalities=chosen, since=since, until=until, month=month)


def periods(day: date) -> list[tuple[str, int, int | None]]:
    """The periods a viewer can choose, newest first: each year since the service began and its months."""
    out: list[tuple[str, int, int | None]] = []
    for year in range(day.year, FIRST_YEAR - 1, -1):
        out.append((str(year), year, None))
        out += [(f"{year}-{m:02d}", year, m) for m in range(12 if year < day.year else day.month, 0, -1)]
    return out


def period_choices(lang: str, day: date | None = None) -> list[tuple[int, list[tuple[str, str]]]]:
    """The periods of the filter form by year, newest first: the whole year, then its months."""
    out: dict[int, list[tuple[str, str]]] = {}
    for value, year, month in periods(day or today()):
        label = t("whole_year", lang, year=year) if month is None else f"{t(f'month_{month}', lang)} {year}"
        out.setdefault(year, []).append((value, label))
    return list(out.items())


def filter_query(f: Filters, lang: str) -> str:
    """The filters as a query string, for links and downloads that keep them."""
    pairs: list[tuple[str, str]] = [("region", f.region.id), ("period", f.period)]
    pairs += [("municipality", m) for m in f.municipalities]
    pairs.append(("lang", lang))
    return urlencode(pairs)


def topic_name(topic: str | None, lang: str) -> str:
    """A topic's name in ``lang``; ``None`` is "no topic"."""
    return t("topic_" + (topic or "none"), lang)


def describe(f: Filters, lang: str) -> str:
    """The filters in one sentence, as a page, an export and the API state them."""
    if not f.municipalities:
        places = t("whole_region", lang)
    else:
        places = ", ".join(f.region.municipality(m).name.get(lang) for m in f.municipalities)
    return t("filter_summary", lang, region=f.region.name.get(lang), municipalities=places,
             since=f.since.strftime("%d.%m.%Y"), until=f.until.strftime("%d.%m.%Y"))
