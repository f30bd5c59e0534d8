"""The team's workload, pure: open cases, those at risk and overdue, and calls waiting, per team and per person.

Counts only, never a family's data. ``tally`` turns the rows of one grouped read (``workload_queries``) into
the counts; ``view_of`` cuts them to what a role sees; ``sort_people`` orders the per-person table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.routing.permissions import WorkloadView
from shared.businessdays import DEFAULT_DAY, WorkingDay

SortKey = Literal["name", "team", "open", "at_risk", "overdue", "callbacks"]
SORT_KEYS: tuple[SortKey, ...] = ("name", "team", "open", "at_risk", "overdue", "callbacks")
COUNTS = ("open", "at_risk", "overdue", "callbacks")


class Load(BaseModel):
    open: int = Field(0, description="open cases")
    at_risk: int = Field(0, description="open cases waiting for staff whose deadline warning was raised or whose"
                                        " promised day ends within the region's warning time (working hours)")
    overdue: int = Field(0, description="open cases waiting for staff past the end of their promised day")
    callbacks: int = Field(0, description="calls to families scheduled and not yet tried, moved or cancelled")


class TeamLoad(Load):
    team_id: str | None = Field(description="null: the cases no team has yet")
    unassigned: int = Field(0, description="open cases of the team that no professional has")


class PersonLoad(Load):
    account_id: str
    name: str
    team_id: str | None


class RegionLoad(Load):
    unassigned: int = Field(0, description="open cases that no professional has")


class Workload(BaseModel):
    """What the person asking may see of the region's workload."""

    region: str
    counted_at: datetime
    view: WorkloadView = Field(description="region: every team and person; teams: per team only (no names of"
                                   " professionals); own_team: the asker's team and the asker")
    teams: list[TeamLoad]
    people: list[PersonLoad]
    total: RegionLoad | None = Field(description="the whole region; null for a professional")


@dataclass(frozen=True)
class CaseGroup:
    """Open cases alike in who has them and where they stand with their promise (one row of the read)."""

    team_id: str | None
    person: str | None  # the professional who has them; None when only a team (or nobody) has them
    due_day: date
    due_at: datetime
    waiting: bool  # never answered, or the family wrote again and waits
    warned: bool  # a deadline warning was raised for the promise that stands now
    count: int


@dataclass(frozen=True)
class CallGroup:
    team_id: str | None  # the case's team
    person: str | None  # who calls: the caller, else the case's professional
    count: int


@dataclass(frozen=True)
class Person:
    account_id: str
    name: str
    team_id: str | None


def standing(group: CaseGroup, now: datetime, day: WorkingDay = DEFAULT_DAY) -> Literal["overdue", "at_risk", "ok"]:
    """Where a group of cases stands: overdue and at risk as the queue marks them (in the region's working ``day``),
    or warned by the scheduler."""
    if not group.waiting:
        return "ok"
    if now >= group.due_at:
        return "overdue"
    if group.warned or day.hours_left(now, group.due_day) <= day.warning_hours:
        return "at_risk"
    return "ok"


def _add(load: Load, counts: dict[str, int]) -> None:
    for key, n in counts.items():
        setattr(load, key, getattr(load, key) + n)


def tally(*, region: str, teams: list[str], people: list[Person], cases: list[CaseGroup], calls: list[CallGroup],
          now: datetime, day: WorkingDay = DEFAULT_DAY) -> Workload:
    """The whole region's counts: every team of ``teams`` (and any other a case has), the cases without a team,
    and every person of ``people``, zeros included, so an idle worker shows as idle."""
    by_team: dict[str | None, TeamLoad] = {tid: TeamLoad(team_id=tid) for tid in teams}
    by_person = {p.account_id: PersonLoad(account_id=p.account_id, name=p.name, team_id=p.team_id) for p in people}
    total = RegionLoad()
    for g in cases:
        where = standing(g, now, day)
        counts = {"open": g.count, "at_risk": g.count if where == "at_risk" else 0,
                  "overdue": g.count if where == "overdue" else 0}
        team = by_team.setdefault(g.team_id, TeamLoad(team_id=g.team_id))
        _add(team, counts)
        _add(total, counts)
        if g.person is None:
            team.unassigned += g.count
            total.unassigned += g.count
        else:
            _add(by_person.setdefault(g.person, PersonLoad(account_id=g.person, name=g.person, team_id=g.team_id)),
                 counts)
    for c in calls:
        by_team.setdefault(c.team_id, TeamLoad(team_id=c.team_id)).callbacks += c.count
        total.callbacks += c.count
        if c.person is not None:
            by_person.setdefault(c.person, PersonLoad(account_id=c.person, name=c.person,
                                                      team_id=c.team_id)).callbacks += c.count
    by_team.setdefault(None, TeamLoad(team_id=None))  # the cases no team has yet: a row even when there are none
    ordered = [by_team[tid] for tid in teams] + sorted(
        (load for tid, load in by_team.items() if tid is not None and tid not in teams), key=lambda t: t.team_id or "")
    return Workload(region=region, counted_at=now, view="region", teams=[*ordered, by_team[None]],
                    people=sort_people(list(by_person.values())), total=total)


def view_of(workload: Workload, *, view: WorkloadView, account_id: str, team_id: str | None) -> Workload:
    """What one view shows of the region's counts (``permissions.workload_view`` says whose is which)."""
    if view == "teams":
        return workload.model_copy(update={"view": view, "people": []})
    if view == "own_team":
        teams = [t for t in workload.teams if team_id is not None and t.team_id == team_id]
        people = [p for p in workload.people if p.account_id == account_id]
        return workload.model_copy(update={"view": view, "teams": teams, "people": people, "total": None})
    return workload


def sort_people(people: list[PersonLoad], key: SortKey = "name", descending: bool = False,
                team_name: Callable[[str | None], str] | None = None) -> list[PersonLoad]:
    """The per-person table in the order asked for; ties by name, so the order is the same on every load.

    Teams sort by ``team_name`` (the page's language) when given, else by id.
    """
    by_name = sorted(people, key=lambda p: (p.name.casefold(), p.account_id))
    if key == "name":
        return by_name[::-1] if descending else by_name
    if key == "team":
        label = team_name or (lambda tid: tid or "")
        return sorted(by_name, key=lambda p: label(p.team_id).casefold(), reverse=descending)
    return sorted(by_name, key=lambda p: int(getattr(p, key)), reverse=descending)
