"""Intake's JSON API: thin routes over :mod:`services.intake.commands` and :mod:`services.intake.family`."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, StringConstraints

from services.intake import family
from services.intake.commands import submit_request
from services.intake.models import MAX_MESSAGE, Accepted, NewRequest
from services.intake.ratelimit import RateLimiter
from shared.app import RuntimeDep
from shared.democlock import DemoTimeDep
from shared.openapi import errors
from shared.runtime import ServiceRuntime

router = APIRouter(prefix="/api/v1", tags=["requests"])

INVALID = "a field is missing or invalid (each one named in `fields`)"
UNAVAILABLE = "the database does not answer; retry after `Retry-After` seconds"
ERRORS = errors({
    404: "unknown municipality (named in the body)",
    413: "the body is over 64 KiB",
    422: INVALID,
    429: "too many requests from this client; retry after `Retry-After` seconds",
    503: UNAVAILABLE,
})
STATUS_ERRORS = errors({
    401: "the reference or the pick-up code does not match",
    413: "the body is over 64 KiB",
    422: INVALID,
    429: "too many wrong codes for this reference, or too many attempts from this client",
    503: UNAVAILABLE,
})


def limiter(request: Request, name: str) -> RateLimiter:
    limiters: dict[str, RateLimiter] = request.app.state.limiters
    return limiters[name]


@router.post("/requests", status_code=201, response_model=Accepted, summary="Send a request for help",
             responses={200: {"model": Accepted, "description": "the same submission_id was already accepted"},
                        **ERRORS})
async def post_request(body: NewRequest, runtime: RuntimeDep, request: Request, response: Response,
                       demo_at: DemoTimeDep) -> Accepted:
    """Store the request durably and promise an answer date; a retried submission returns the same case."""
    receipt, created = await accept(runtime, request, body, received_at=demo_at)
    if not created:
        response.status_code = 200
    return receipt


async def accept(runtime: ServiceRuntime[Any], request: Request, body: NewRequest,
                 received_at: datetime | None = None) -> tuple[Accepted, bool]:
    """Shared by the API and the HTML form: rate limit, store, wake the relay; now unless ``received_at``."""
    limiter(request, "submit").hit(request, "submit")
    assert runtime.pool is not None
    s = runtime.settings
    async with runtime.pool.acquire() as conn:
        receipt, created = await submit_request(conn=conn, request=body, regions=runtime.regions,
                                                kek=s.kek_bytes, kek_id=s.kek_id, topic_prefix=s.topic_prefix,
                                                now=received_at)
    if created and runtime.relay is not None:
        runtime.relay.wake()
    return receipt, created


@router.get("/municipalities", summary="The municipalities whose button this service answers")
async def municipalities(runtime: RuntimeDep) -> list[dict[str, object]]:
    return [
        {"id": m.id, "name": m.name.model_dump(exclude_none=True), "languages": m.languages, "region": r.id,
         "deadline_business_days": r.deadline.business_days}
        for r in runtime.regions for m in r.municipalities
    ]


Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=20)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=40)]


class StatusQuery(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"reference": "K7M4-2Q9X",
                                                        "pickup_code": "7HQ2M-XK4PD-9TRWA-3NVCE"}]}}

    reference: Reference
    pickup_code: Code


class TimelineEntry(BaseModel):
    at: datetime
    author: str = Field(description="'family' or 'staff'")
    text: str | None = Field(description="null when the case's personal data has been erased")


class CaseStatus(BaseModel):
    reference: str
    answer_due: date
    closed: bool
    feedback_given: bool
    timeline: list[TimelineEntry]


class NewFamilyMessage(StatusQuery):
    model_config = {"json_schema_extra": {"examples": [{
        "reference": "K7M4-2Q9X", "pickup_code": "7HQ2M-XK4PD-9TRWA-3NVCE",
        "message_id": "0b7d3c1e-5f1a-4e2b-9c8d-2a6f4e1b3c5d", "message": "Unohdin kertoa, että lapsi on 8-vuotias."}]}}

    message_id: uuid.UUID = Field(description="made by the client; a retried send carries the same id")
    message: Annotated[str, StringConstraints(min_length=1, max_length=MAX_MESSAGE)]


class Feedback(StatusQuery):
    model_config = {"json_schema_extra": {"examples": [{
        "reference": "K7M4-2Q9X", "pickup_code": "7HQ2M-XK4PD-9TRWA-3NVCE", "score": 5,
        "comment": "Saimme vastauksen jo seuraavana päivänä."}]}}

    score: int = Field(ge=1, le=5)
    comment: Annotated[str, StringConstraints(max_length=1000)] | None = None


async def signed_in_case(runtime: ServiceRuntime[Any], request: Request, query: StatusQuery) -> uuid.UUID:
    limiter(request, "status").hit(request, "status")
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        return await family.verify_pickup(conn, query.reference, query.pickup_code,
                                           key=family.pickup_key(runtime.settings.kek_bytes))


@router.post("/status", response_model=CaseStatus, tags=["status"], responses=STATUS_ERRORS,
             summary="Read the case with its reference and pick-up code")
async def read_status(query: StatusQuery, runtime: RuntimeDep, request: Request) -> CaseStatus:
    case_id = await signed_in_case(runtime, request, query)
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        view = await family.status_view(conn, case_id, runtime.settings.kek_bytes)
    return CaseStatus(reference=view.reference, answer_due=view.answer_due, closed=view.closed,
                      feedback_given=view.feedback_given,
                      timeline=[TimelineEntry(at=i.at, author="staff" if i.from_staff else "family", text=i.text)
                                for i in view.timeline])


@router.post("/status/messages", status_code=201, tags=["status"], responses={
    200: {"model": dict[str, str], "description": "this message_id was sent already: nothing new is added"},
    **STATUS_ERRORS, **errors({404: "the case's personal data is erased: it can no longer be written to",
                               409: "the case is closed"})}, summary="Add a message to the same case")
async def post_message(body: NewFamilyMessage, runtime: RuntimeDep, request: Request,
                       response: Response) -> dict[str, str]:
    case_id = await signed_in_case(runtime, request, body)
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        created = await family.add_message(conn, case_id=case_id, message_id=body.message_id, text=body.message,
                                           kek=runtime.settings.kek_bytes, topic_prefix=runtime.settings.topic_prefix)
    if created and runtime.relay is not None:
        runtime.relay.wake()
    response.status_code = 201 if created else 200
    return {"status": "sent" if created else "already_sent"}


@router.post("/status/feedback", status_code=201, tags=["status"], responses={**STATUS_ERRORS, **errors({
    404: "the case's personal data is erased: it can no longer be written to",
    409: "the case is not closed yet, or feedback was already given"})},
    summary="Answer how much this helped, once the case is closed")
async def post_feedback(body: Feedback, runtime: RuntimeDep, request: Request, demo_at: DemoTimeDep) -> dict[str, str]:
    case_id = await signed_in_case(runtime, request, body)
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        await family.give_feedback(conn, case_id=case_id, score=body.score, comment=body.comment or None,
                                   kek=runtime.settings.kek_bytes, topic_prefix=runtime.settings.topic_prefix,
                                   at=demo_at)
    if runtime.relay is not None:
        runtime.relay.wake()
    return {"status": "thank you"}
