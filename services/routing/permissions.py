"""Who may see what (client data act 703/2023: access only with a client relationship or a task)."""

from __future__ import annotations

from typing import Literal

from services.routing.accounts import Account


def may_open_case(account: Account, *, region: str, assignee_kind: str | None, assignee_id: str | None,
                  team_id: str | None) -> bool:
    """Coordinators: every case of their region. Professionals: their own and their team's. Nobody else."""
    if account.region != region:
        return False
    if account.role == "coordinator":
        return True
    if account.role == "professional":
        mine = assignee_kind == "professional" and assignee_id == account.id
        return mine or (team_id is not None and team_id == account.team_id)
    return False


def may_see_queue(account: Account) -> bool:
    return account.role in ("coordinator", "professional")


def may_administer(account: Account) -> bool:
    return account.role == "admin"


def may_see_statistics(account: Account) -> bool:
    return account.role in ("manager", "coordinator", "admin")


def may_use_templates(account: Account) -> bool:
    """Reply templates are read by those who reply, and by those who keep them."""
    return account.role in ("coordinator", "professional", "admin")


def may_manage_templates(account: Account) -> bool:
    """Coordinators and admins keep the region's reply templates; professionals and managers do not."""
    return account.role in ("coordinator", "admin")


# The team's workload (workload.py): counts of open cases, never a family's data, and never across regions.
WorkloadView = Literal["region", "teams", "own_team"]


def workload_view(account: Account) -> WorkloadView | None:
    """How much of the region's workload a role sees.

    Coordinators assign, and admins keep the accounts: every team and every professional. A manager: per team
    only, since a professional's own count is performance data about a worker. A professional: their own team
    and themselves, the cases ``may_open_case`` already lets them open, and nothing of other teams.
    """
    views: dict[str, WorkloadView] = {"coordinator": "region", "admin": "region", "manager": "teams",
                                      "professional": "own_team"}
    return views.get(account.role)
