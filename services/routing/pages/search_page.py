"""The queue page's search box: what was asked, and the search run for the page (see search_service).

A page forgives nothing silently here: a term of no searchable kind, a date it cannot read or a range the wrong
way round is shown back beside its field, in the page's language, saying what can be searched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from fastapi import Request

from services.routing import search, search_service
from services.routing.accounts import Account
from services.routing.settings import RoutingSettings
from shared.runtime import ServiceRuntime

if TYPE_CHECKING:
    from shared.app import UnitOfWork


@dataclass(frozen=True)
class Asked:
    """The search fields as typed (kept to show them back)."""

    q: str = ""
    received_from: str = ""
    received_to: str = ""

    @property
    def wanted(self) -> bool:
        return bool(self.q or self.received_from or self.received_to)


@dataclass(frozen=True)
class Searched:
    """What the page shows of a search: the cases found, or the problem (a catalog key) and its field."""

    asked: Asked
    found: search_service.Found | None = None
    error: str | None = None
    error_field: str | None = None


def asked(request: Request) -> Asked:
    q = request.query_params
    return Asked(q=q.get("q", "").strip()[:search.MAX_TERM + 1], received_from=q.get("received_from", "").strip(),
                 received_to=q.get("received_to", "").strip())


def _day(raw: str) -> date | None:
    """A date field's value (the browser's date input sends YYYY-MM-DD); ValueError when it is no date."""
    return date.fromisoformat(raw) if raw else None


async def run(asked: Asked, *, uow: UnitOfWork, account: Account, runtime: ServiceRuntime[RoutingSettings],
              filters: dict[str, Any], page: int, per_page: int) -> Searched:
    days: dict[str, date | None] = {}
    for name in ("received_from", "received_to"):
        try:
            days[name] = _day(getattr(asked, name))
        except ValueError:
            return Searched(asked, error="search_error_date", error_field=name)
    region = runtime.regions.by_id[account.region]
    wanted = search_service.Filters(municipality=filters["municipality"], topic=filters["topic"],
                                    team=filters["team"], mine=filters["mine"],
                                    status=None if filters["status"] == "all" else filters["status"])
    try:
        found = await search_service.search_cases(
            uow=uow, account=account, keyring=runtime.settings.keyring, country=region.country, day=region.working_day,
            topic_prefix=runtime.settings.topic_prefix, q=asked.q or None, received_from=days["received_from"],
            received_to=days["received_to"], filters=wanted, page=page, per_page=per_page)
    except search.TermRefused:
        return Searched(asked, error="search_error_term", error_field="q")
    except search.DatesRefused:
        return Searched(asked, error="search_error_dates_order", error_field="received_from")
    return Searched(asked, found=found)
