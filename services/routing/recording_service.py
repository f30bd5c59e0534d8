"""Recording a contact that came by phone, in person or by letter: the use case, free of HTTP.

The API (``api_contacts``) and the staff form (``pages/contacts``) are adapters over :func:`record_contact`:
who may record, in which region, and that the person who recorded sees the case at once are decided here.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from services.routing import repository
from services.routing.accounts import StaffSession
from services.routing.permissions import may_see_queue
from services.routing.recorded import RecordContact
from services.routing.recording import Recorded, record
from services.routing.settings import RoutingSettings
from shared.db import Conn
from shared.errors import Forbidden
from shared.regions import Regions

if TYPE_CHECKING:
    from shared.app import UnitOfWork

# How long a recording waits for routing's projection to show the new case and its key (100 × 0.03 s).
PROJECTION_CHECKS, PROJECTION_PAUSE_S = 100, 0.03


async def shown(conn: Conn, done: Recorded) -> bool:
    """Whether the projection shows the recorded case, its events and its key: its page opens whole."""
    if not await repository.projected(conn, done.event_ids):
        return False
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM case_keys WHERE case_id = $1)", done.case_id))


async def record_contact(*, uow: UnitOfWork, staff: StaffSession, command: RecordContact, regions: Regions,
                         settings: RoutingSettings, at: datetime | None = None) -> Recorded:
    """A coordinator or professional records a contact as a new case of their own region.

    ``at`` is when it is recorded (the demo clock); now by default. Returns once the projection shows the case
    (or after a short wait), so the page that follows finds it.
    """
    if not may_see_queue(staff.account):
        raise Forbidden("your role does not record contacts")
    region = regions.by_id[staff.account.region]
    async with uow.transaction() as conn:
        done = await record(conn, account=staff.account, command=command, region=region, keyring=settings.keyring,
                            topic_prefix=settings.topic_prefix, now=at or datetime.now(UTC))
    for _ in range(PROJECTION_CHECKS):
        if await shown(uow.conn, done):
            break
        await asyncio.sleep(PROJECTION_PAUSE_S)
    return done
