"""The read behind the team's workload: one grouped query over the region's open cases, its waiting calls and
its professionals, never a query per person or per team."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from services.routing.workload import CallGroup, CaseGroup, Person
from shared.db import Conn

# Each open case once, with the promise that stands now: a waiting follow-up's own day (as the queue counts
# it), else the first request's. "warned": the scheduler raised the deadline warning of that promise.
# Then four kinds of rows: cases grouped by who has them and where they stand, scheduled calls grouped by
# team and by who calls (the caller, else the case's professional), the people to name (every active
# professional of the region and anyone else who has an open case or a call), and the region's teams.
WORKLOAD = """
WITH open_cases AS (
  SELECT c.case_id, c.team_id,
         CASE WHEN c.assignee_kind = 'professional' THEN c.assignee_id END AS person,
         (c.first_response_at IS NULL OR c.awaiting_since IS NOT NULL) AS waiting,
         CASE WHEN c.awaiting_since IS NOT NULL AND c.followup_due IS NOT NULL
              THEN c.followup_due ELSE c.answer_due END AS due_day,
         CASE WHEN c.awaiting_since IS NOT NULL AND c.followup_due_at IS NOT NULL
              THEN c.followup_due_at ELSE c.due_at END AS due_at,
         EXISTS (SELECT 1 FROM deadline_alerts a WHERE a.case_id = c.case_id AND a.kind = 'warning'
                 AND a.followup = CASE WHEN c.awaiting_since IS NOT NULL THEN c.followups ELSE 0 END) AS warned
  FROM cases c WHERE c.region = $1 AND c.status <> 'closed'
), waiting_calls AS (
  SELECT o.team_id, coalesce(cb.caller, o.person) AS person
  FROM callbacks cb JOIN open_cases o ON o.case_id = cb.case_id
  WHERE cb.region = $1 AND cb.status = 'scheduled'
)
SELECT 'case' AS kind, team_id, person, NULL AS name, due_day, due_at, waiting, warned, count(*)::int AS n
  FROM open_cases GROUP BY team_id, person, due_day, due_at, waiting, warned
UNION ALL
SELECT 'call', team_id, person, NULL, NULL, NULL, NULL, NULL, count(*)::int
  FROM waiting_calls GROUP BY team_id, person
UNION ALL
SELECT 'person', a.team_id, a.id, a.display_name, NULL, NULL, NULL, NULL, 0
  FROM accounts a WHERE a.region = $1 AND ((a.role = 'professional' AND a.active)
       OR a.id IN (SELECT person FROM open_cases UNION SELECT person FROM waiting_calls))
UNION ALL
SELECT 'team', t.id, NULL, t.name::text, NULL, NULL, NULL, NULL, 0 FROM teams t WHERE t.region = $1
"""


@dataclass(frozen=True)
class WorkloadRows:
    teams: dict[str, dict[str, str]]  # the region's teams (those of ``teams add`` too), each name by language
    people: list[Person]
    cases: list[CaseGroup]
    calls: list[CallGroup]


async def workload_rows(conn: Conn, region: str) -> WorkloadRows:
    """The region's open cases, waiting calls, people and teams to name, grouped, in one query."""
    teams: dict[str, dict[str, str]] = {}
    people, cases, calls = [], [], []
    for r in await conn.fetch(WORKLOAD, region):
        if r["kind"] == "case":
            cases.append(CaseGroup(team_id=r["team_id"], person=r["person"], due_day=r["due_day"],
                                   due_at=r["due_at"], waiting=r["waiting"], warned=r["warned"], count=r["n"]))
        elif r["kind"] == "call":
            calls.append(CallGroup(team_id=r["team_id"], person=r["person"], count=r["n"]))
        elif r["kind"] == "team":
            teams[r["team_id"]] = orjson.loads(r["name"])
        else:
            people.append(Person(account_id=r["person"], name=r["name"], team_id=r["team_id"]))
    return WorkloadRows(teams=dict(sorted(teams.items())), people=people, cases=cases, calls=calls)
