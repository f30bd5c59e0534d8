"""Reads of a case's links for its page and the API: the other cases' references and states, nothing personal."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

from services.routing.accounts import Account
from services.routing.domain import CaseState
from services.routing.permissions import may_open_case
from shared.db import Conn

Relation = Literal["duplicate_of", "duplicate", "related"]


class LinkedCase(BaseModel):
    """Another case linked to this one, as the case page lists it."""

    case_id: uuid.UUID
    reference: str
    relation: Relation = Field(description="'duplicate_of': this case is a duplicate of it; 'duplicate': it is a"
                                           " duplicate of this case; 'related'")
    status: str
    outcome: str | None
    may_open: bool = Field(description="whether the person reading may open it (else no link to it is given)")


def links_of(state: CaseState) -> list[tuple[uuid.UUID, Relation]]:
    """The cases linked to ``state``'s case, in the order the page lists them: the kept case first."""
    found: list[tuple[uuid.UUID, Relation]] = [(state.duplicate_of, "duplicate_of")] if state.duplicate_of else []
    found += [(c, "duplicate") for c in state.duplicates]
    found += [(c, "related") for c in state.related]
    return found


async def linked_cases(conn: Conn, account: Account, state: CaseState) -> list[LinkedCase]:
    """The cases linked to the case of ``state``, with their references and states as the projection has them."""
    wanted = links_of(state)
    if not wanted:
        return []
    rows = {r["case_id"]: r for r in await conn.fetch(
        "SELECT case_id, reference, status, outcome, region, assignee_kind, assignee_id, team_id FROM cases"
        " WHERE case_id = ANY($1::uuid[]) AND region = $2", [c for c, _ in wanted], state.region)}
    return [LinkedCase(case_id=c, reference=r["reference"], relation=relation, status=r["status"],
                       outcome=r["outcome"],
                       may_open=may_open_case(account, region=r["region"], assignee_kind=r["assignee_kind"],
                                              assignee_id=r["assignee_id"], team_id=r["team_id"]))
            for c, relation in wanted if (r := rows.get(c)) is not None]


async def references(conn: Conn, region: str, case_ids: Iterable[uuid.UUID]) -> dict[str, str]:
    """The references of ``case_ids`` of the region, by case id as text (for the timeline's link events)."""
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        return {}
    return {str(r["case_id"]): r["reference"] for r in await conn.fetch(
        "SELECT case_id, reference FROM cases WHERE case_id = ANY($1::uuid[]) AND region = $2", ids, region)}
