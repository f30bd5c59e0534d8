"""Routing's JSON API for recording a contact that came by phone, in person or by letter; an adapter over
``recording_service``."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from services.routing import recording_service
from services.routing.recorded import RecordContact
from services.routing.web import RuntimeDep, SessionDep
from shared.app import UnitOfWorkDep
from shared.democlock import DemoTimeDep
from shared.openapi import errors

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])
AGAIN = "recorded before under this recording_id: the same case"


class RecordedOut(BaseModel):
    case_id: uuid.UUID
    reference: str = Field(description="tell it to the family: they name it when they get in touch again")
    answer_due: date = Field(description="the day the family is answered by, counted from the contact")


@router.post("", status_code=201, summary="Record a contact that came by phone, in person or by letter",
             description="A new case of your region on its stream (`request.recorded`), with the family's words and"
             " contact details sealed, the region's promised day counted from `contacted_at`, and the queue. A"
             " professional's recording is assigned to them. The same `recording_id` again returns the case it made"
             " (200).", responses={200: {"model": RecordedOut, "description": AGAIN}, **errors({
                 401: "no session: sign in first",
                 403: "your role does not record contacts; or the X-CSRF-Token header is missing or wrong",
                 409: "this recording_id is another person's recording", 413: "the body is over 64 KiB",
                 422: "a field is missing or invalid, the municipality is not of your region, or the contact's time"
                      " is in the future or over a month ago (each named in `fields` or `field`)"})})
async def record_contact(body: RecordContact, response: Response, session: SessionDep, uow: UnitOfWorkDep,
                         runtime: RuntimeDep, demo_at: DemoTimeDep) -> RecordedOut:
    done = await recording_service.record_contact(uow=uow, staff=session, command=body, regions=runtime.regions,
                                                  settings=runtime.settings, at=demo_at)
    if not done.new:
        response.status_code = 200
    return RecordedOut(case_id=done.case_id, reference=done.reference, answer_due=done.answer_due)
