"""What a family reads of its case on the status page: the promised date and the words both ways.

Sealed texts stay sealed in the projection; they are opened here with the case key, only when the
family looks. An erased key leaves the texts unreadable, and the view says so with ``None``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import structlog

from shared.db import Conn
from shared.errors import NotFound
from shared.places import place_of
from shared.sealing import Keyring, KeyUnavailable, Sealed, WrappedKey, unseal

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    from_staff: bool
    text: str | None  # None: the case's key is erased, or the item is a notice
    notice: str | None = None  # a notice of the staff's without words of their own: 'not_reached_notice'


@dataclass(frozen=True)
class StatusView:
    case_id: uuid.UUID
    reference: str
    region: str
    municipality: str
    language: str
    answer_due: date
    closed: bool
    feedback_given: bool
    timeline: list[TimelineItem]
    outcome: str | None = None
    referred_to: str | None = None
    last_answer_at: datetime | None = None
    callback: tuple[datetime, datetime] | None = None  # the window of the call staff have scheduled

    @property
    def has_reply(self) -> bool:
        # A notice that staff could not reach the family is no answer to them.
        return any(item.from_staff and item.notice is None for item in self.timeline)

    @property
    def answered(self) -> bool:
        """Staff answered the family, in writing or by a call that reached them."""
        return self.last_answer_at is not None or self.has_reply

    @property
    def waiting_since(self) -> datetime | None:
        """When the family wrote again after the last answer: the follow-up waits from then (None: it does not)."""
        if self.closed or self.last_answer_at is None:
            return None
        later = [item.at for item in self.timeline if not item.from_staff and item.at > self.last_answer_at]
        return min(later, default=None)


async def status_view(conn: Conn, case_id: uuid.UUID, keyring: Keyring) -> StatusView:
    """The case as its family sees it, texts opened with the case key (``None`` once erased)."""
    request = await conn.fetchrow(
        "SELECT r.reference, r.region, r.municipality, r.language, r.answer_due, k.kek_id, k.nonce, k.wrapped"
        " FROM requests r LEFT JOIN case_keys k USING (case_id) WHERE r.case_id = $1", case_id)
    if request is None:
        raise NotFound("no such case")
    state = await conn.fetchrow("SELECT closed, feedback_given, outcome, referred_to, last_answer_at"
                                " FROM family_case_state WHERE case_id = $1", case_id)
    # The projection's timeline, and the family's own messages it does not have yet (intake kept them when
    # they were sent), so that what a family just wrote is on the page at once.
    rows = await conn.fetch(
        "SELECT at, from_staff, sealed, event_id, sealed_in FROM family_timeline WHERE case_id = $1"
        " UNION ALL SELECT w.written_at, false, w.sealed, w.event_id, 'family.message_added' FROM family_writes w"
        " WHERE w.case_id = $1 AND w.kind = 'message' AND w.sealed IS NOT NULL AND NOT EXISTS"
        " (SELECT 1 FROM family_timeline t WHERE t.event_id = w.event_id) ORDER BY 1, 4", case_id)
    own_feedback = await conn.fetchval("SELECT true FROM family_writes WHERE case_id = $1 AND kind = 'feedback'",
                                       case_id)
    data_key = None
    if request["wrapped"] is not None:
        data_key = keyring.unwrap(WrappedKey(case_id=case_id, region=request["region"], kek_id=request["kek_id"],
                                              nonce=request["nonce"], wrapped=request["wrapped"]))
    timeline = [TimelineItem(at=r["at"], from_staff=r["from_staff"],
                             text=_open_text(data_key, case_id, r["sealed"], kind))
                for r, kind in zip(rows, _sealed_in(rows), strict=True)]
    timeline = sorted(timeline + await _notices(conn, case_id), key=lambda item: item.at)
    callback = await conn.fetchrow("SELECT starts_at, ends_at FROM family_callbacks WHERE case_id = $1", case_id)
    return StatusView(case_id=case_id, reference=request["reference"], region=request["region"],
                      municipality=request["municipality"], language=request["language"],
                      answer_due=request["answer_due"], closed=bool(state and state["closed"]),
                      feedback_given=bool(own_feedback or (state and state["feedback_given"])), timeline=timeline,
                      outcome=state["outcome"] if state else None, referred_to=state["referred_to"] if state else None,
                      last_answer_at=state["last_answer_at"] if state else None,
                      callback=(callback["starts_at"], callback["ends_at"]) if callback else None)


async def _notices(conn: Conn, case_id: uuid.UUID) -> list[TimelineItem]:
    rows = await conn.fetch("SELECT at, kind FROM family_notices WHERE case_id = $1 ORDER BY at, event_id", case_id)
    return [TimelineItem(at=r["at"], from_staff=True, text=None, notice=r["kind"]) for r in rows]


def _sealed_in(rows: list[Any]) -> list[str]:
    """The event type each row's text came in. A row projected before the type was kept is told by who wrote
    it, as intake's projection wrote them: staff, a reply; the family, its request first, then its messages."""
    kinds, family_before = [], False
    for r in rows:
        kind = r["sealed_in"] or ("reply.sent" if r["from_staff"] else
                                  "family.message_added" if family_before else "request.submitted")
        family_before = family_before or not r["from_staff"]
        kinds.append(kind)
    return kinds


def _open_text(data_key: bytes | None, case_id: uuid.UUID, sealed_json: str, sealed_in: str) -> str | None:
    """The text, if it opens as the sealed field of the event type it came in."""
    if data_key is None:
        return None
    try:
        value = unseal(data_key, case_id, Sealed.model_validate_json(sealed_json), place_of(sealed_in))
    except KeyUnavailable:
        # The key is at hand, so the text was sealed for another case or another event: never shown.
        log.warning("sealed.refused", case_id=str(case_id), event_type=sealed_in)
        return None
    if isinstance(value, dict):  # the request itself: its message, never its contact details
        value = value.get("message")
    return value if isinstance(value, str) else None
