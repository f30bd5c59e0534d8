"""Submitting a request: stored, sealed and queued for the stream in one statement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import orjson
import structlog

from services.intake.family import hash_code, new_pickup_code, pickup_key, random_symbols
from services.intake.models import Accepted, NewRequest
from shared.businessdays import answer_due
from shared.codec import encode
from shared.db import Conn
from shared.events import RequestSubmitted, RequestSubmittedPayload, new_event
from shared.outbox import event_headers
from shared.regions import Regions
from shared.sealing import new_data_key, seal, wrap_key
from shared.topics import cases_topic, keys_topic

log = structlog.get_logger(__name__)

# No 0/O, 1/I/L, U: a reference read aloud over the phone stays unambiguous.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
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
    INSERT INTO outbox (topic, key, value, headers)
    SELECT o.topic, o.key, o.value, o.headers::jsonb
    FROM unnest($14::text[], $15::bytea[], $16::bytea[], $17::text[])
         WITH ORDINALITY AS o(topic, key, value, headers, n)
    WHERE EXISTS (SELECT 1 FROM request) ORDER BY o.n
)
SELECT * FROM request
"""


async def submit_request(
    *, conn: Conn, request: NewRequest, regions: Regions, kek: bytes, kek_id: str,
    topic_prefix: str, now: datetime | None = None,
) -> tuple[Accepted, bool]:
    """Store the request once per ``submission_id``; returns the receipt and whether it is new."""
    region, municipality = regions.region_of(request.municipality)
    pickup_code = new_pickup_code()
    received_at = now or datetime.now(UTC)
    due = answer_due(received_at, region.deadline.business_days)
    case_id = uuid.uuid4()
    data_key = new_data_key()
    wrapped = wrap_key(kek, kek_id, case_id, region.id, data_key)
    personal = seal(data_key, case_id, {"message": request.message,
                                        "contact": request.contact.model_dump(exclude_none=True)})
    code_hash = hash_code(pickup_code, pickup_key(kek))
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
        records = [(keys_topic(topic_prefix, region.id), str(case_id).encode(), wrapped.model_dump_json().encode(),
                    [("type", "case.key")]),
                   (cases_topic(topic_prefix, region.id), str(case_id).encode(), encode(event), event_headers(event))]
        row = await conn.fetchrow(
            SUBMIT_SQL, case_id, request.submission_id, reference, region.id, municipality.id, request.language,
            request.contact.method, due, received_at, wrapped.kek_id, wrapped.nonce, wrapped.wrapped, code_hash,
            [r[0] for r in records], [r[1] for r in records], [r[2] for r in records],
            [orjson.dumps(r[3]).decode() for r in records])
        if row is not None:
            break
        # Either the same submission was stored before (a retry, or a race with this one), or the reference
        # was taken: then try another.
        existing = await _by_submission(conn, request.submission_id)
        if existing is not None:
            return _receipt(existing, region.deadline.business_days), False
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
