"""Intake's JSON API: thin routes over :mod:`services.intake.service`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError

from services.intake import service
from services.intake.deps import IntakeRuntimeDep, Limiters, LimitersDep, accept_within_limit
from services.intake.i18n import t
from services.intake.models import (
    Accepted,
    CallbackSlot,
    CaseStatus,
    Feedback,
    NewFamilyMessage,
    NewRequest,
    StatusQuery,
    TimelineEntry,
)
from services.intake.queries import TimelineItem
from services.intake.settings import IntakeSettings
from shared.app import ConnDep, UnitOfWorkDep
from shared.db import Conn
from shared.democlock import DemoTimeDep
from shared.openapi import errors

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
    401: "the reference or the pick-up code does not match (the same answer whether the reference exists or not)",
    413: "the body is over 64 KiB",
    422: INVALID,
    429: "too many wrong codes or attempts from this client; retry after `Retry-After` seconds (a reference is "
         "never locked: the right code from a client that has not guessed always opens it)",
    503: UNAVAILABLE,
})


@router.post("/requests", status_code=201, response_model=Accepted, summary="Send a request for help",
             responses={200: {"model": Accepted, "description": "the same submission_id was already accepted"},
                        **ERRORS})
async def post_request(body: NewRequest, runtime: IntakeRuntimeDep, limits: LimitersDep, request: Request,
                       response: Response, demo_at: DemoTimeDep) -> Accepted:
    """Store the request durably and promise an answer date; a retried submission returns the same case."""
    try:
        receipt, created = await accept_within_limit(runtime, limits, request, body, received_at=demo_at)
    except service.CallWindowsNotOffered as exc:  # the region's rule, answered like the model's own rules
        raise RequestValidationError([{"type": "value_error", "loc": ("body", "contact", "call_windows"),
                                       "msg": exc.detail}]) from exc
    except service.PhoneNotAccepted as exc:  # the region's countries, so not the model's rule
        raise RequestValidationError([{"type": "value_error", "loc": ("body", "contact", "phone"),
                                       "msg": exc.detail}]) from exc
    if not created:
        response.status_code = 200
    return receipt


@router.get("/municipalities", summary="The municipalities whose button this service answers")
async def municipalities(runtime: IntakeRuntimeDep) -> list[dict[str, object]]:
    return [
        {"id": m.id, "name": m.name.model_dump(exclude_none=True), "languages": m.languages, "region": r.id,
         "deadline_business_days": r.deadline.business_days}
        for r in runtime.regions for m in r.municipalities
    ]


async def _case_of(conn: Conn, limits: Limiters, request: Request, query: StatusQuery,
                   settings: IntakeSettings) -> uuid.UUID:
    return await service.open_case(conn=conn, reference=query.reference, pickup_code=query.pickup_code,
                                   settings=settings, opener=limits.opener(request))


@router.post("/status", response_model=CaseStatus, tags=["status"], responses=STATUS_ERRORS,
             summary="Read the case with its reference and pick-up code")
async def read_status(query: StatusQuery, conn: ConnDep, runtime: IntakeRuntimeDep, limits: LimitersDep,
                      request: Request) -> CaseStatus:
    case_id = await _case_of(conn, limits, request, query, runtime.settings)
    view = await service.read_status(conn=conn, case_id=case_id, settings=runtime.settings)
    callback = CallbackSlot(starts_at=view.callback[0], ends_at=view.callback[1]) if view.callback else None
    return CaseStatus(reference=view.reference, answer_due=view.answer_due, closed=view.closed,
                      feedback_given=view.feedback_given, outcome=view.outcome if view.closed else None,
                      referred_to=view.referred_to if view.closed else None, callback=callback,
                      timeline=[_entry(i, view.language) for i in view.timeline])


def _entry(item: TimelineItem, lang: str) -> TimelineEntry:
    """A timeline item for the API: a notice carries its text in the case's language, as the family reads it."""
    if item.notice == "not_reached_notice":  # the one kind of notice there is
        return TimelineEntry(at=item.at, author="staff", text=t("not_reached_notice_text", lang),
                             kind="not_reached_notice")
    return TimelineEntry(at=item.at, author="staff" if item.from_staff else "family", text=item.text)


@router.post("/status/messages", status_code=201, tags=["status"], responses={
    200: {"model": dict[str, str], "description": "this message_id was sent already: nothing new is added"},
    **STATUS_ERRORS, **errors({404: "the case's personal data is erased: it can no longer be written to",
                               409: "the case is closed (`joined_with_another_request`: closed as a duplicate;"
                                    " the family writes in their other request)"})},
    summary="Add a message to the same case")
async def post_message(body: NewFamilyMessage, uow: UnitOfWorkDep, runtime: IntakeRuntimeDep, limits: LimitersDep,
                       request: Request, response: Response) -> dict[str, str]:
    case_id = await _case_of(uow.conn, limits, request, body, runtime.settings)
    created = await service.add_message(uow=uow, case_id=case_id, message_id=body.message_id, text=body.message,
                                        settings=runtime.settings)
    response.status_code = 201 if created else 200
    return {"status": "sent" if created else "already_sent"}


@router.post("/status/feedback", status_code=201, tags=["status"], responses={**STATUS_ERRORS, **errors({
    404: "the case's personal data is erased: it can no longer be written to",
    409: "the case is not closed yet, feedback was already given, or it was closed as a duplicate of the family's"
         " other request (`joined_with_another_request`: feedback is asked there)"})},
    summary="Answer how much this helped, once the case is closed")
async def post_feedback(body: Feedback, uow: UnitOfWorkDep, runtime: IntakeRuntimeDep, limits: LimitersDep,
                        request: Request, demo_at: DemoTimeDep) -> dict[str, str]:
    case_id = await _case_of(uow.conn, limits, request, body, runtime.settings)
    await service.give_feedback(uow=uow, case_id=case_id, score=body.score, comment=body.comment or None,
                                settings=runtime.settings, at=demo_at)
    return {"status": "thank you"}
