"""The receiving service's side of a referral: its disclosures in the access log, its answers on the case stream.

An answer is decided like a staff command: under the case's row lock on the command side (repository.py), so two
people at the service answering at once never both succeed, and a resent form finds the referral answered (409).
A decline of a case already closed reopens it, so the case is back in its worker's queue with the reason.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import structlog
from pydantic import BaseModel

from services.routing import repository
from services.routing.domain import CaseState, evolve
from services.routing.referral_domain import Answer, DeclineReferral, ReferralState, decide_answer, find
from services.routing.referral_targets import find_target
from shared.db import Conn
from shared.errors import NotFound
from shared.event_base import EventBase
from shared.events import CaseReopened, CaseReopenedPayload, new_event
from shared.outbox import enqueue, enqueue_event
from shared.referral_links import ReferralLink
from shared.regions import Regions
from shared.topics import audit_topic, cases_topic

log = structlog.get_logger(__name__)
ROLE = "receiving_service"


def referral_of(state: CaseState, link: ReferralLink) -> ReferralState:
    """The referral a valid link names, on the case it names, sent to the service it names; NotFound otherwise.

    The link's signature already holds; this refuses a link whose referral the case does not have (yet)."""
    referral = find(state.referrals, link.referral_id)
    if referral is None or referral.service_id != link.service_id or not referral.electronic:
        raise NotFound("no such referral")
    return referral


async def record_disclosure(conn: Conn, *, link: ReferralLink, region: str, person: str, action: str,
                            topic_prefix: str, at: datetime | None = None) -> None:
    """One access-log row and one audit record: which service, who there (as they gave their name), when (now, or
    the demo clock's ``at``), what.

    The person's name stays in routing's access log; the audit stream gets the service and the referral only."""
    at = at or datetime.now(UTC)
    account = f"service:{link.service_id}"
    await conn.execute("INSERT INTO access_log (at, account_id, role, region, case_id, action, disclosed_to,"
                       " disclosed_person, referral_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                       at, account, ROLE, region, link.case_id, action, link.service_id, person, link.referral_id)
    record = {"type": "disclosure.recorded", "at": at.isoformat(), "account_id": account, "role": ROLE,
              "region": region, "case_id": str(link.case_id), "action": action, "disclosed_to": link.service_id,
              "referral_id": str(link.referral_id)}
    await enqueue(conn, audit_topic(topic_prefix, region), str(link.case_id).encode(), orjson.dumps(record),
                  [("type", "disclosure.recorded")])


async def answer(conn: Conn, *, link: ReferralLink, answer: Answer, person: str, regions: Regions,
                 topic_prefix: str, at: datetime | None = None) -> tuple[list[uuid.UUID], ReferralState]:
    """Decide the service's answer, queue its events and log who answered; returns the events and the referral."""
    async with conn.transaction():
        state, version = await repository.load_locked(conn, link.case_id)
        region = regions.by_id.get(state.region)
        if region is None:
            raise NotFound("no such referral")
        referral_of(state, link)
        better = answer.better_service_id if isinstance(answer, DeclineReferral) else None
        known = better is not None and await find_target(conn, region, better) is not None
        event_cls, payload = decide_answer(find(state.referrals, link.referral_id), answer,
                                           erased=state.erased_at is not None, known_service=lambda _: known)
        decided: list[tuple[type[EventBase], BaseModel]] = [(event_cls, payload)]
        if isinstance(answer, DeclineReferral) and state.closed:
            decided.append((CaseReopened, CaseReopenedPayload()))
        correlation, ids = uuid.uuid4(), []
        for cls, body in decided:
            event = new_event(cls, case_id=link.case_id, region=state.region, municipality=state.municipality,
                              actor=f"service:{link.service_id}", payload=body, correlation_id=correlation,
                              occurred_at=at)
            state = evolve(state, event)
            await enqueue_event(conn, cases_topic(topic_prefix, state.region), event)
            ids.append(event.event_id)
        await repository.save(conn, case_id=link.case_id, version=version + 1, state=state, event_ids=ids)
        await record_disclosure(conn, link=link, region=state.region, person=person,
                                action=f"referral_{answer.answer}", topic_prefix=topic_prefix, at=at)
    log.info("referral.answered", case_id=str(link.case_id), referral_id=str(link.referral_id),
             answer=answer.answer, service_id=link.service_id)
    referral = find(state.referrals, link.referral_id)
    assert referral is not None  # found above, under the lock
    return ids, referral
