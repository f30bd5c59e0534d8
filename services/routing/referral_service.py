"""The receiving service's use cases behind its link: look at the referral, open it (a disclosure), answer it.

Hosted by routing, not intake: routing already holds what the page discloses (the case's key, the family's
contact, the sealed note), keeps the access log and decides every change of a case under its row lock, so an
answer is decided once. Intake is the family's own side and opens only their case for them, by their code; it
never gets the note. Routing's staff pages stay behind sign-in; these pages need the signed link instead.

Looking at the link (``peek``) shows only the service's name and the referral's state, so that a mail client's
link preview discloses nothing; opening it needs the reader's name and a press of a button, and is logged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.routing import referral_commands
from services.routing.domain import CaseState
from services.routing.referral_domain import Answer, ReferralState
from services.routing.referral_targets import ReferralTarget, find_target, referral_targets
from shared.app import UnitOfWork
from shared.db import Conn
from shared.errors import DomainError, NotFound
from shared.keys import data_key
from shared.places import place_of
from shared.referral_links import LinkRefused, ReferralLink, open_link
from shared.regions import Regions
from shared.sealing import Keyring, KeyUnavailable, Sealed, unseal
from shared.text import TextLine


class Reader(BaseModel):
    """Who at the service opens or answers the referral: the access log keeps it beside the service."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: TextLine = Field(min_length=2, max_length=100, description="the reader's name, as they give it")


class LinkNotValid(DomainError):
    """One answer for every refused link (altered, run out, another's, not yet known): it tells a guesser nothing."""

    status_code = 404
    code = "referral_link_not_valid"


class ReferralErased(DomainError):
    status_code = 410
    code = "referral_erased"


@dataclass(frozen=True)
class ReferralPage:
    """What the page shows: the service and the referral's state; the note and contact once it was opened."""

    link: ReferralLink
    referral: ReferralState
    service: ReferralTarget
    reference: str
    language: str
    others: list[ReferralTarget] = field(default_factory=list)  # for "better served elsewhere"
    note: str | None = None
    contact: dict[str, str] = field(default_factory=dict)


def _link(token: str, keyring: Keyring, now: datetime | None) -> ReferralLink:
    try:
        return open_link(keyring, token, now=now)
    except LinkRefused:
        raise LinkNotValid("the link is not valid or has run out; ask the regional team for a new one") from None


async def _page(conn: Conn, link: ReferralLink, regions: Regions) -> tuple[ReferralPage, CaseState]:
    row = await conn.fetchrow("SELECT state, reference, language FROM cases WHERE case_id = $1", link.case_id)
    if row is None or row["state"] is None:
        raise LinkNotValid("the link is not valid or has run out")
    state = CaseState.model_validate_json(row["state"])
    region = regions.by_id.get(state.region)
    try:
        referral = referral_commands.referral_of(state, link)
    except NotFound:
        raise LinkNotValid("the link is not valid or has run out") from None
    service = await find_target(conn, region, link.service_id) if region is not None else None
    if region is None or service is None:
        raise LinkNotValid("the link is not valid or has run out")
    others = [s for s in await referral_targets(conn, region) if s.id != service.id]
    return ReferralPage(link=link, referral=referral, service=service, reference=row["reference"],
                        language=row["language"], others=others), state


async def peek(*, conn: Conn, token: str, keyring: Keyring, regions: Regions,
               now: datetime | None = None) -> ReferralPage:
    """The referral's service and state, nothing of the family: what the link shows before it is opened."""
    page, _ = await _page(conn, _link(token, keyring, now), regions)
    return page


async def open_referral(*, uow: UnitOfWork, token: str, reader: Reader, keyring: Keyring, regions: Regions,
                        topic_prefix: str, now: datetime | None = None) -> ReferralPage:
    """The note and the family's contact, disclosed to the service and logged in the same transaction (at ``now``:
    the demo clock's time, or the clock's)."""
    link = _link(token, keyring, now)
    async with uow.transaction() as conn:
        page, state = await _page(conn, link, regions)
        if state.erased_at is not None:
            raise ReferralErased("the family's personal data is erased; nothing of the referral can be shown")
        key = await data_key(conn, link.case_id, keyring)
        if key is None:
            raise ReferralErased("the family's personal data is erased; nothing of the referral can be shown")
        note, contact = await _personal(conn, link, key)
        await referral_commands.record_disclosure(conn, link=link, region=state.region, person=reader.name,
                                                  action="referral_disclosed", topic_prefix=topic_prefix, at=now)
    return ReferralPage(**{**page.__dict__, "note": note, "contact": contact})


async def _personal(conn: Conn, link: ReferralLink, key: bytes) -> tuple[str | None, dict[str, str]]:
    """The referral's note and the family's contact details (the ways to reach them, their name if given)."""
    rows = await conn.fetch("SELECT type, data, sealed FROM case_timeline WHERE case_id = $1 AND sealed IS NOT NULL"
                            " AND (type IN ('request.submitted', 'request.recorded') OR (type = 'referral.sent'"
                            " AND data->>'referral_id' = $2)) ORDER BY at", link.case_id, str(link.referral_id))
    note, contact = None, {}
    for row in rows:
        try:
            opened = unseal(key, link.case_id, Sealed.model_validate_json(row["sealed"]), place_of(row["type"]))
        except (KeyUnavailable, ValueError):
            continue  # erased meanwhile, or moved there by whoever wrote to the stream: shown as nothing
        if row["type"] == "referral.sent" and isinstance(opened, str):
            note = opened
        elif isinstance(opened, dict):
            details = opened.get("contact") or {}
            contact = {k: str(v) for k, v in details.items()
                       if k in ("name", "phone", "email", "method", "call_times") and v not in (None, "")}
    return note, contact


async def answer_referral(*, uow: UnitOfWork, token: str, reader: Reader, answer: Answer, keyring: Keyring,
                          regions: Regions, topic_prefix: str, now: datetime | None = None
                          ) -> tuple[list[uuid.UUID], ReferralState]:
    """Accept, decline or report done; the events reach the case, the family's status page and the statistics.
    ``now`` (the demo clock's time) is when the link is checked and the answer happened; by default the clock's."""
    link = _link(token, keyring, now)
    async with uow.transaction() as conn:
        return await referral_commands.answer(conn, link=link, answer=answer, person=reader.name, regions=regions,
                                              topic_prefix=topic_prefix, at=now)
