"""What intake's routes are given: the runtime typed with intake's settings, the rate limits, accepting a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from services.intake import service
from services.intake.models import Accepted, NewRequest
from services.intake.pickup_throttle import PickupThrottle
from services.intake.ratelimit import RateLimiter
from services.intake.service import Opener
from services.intake.settings import IntakeSettings
from shared.app import runtime_dependency_for, unit_of_work
from shared.http import client_address
from shared.runtime import ServiceRuntime

IntakeRuntime = ServiceRuntime[IntakeSettings]
IntakeRuntimeDep = Annotated[IntakeRuntime, Depends(runtime_dependency_for(IntakeSettings))]


@dataclass(frozen=True)
class Limiters:
    """Per-client limits: requests sent (and accessibility feedback), attempts to open a case, and wrong codes."""

    submit: RateLimiter
    status: RateLimiter
    pickup: PickupThrottle

    @classmethod
    def of(cls, settings: IntakeSettings) -> Limiters:
        """The limits ``settings`` name."""
        return cls(submit=RateLimiter(settings.submit_limit, settings.rate_window_s),
                   status=RateLimiter(settings.status_limit, settings.rate_window_s),
                   pickup=PickupThrottle(client_failures=settings.pickup_client_failures,
                                         client_window_s=settings.pickup_client_window_s,
                                         reference_failures=settings.pickup_reference_failures,
                                         reference_window_s=settings.pickup_reference_window_s))

    def opener(self, request: Request) -> Opener:
        """Who tries a reference and code in ``request``: counted once against the client's attempts."""
        self.status.hit(request, "status")
        return Opener(throttle=self.pickup, client=client_address(request))


async def limiters(request: Request) -> Limiters:
    """The app's limiters (``async`` so that FastAPI does not hand it to a worker thread)."""
    found: Limiters = request.app.state.limiters
    return found


LimitersDep = Annotated[Limiters, Depends(limiters)]


async def accept_within_limit(runtime: IntakeRuntime, limits: Limiters, request: Request, body: NewRequest,
                 received_at: datetime | None = None) -> tuple[Accepted, bool]:
    """The JSON API's and the form's way in: the client's rate limit, then the request stored.

    The connection is taken only for a request that passed validation and the limit, so that both are
    answered (422, 429, the form's errors) even while the database is away.
    """
    limits.submit.hit(request, "submit")
    async with unit_of_work(runtime) as uow:
        return await service.accept(uow=uow, request=body, regions=runtime.regions, settings=runtime.settings,
                                    received_at=received_at)
