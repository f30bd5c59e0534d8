"""What a viewer chose to see: region, municipalities, period and topic; read from a query, told in words.

The pages, the API and the exports all take their filters from here, so the same query gives the same
tables, the same errors (unknown names 404, another region 403, bad values 422) and the same description.
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
MAX_PERIOD_DAYS = 10 * 366


@dataclass(frozen=True)
class Filters:
    region: Region
    municipalities: tuple[str, ...]  # empty: the whole region
    since: date
    until: date
    topic: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def where(self, first: int = 1, *, topic: bool = True) -> tuple[str, list[Any]]:
        """The SQL condition on the facts (or the cells: without ``topic``) and its arguments, from ``$first``."""
        n = first
        parts = [f"region = ${n}", f"local_date >= ${n + 1}", f"local_date <= ${n + 2}"]
        args: list[Any] = [self.region.id, self.since, self.until]
        n += 3
        if self.municipalities:
            parts.append(f"municipality = ANY(${n}::text[])")
            args.append(list(self.municipalities))
            n += 1
        if self.topic and topic:
            parts.append(f"topic = ${n}")
            args.append(self.topic)
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


def default_period(day: date) -> tuple[date, date]:
    """The last twelve months: from the first day of the month eleven months back until today."""
    first = day.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, day


def _date(params: QueryParams, name: str, default: date) -> date:
    raw = params.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidCommand(f"{name} must be a date like 2026-01-31", field=name, problem="not_a_date") from None


def parse_filters(params: QueryParams, regions: Regions, viewer: Viewer) -> Filters:
    """The filters of a page, API call or export; unknown names get 404, another region 403, bad values 422."""
    region_id = params.get("region") or viewer.region
    region = regions.by_id.get(region_id)
    if region is None:
        raise NotFound(f"unknown region '{region_id}'", region=region_id)
    if region.id != viewer.region:  # staff see their own region's statistics, never another's
        raise Forbidden(f"only the statistics of your own region ({viewer.region})", region=region_id)
    known = {m.id for m in region.municipalities}
    chosen = tuple(dict.fromkeys(m for m in params.getlist("municipality") if m))
    for mid in chosen:
        if mid not in known:
            raise NotFound(f"unknown municipality '{mid}' in region '{region.id}'", municipality=mid)
    first, last = default_period(today())
    since, until = _date(params, "since", first), _date(params, "until", last)
    if since > until:
        raise InvalidCommand("since must not be after until", field="since", problem="reversed")
    if (until - since).days > MAX_PERIOD_DAYS:
        raise InvalidCommand("a period can be at most ten years", field="until", problem="too_long")
    topic = params.get("topic") or None
    if topic is not None and topic not in TOPICS:
        raise InvalidCommand(f"topic must be one of {', '.join(TOPICS)}", field="topic", problem="unknown_topic")
    return Filters(region=region, municipalities=chosen, since=since, until=until, topic=topic)


def filter_query(f: Filters, lang: str) -> str:
    """The filters as a query string, for links and downloads that keep them."""
    pairs: list[tuple[str, str]] = [("region", f.region.id), ("since", f.since.isoformat()),
                                    ("until", f.until.isoformat())]
    pairs += [("municipality", m) for m in f.municipalities]
    if f.topic:
        pairs.append(("topic", f.topic))
    pairs.append(("lang", lang))
    return urlencode(pairs)


def topic_name(topic: str | None, lang: str) -> str:
    """A topic's name in ``lang``; ``None`` is "no topic"."""
    return t("topic_" + (topic or "none"), lang)


def describe(f: Filters, lang: str) -> str:
    """The filters in one sentence, as a page, an export and the API state them."""
    if not f.municipalities:
        places = t("whole_region", lang)
    elif len(f.municipalities) <= 3:
        places = ", ".join(f.region.municipality(m).name.get(lang) for m in f.municipalities)
    else:
        places = t("n_municipalities", lang, n=len(f.municipalities))
    topic = f", {topic_name(f.topic, lang)}" if f.topic else ""
    return t("filter_summary", lang, region=f.region.name.get(lang), municipalities=places,
             since=f.since.strftime("%d.%m.%Y"), until=f.until.strftime("%d.%m.%Y"), topic=topic)
