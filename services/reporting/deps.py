"""What reporting's routes are given: its typed runtime and the viewer signed in through routing's pass."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.reporting.auth import COOKIE, NotSignedIn, Viewer, find_viewer, pass_url
from services.reporting.settings import ReportingSettings
from shared.app import SignedIn, get_runtime, runtime_dependency_for
from shared.runtime import ServiceRuntime

RuntimeDep = Annotated[ServiceRuntime[ReportingSettings], Depends(runtime_dependency_for(ReportingSettings))]


def _staff_url(request: Request) -> str:
    settings: ReportingSettings = get_runtime(request).settings  # the app was made with reporting's settings
    return settings.staff_url


def _back_here(request: Request) -> str:
    """Routing's pass, to come back to the page asked for, query and all."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return pass_url(_staff_url(request), target)


def _not_signed_in(request: Request) -> NotSignedIn:
    return NotSignedIn("sign in through the staff pages first", sign_in=pass_url(_staff_url(request), "/"))


# Reporting keeps no passwords: a page without a session sends the browser to routing for a pass.
SIGNED_IN = SignedIn(cookie=COOKIE, lookup=find_viewer, not_signed_in=_not_signed_in, sign_in_at=_back_here)
ViewerDep = Annotated[Viewer, Depends(SIGNED_IN.api)]
PageViewerDep = Annotated[Viewer, Depends(SIGNED_IN.page())]
MaybeViewerDep = Annotated[Viewer | None, Depends(SIGNED_IN.optional)]
