"""Intake's use cases: accepting a request, opening a case with its pick-up code, more messages, feedback.

Keyword-only functions that know nothing of HTTP: the JSON API and the family's pages are adapters over
them, so a rule is applied in one place whichever door a family comes through. Writes go through a unit
of work, which wakes the outbox relay once what it must publish has committed.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import asyncpg
import orjson
import structlog

from services.intake.family import (
    FamilySession,
    WrongCode,
    hash_code,
    new_pickup_code,
    open_session,
    random_symbols,
    verify_pickup,
)
from services.intake.models import Accepted, NewRequest, contact_phone, windows_outside
from services.intake.pickup_secret import pickup_secret
from services.intake.pickup_throttle import PickupThrottle
from services.intake.queries import StatusView, status_view
from services.intake.settings import IntakeSettings
from shared.businessdays import answer_due
from shared.codec import encode
from shared.db import Conn
from shared.errors import Conflict, InvalidCommand, NotFound
from shared.events import (
    FamilyMessageAdded,
    FamilyMessageAddedPayload,
    FeedbackGiven,
    FeedbackGivenPayload,
    RequestSubmitted,
    RequestSubmittedPayload,
    new_event,
)
from shared.outbox import enqueue_event, event_headers
from shared.phones import EXPLANATIONS, PhoneRefused, Problem
from shared.places import sealed_place
from shared.references import REFERENCE_ALPHABET, normalise_reference
from shared.regions import Region, Regions
from shared.sealing import Keyring, WrappedKey, new_data_key, seal
from shared.topics import cases_topic, keys_topic
from shared.tracing import outgoing

if TYPE_CHECKING:  # the type only: the use cases do not depend on the web framework that shared.app serves
    from shared.app import UnitOfWork

log = structlog.get_logger(__name__)


def new_reference() -> str:
    """A random case reference such as ``K7M4-2Q9X``."""
    chars = random_symbols(REFERENCE_ALPHABET, 8)
    return f"{chars[:4]}-{chars[4:]}"


# The whole submission is one statement, so one round trip and one commit: the request, its wrapped
# key, the pick-up code's hash and the two outbox records (the key first, then the event), all or
# nothing. No row back means the submission id or the reference was taken.
SUBMIT_SQL = """
WITH request AS (
    INSERT INTO requests (case_id, submission_id, reference, region, municipality, language, contact_method,
                          answer_due, received_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING
    RETURNING case_id, reference, region, municipality, answer_due
), case_key AS (
    INSERT INTO case_keys (case_id, kek_id, nonce, wrapped) SELECT case_id, $10, $11, $12 FROM request
), code AS (
    INSERT INTO pickup_codes (case_id, code_hash) SELECT case_id, $13 FROM request
), queued AS (
    INSERT INTO outbox (topic, key, value, headers, traceparent, tracestate)
    SELECT o.topic, o.key, o.value, o.headers::jsonb, $18::text, $19::text
    FROM unnest($14::text[], $15::bytea[], $16::bytea[], $17::text[])
         WITH ORDINALITY AS o(topic, key, value, headers, n)
    WHERE EXISTS (SELECT 1 FROM request) ORDER BY o.n
)
SELECT * FROM request
"""


class CallWindowsNotOffered(InvalidCommand):
    """The request names a call window its region's form does not offer (another region's band, say)."""


class PhoneNotAccepted(InvalidCommand):
    """The family's number is not one the region texts or calls (``problem`` says why), or not one at all."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(EXPLANATIONS[problem], field="contact.phone", problem=problem)
        self.problem = problem


def _contact(request: NewRequest, region: Region) -> dict[str, object]:
    """The contact details as they are sealed: the number checked against the region's rule, in E.164."""
    try:
        phone = contact_phone(request.contact, region.contact.countries)
    except PhoneRefused as exc:
        raise PhoneNotAccepted(exc.problem) from None  # the problem only: the number is personal data
    contact = request.contact.model_dump(exclude_none=True)
    if phone is not None:
        contact["phone"] = phone
    return contact


async def accept(*, uow: UnitOfWork, request: NewRequest, regions: Regions, settings: IntakeSettings,
                 received_at: datetime | None = None) -> tuple[Accepted, bool]:
    """Store a request once per ``submission_id``, sealed and queued for the stream; the receipt and whether it is new.

    A retried submission (the same ``submission_id``) gets the receipt of the case it made, without the
    pick-up code, which is shown once. ``received_at`` is now unless the demo clock says otherwise.
    """
    region, municipality = regions.region_of(request.municipality)
    outside = windows_outside(request.contact.call_windows, region.callbacks.bands)
    if outside:
        # The bands, not the family's choices: an error's text may end up where personal data must not.
        bands = ", ".join(f"{a}-{b}" for a, b in region.callbacks.bands)
        raise CallWindowsNotOffered(f"{len(outside)} call window(s) outside the region's bands ({bands})",
                                    field="contact.call_windows")
    contact = _contact(request, region)
    pickup_code = new_pickup_code()
    received_at = received_at or datetime.now(UTC)
    due = answer_due(received_at, region.deadline.business_days)
    case_id = uuid.uuid4()
    data_key = new_data_key()
    wrapped = settings.keyring.wrap(case_id, region.id, data_key)
    personal = seal(data_key, case_id, {"message": request.message,
                                        "contact": contact},
                    sealed_place("request.submitted"))
    code_hash = hash_code(pickup_code, await pickup_secret(uow.conn, settings))
    while True:
        reference = new_reference()
        event = new_event(
            RequestSubmitted, case_id=case_id, region=region.id, municipality=municipality.id, actor="family",
            occurred_at=received_at,
            payload=RequestSubmittedPayload(
                submission_id=request.submission_id, reference=reference, language=request.language,
                requester_role=request.requester_role, topic=request.topic,
                child_age_group=request.child_age_group, contact_method=request.contact.method,
                answer_due=due, deadline_business_days=region.deadline.business_days, personal=personal,
            ),
        )
        # The key goes first: a consumer meets it before the event it opens.
        records = [(keys_topic(settings.topic_prefix, region.id), str(case_id).encode(),
                    wrapped.model_dump_json().encode(), [("type", "case.key")]),
                   (cases_topic(settings.topic_prefix, region.id), str(case_id).encode(), encode(event),
                    event_headers(event))]
        traceparent, tracestate = outgoing()
        row = await uow.conn.fetchrow(
            SUBMIT_SQL, case_id, request.submission_id, reference, region.id, municipality.id, request.language,
            request.contact.method, due, received_at, wrapped.kek_id, wrapped.nonce, wrapped.wrapped, code_hash,
            [r[0] for r in records], [r[1] for r in records], [r[2] for r in records],
            [orjson.dumps(r[3]).decode() for r in records], traceparent, tracestate)
        if row is not None:
            break
        # Either the same submission was stored before (a retry, or a race with this one), or the reference
        # was taken: then try another.
        existing = await _by_submission(uow.conn, request.submission_id)
        if existing is not None:
            return _receipt(existing, region.deadline.business_days), False
    uow.committed()  # one statement, committed by itself
    structlog.contextvars.bind_contextvars(case_id=str(case_id), event_id=str(event.event_id),
                                           correlation_id=str(event.correlation_id))
    log.info("request.accepted", region=region.id, municipality=municipality.id)
    receipt = _receipt(row, region.deadline.business_days)
    return receipt.model_copy(update={"pickup_code": pickup_code}), True


async def _by_submission(conn: Conn, submission_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT case_id, reference, region, municipality, answer_due FROM requests WHERE submission_id = $1",
        submission_id,
    )


def _receipt(row: asyncpg.Record, business_days: int) -> Accepted:
    return Accepted(case_id=row["case_id"], reference=row["reference"], region=row["region"],
                    municipality=row["municipality"], answer_due=row["answer_due"],
                    deadline_business_days=business_days)


@dataclass(frozen=True)
class Opener:
    """Who is trying a reference and code: the client's address and the throttle that counts its wrong codes."""

    throttle: PickupThrottle
    client: str


async def open_case(*, conn: Conn, reference: str, pickup_code: str, settings: IntakeSettings,
                    opener: Opener) -> uuid.UUID:
    """The case of ``reference`` if ``pickup_code`` is its code.

    A client that has guessed too much waits (429), whatever it types; a wrong code is counted against the
    client and the typed reference, real or not, and the reference itself is never locked.
    """
    typed = normalise_reference(reference)
    opener.throttle.check(opener.client, typed)
    try:
        case_id = await verify_pickup(conn, typed, pickup_code, key=await pickup_secret(conn, settings))
    except WrongCode:
        opener.throttle.failed(opener.client, typed)
        log.info("status.wrong_code")
        raise
    opener.throttle.succeeded(opener.client, typed)
    return case_id


async def sign_in(*, conn: Conn, reference: str, pickup_code: str, settings: IntakeSettings,
                  opener: Opener) -> tuple[str, FamilySession]:
    """A status-page session for whoever holds the reference and its code: the cookie's token and the session."""
    case_id = await open_case(conn=conn, reference=reference, pickup_code=pickup_code, settings=settings,
                              opener=opener)
    return await open_session(conn, case_id)


async def read_status(*, conn: Conn, case_id: uuid.UUID, settings: IntakeSettings,
                      now: datetime | None = None) -> StatusView:
    """What the family sees of its case: the promised date, the words both ways, whether it is closed, and the
    call staff will make, while its window has not passed (``now`` by default)."""
    view = await status_view(conn, case_id, settings.keyring)
    if view.callback is not None and view.callback[1] <= (now or datetime.now(UTC)):
        view = dataclasses.replace(view, callback=None)  # a call not made in time is no promise to show
    return view


@dataclass(frozen=True)
class ReceiptAgain:
    """The receipt as it was shown, for the one who holds its code: to read it in another language."""

    reference: str
    municipality: str
    answer_due: date
    anonymous: bool


async def receipt_again(*, conn: Conn, reference: str, pickup_code: str, settings: IntakeSettings,
                        opener: Opener) -> ReceiptAgain:
    """The receipt of ``reference`` again if ``pickup_code`` is its code (checked and counted like a sign-in)."""
    case_id = await open_case(conn=conn, reference=reference, pickup_code=pickup_code, settings=settings,
                              opener=opener)
    row = await conn.fetchrow("SELECT reference, municipality, answer_due, contact_method FROM requests"
                              " WHERE case_id = $1", case_id)
    if row is None:
        raise NotFound("this request is no longer kept")
    return ReceiptAgain(reference=row["reference"], municipality=row["municipality"], answer_due=row["answer_due"],
                        anonymous=row["contact_method"] == "anonymous")


async def _case_key(conn: Conn, case_id: uuid.UUID, keyring: Keyring) -> tuple[bytes, str, str]:
    row = await conn.fetchrow(
        "SELECT r.region, r.municipality, k.kek_id, k.nonce, k.wrapped FROM requests r JOIN case_keys k"
        " USING (case_id) WHERE r.case_id = $1", case_id)
    if row is None:
        raise NotFound("this case can no longer be written to")
    key = keyring.unwrap(WrappedKey(case_id=case_id, region=row["region"], kek_id=row["kek_id"],
                                     nonce=row["nonce"], wrapped=row["wrapped"]))
    return key, row["region"], row["municipality"]


async def add_message(*, uow: UnitOfWork, case_id: uuid.UUID, message_id: uuid.UUID, text: str,
                      settings: IntakeSettings) -> bool:
    """Queue FamilyMessageAdded once per ``message_id``; False when it was already sent."""
    async with uow.transaction() as conn:
        first = await conn.fetchval(
            "INSERT INTO family_writes (write_id, case_id, kind) VALUES ($1, $2, 'message')"
            " ON CONFLICT DO NOTHING RETURNING true", message_id, case_id)
        if not first:
            return False
        closed = await conn.fetchval("SELECT closed FROM family_case_state WHERE case_id = $1", case_id)
        await _refuse_joined(conn, case_id)
        if closed:
            raise Conflict("the case is closed; send a new request instead")
        key, region, municipality = await _case_key(conn, case_id, settings.keyring)
        event = new_event(FamilyMessageAdded, case_id=case_id, region=region, municipality=municipality,
                          actor="family", payload=FamilyMessageAddedPayload(
                              message_id=message_id,
                              message=seal(key, case_id, text, sealed_place("family.message_added"))))
        # Kept with the write so that the family sees it at once, before the projection has it.
        await conn.execute("UPDATE family_writes SET event_id = $2, sealed = $3::jsonb, written_at = $4"
                           " WHERE write_id = $1", message_id, event.event_id,
                           event.payload.message.model_dump_json(), event.occurred_at)
        await enqueue_event(conn, cases_topic(settings.topic_prefix, region), event)
    log.info("family.message_added", case_id=str(case_id), event_id=str(event.event_id))
    return True


class JoinedElsewhere(Conflict):
    """The request was closed as a duplicate: the family's matter continues in their other request.

    Nothing written here reaches the kept case: staff judged the two requests one matter, but if they were
    wrong (a parent and a grandparent writing about one child), moving these words into the other case
    would show them to whoever holds that case's code. So the family is told, kindly, to write there (or send
    a new request), and feedback is asked on the request that goes on.
    """

    code = "joined_with_another_request"


async def _refuse_joined(conn: Conn, case_id: uuid.UUID) -> None:
    if await conn.fetchval("SELECT closed AND outcome = 'duplicate' FROM family_case_state WHERE case_id = $1",
                           case_id):
        raise JoinedElsewhere("this request was joined with the family's other request: write there, with its"
                              " reference and pick-up code, or send a new request")


class FeedbackAlreadyGiven(Conflict):
    """A second answer to the feedback question: refused, and the family is told so."""


async def give_feedback(*, uow: UnitOfWork, case_id: uuid.UUID, score: int, comment: str | None,
                        settings: IntakeSettings, at: datetime | None = None) -> None:
    """Queue FeedbackGiven, once per closed case (given ``at``, now by default)."""
    async with uow.transaction() as conn:
        closed = await conn.fetchval("SELECT closed FROM family_case_state WHERE case_id = $1", case_id)
        await _refuse_joined(conn, case_id)
        if not closed:
            raise Conflict("feedback is asked once the case is closed")
        given = await conn.fetchval("SELECT feedback_given FROM family_case_state WHERE case_id = $1", case_id)
        if given:  # given before this intake kept its writes, or on a stream this one replayed
            raise FeedbackAlreadyGiven("feedback for this case was already given")
        first = await conn.fetchval(
            "INSERT INTO family_writes (write_id, case_id, kind) VALUES ($1, $2, 'feedback')"
            " ON CONFLICT DO NOTHING RETURNING true", uuid.uuid4(), case_id)
        if not first:
            raise FeedbackAlreadyGiven("feedback for this case was already given")
        key, region, municipality = await _case_key(conn, case_id, settings.keyring)
        event = new_event(FeedbackGiven, case_id=case_id, region=region, municipality=municipality, actor="family",
                          occurred_at=at,
                          payload=FeedbackGivenPayload(score=score,
                                                       comment=seal(key, case_id, comment,
                                                                    sealed_place("feedback.given"))
                                                       if comment else None))
        await enqueue_event(conn, cases_topic(settings.topic_prefix, region), event)
    log.info("family.feedback_given", case_id=str(case_id), event_id=str(event.event_id), score=score)
