"""The team's workload, pure: where a group of cases stands, the counts per team and per person, what each
role sees of them, and the people table's order."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from services.routing.accounts import Account
from services.routing.permissions import workload_view
from services.routing.workload import (
    CallGroup,
    CaseGroup,
    Person,
    PersonLoad,
    Workload,
    sort_people,
    standing,
    tally,
    view_of,
)
from shared.businessdays import HELSINKI, end_of_day_utc

MONDAY, TUESDAY, WEDNESDAY = date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9)
TEN = datetime.combine(TUESDAY, time(10), HELSINKI)  # six working hours left of Tuesday
TEAMS = ["family-work", "family-guidance"]
PEOPLE = [Person("sanna", "Sanna", "family-work"), Person("ville", "Ville", "family-work"),
          Person("maija", "Maija", "family-guidance"), Person("olli", "Olli", "family-guidance")]


def group(team: str | None, person: str | None, due: date, *, waiting: bool = True, warned: bool = False,
          count: int = 1) -> CaseGroup:
    return CaseGroup(team_id=team, person=person, due_day=due, due_at=end_of_day_utc(due), waiting=waiting,
                     warned=warned, count=count)


@pytest.mark.parametrize(("due", "now_hour", "waiting", "warned", "expected"), [
    (TUESDAY, 10, True, False, "ok"),  # six working hours left
    (TUESDAY, 12, True, False, "at_risk"),  # four left: the queue's "at risk"
    (TUESDAY, 10, True, True, "at_risk"),  # the scheduler warned (a region may warn earlier)
    (MONDAY, 10, True, True, "overdue"),  # past the day: overdue, warned or not
    (MONDAY, 10, False, True, "ok"),  # answered: nothing owed, however late
    (WEDNESDAY, 15, True, False, "ok"),  # a day and an hour left
])
def test_where_a_group_stands(due: date, now_hour: int, waiting: bool, warned: bool, expected: str) -> None:
    now = datetime.combine(TUESDAY, time(now_hour), HELSINKI)
    assert standing(group("family-work", None, due, waiting=waiting, warned=warned), now) == expected


def region_counts() -> Workload:
    cases = [group("family-work", "sanna", TUESDAY, count=3), group("family-work", "sanna", MONDAY, count=2),
             group("family-work", "ville", TUESDAY, warned=True), group("family-work", None, WEDNESDAY, count=4),
             group("family-guidance", "maija", MONDAY, waiting=False, count=5), group(None, None, MONDAY),
             group("team-added-later", None, TUESDAY, warned=True)]
    calls = [CallGroup("family-work", "sanna", 2), CallGroup("family-work", None, 1),
             CallGroup("family-guidance", "olli", 1)]
    return tally(region="varsinais-suomi", teams=TEAMS, people=PEOPLE, cases=cases, calls=calls, now=TEN)


def test_counts_per_team_and_person_add_up_to_the_region() -> None:
    found = region_counts()
    teams = {t.team_id: (t.open, t.unassigned, t.at_risk, t.overdue, t.callbacks) for t in found.teams}
    assert [t.team_id for t in found.teams] == ["family-work", "family-guidance", "team-added-later", None]
    assert teams == {"family-work": (10, 4, 1, 2, 3), "family-guidance": (5, 0, 0, 0, 1),
                     "team-added-later": (1, 1, 1, 0, 0), None: (1, 1, 0, 1, 0)}
    people = {p.account_id: (p.team_id, p.open, p.at_risk, p.overdue, p.callbacks) for p in found.people}
    assert people == {"sanna": ("family-work", 5, 0, 2, 2), "ville": ("family-work", 1, 1, 0, 0),
                      "maija": ("family-guidance", 5, 0, 0, 0), "olli": ("family-guidance", 0, 0, 0, 1)}
    total = found.total
    assert total is not None
    assert (total.open, total.unassigned, total.at_risk, total.overdue, total.callbacks) == (17, 6, 2, 3, 4)
    assert [p.name for p in found.people] == ["Maija", "Olli", "Sanna", "Ville"]


def test_an_empty_region_still_lists_its_teams_people_and_the_row_without_a_team() -> None:
    found = tally(region="varsinais-suomi", teams=TEAMS, people=PEOPLE, cases=[], calls=[], now=TEN)
    assert [t.team_id for t in found.teams] == [*TEAMS, None]
    assert all(t.open == t.callbacks == 0 for t in found.teams) and len(found.people) == 4


def test_an_assignee_no_longer_listed_is_still_counted_by_id() -> None:
    found = tally(region="varsinais-suomi", teams=TEAMS, people=[], cases=[group("family-work", "left", TUESDAY)],
                  calls=[], now=TEN)
    assert [(p.account_id, p.name, p.open) for p in found.people] == [("left", "left", 1)]


def account(role: str, team: str | None = None) -> Account:
    return Account(id=f"{role}-1", username=f"{role}-1", display_name=role.title(), role=role,  # type: ignore[arg-type]
                   region="varsinais-suomi", team_id=team, language="fi")


def test_who_sees_what() -> None:
    found = region_counts()
    assert workload_view(account("coordinator")) == workload_view(account("admin")) == "region"
    coordinator = view_of(found, view="region", account_id="coordinator-1", team_id=None)
    assert coordinator == found and len(coordinator.people) == 4
    manager = view_of(found, view=workload_view(account("manager")) or "region", account_id="manager-1", team_id=None)
    assert manager.view == "teams" and manager.people == [] and manager.teams == found.teams
    assert "Sanna" not in manager.model_dump_json()
    own = view_of(found, view=workload_view(account("professional")) or "region", account_id="ville",
                  team_id="family-work")
    assert own.view == "own_team" and own.total is None
    assert [t.team_id for t in own.teams] == ["family-work"] and [p.account_id for p in own.people] == ["ville"]
    teamless = view_of(found, view="own_team", account_id="nobody", team_id=None)
    assert teamless.teams == [] and teamless.people == []


def test_people_sort_by_any_column_ties_by_name() -> None:
    rows = (("a", "Aino", "y", 2, 0), ("b", "bertta", "x", 5, 1), ("c", "Cecilia", "x", 2, 1))
    people = [PersonLoad(account_id=i, name=n, team_id=team, open=o, overdue=d) for i, n, team, o, d in rows]
    assert [p.name for p in sort_people(people)] == ["Aino", "bertta", "Cecilia"]
    assert [p.name for p in sort_people(people, "name", descending=True)] == ["Cecilia", "bertta", "Aino"]
    assert [p.name for p in sort_people(people, "open", descending=True)] == ["bertta", "Aino", "Cecilia"]
    assert [p.name for p in sort_people(people, "open")] == ["Aino", "Cecilia", "bertta"]
    assert [p.name for p in sort_people(people, "overdue", descending=True)] == ["bertta", "Cecilia", "Aino"]
    names = {"x": "Öster", "y": "Alpha"}.get
    assert [p.name for p in sort_people(people, "team", team_name=lambda t: names(t or "") or "")] == [
        "Aino", "bertta", "Cecilia"]
    assert [p.name for p in sort_people(people, "team")] == ["bertta", "Cecilia", "Aino"]
