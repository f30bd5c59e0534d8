"""The page a signed-in person gets where their role may not go: what it is, and where they can go instead."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from services.routing.pages.render import render
from services.routing.permissions import may_see_queue
from services.routing.web import NotForYourRole


async def not_for_your_role(request: Request, exc: Exception) -> Response:
    """403 with a page in the person's language that says why, never a silent redirect elsewhere."""
    assert isinstance(exc, NotForYourRole)
    account = exc.session.account
    return render(request, "forbidden.html", exc.session, 403, what=exc.what,
                  home="/queue" if may_see_queue(account) else "/")


def install(app: FastAPI) -> None:
    app.add_exception_handler(NotForYourRole, not_for_your_role)
