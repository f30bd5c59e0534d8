"""The staff form for a contact that came by phone, in person or by letter: it becomes a new case."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from services.routing import recording_service
from services.routing.accounts import StaffSession
from services.routing.i18n import t
from services.routing.pages.render import TOPICS, page_lang, render
from services.routing.recorded import RecordContact
from services.routing.web import QueuePage, RuntimeDep
from shared.app import UnitOfWorkDep
from shared.businessdays import HELSINKI
from shared.callbacks import in_helsinki
from shared.errors import Conflict, InvalidCommand
from shared.events import AgeGroup, Channel, ContactMethod, RequesterRole
from shared.http import same_token
from shared.i18n import LANG_NAMES, LANGS, pick_lang

router = APIRouter(include_in_schema=False)
CHANNELS: tuple[str, ...] = Channel.__args__  # type: ignore[attr-defined]
METHODS: tuple[str, ...] = ContactMethod.__args__  # type: ignore[attr-defined]
ROLES: tuple[str, ...] = RequesterRole.__args__  # type: ignore[attr-defined]
AGES: tuple[str, ...] = AgeGroup.__args__  # type: ignore[attr-defined]
# The form's fields that the model knows by other names (the contact's details are nested there).
CONTACT_FIELDS = ("method", "name", "phone", "email")
TEXT_FIELDS = ("channel", "municipality", "language", "requester_role", "topic", "child_age_group", "message",
               "day", "at", *CONTACT_FIELDS)
# A refused field is named by the label the form shows it with; the key of each, by the model's field.
LABELS = {"channel": "rec_field_channel", "contacted_at": "rec_field_when", "day": "rec_field_day",
          "at": "rec_field_time", "municipality": "col_municipality", "language": "rec_field_language",
          "requester_role": "col_requester", "topic": "field_topic", "child_age_group": "rec_field_age",
          "message": "rec_field_message", "contact": "rec_field_method", "method": "rec_field_method",
          "name": "contact_field_name", "phone": "contact_field_phone", "email": "contact_field_email",
          "receipt": "rec_field_receipt", "answered_in_contact": "rec_field_answered",
          "recording_id": "rec_field_form"}


class WhenInvalid(ValueError):
    """The contact's day or time is not one of the calendar or the clock."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def _when(day: str, at: str) -> datetime | None:
    """The contact's moment from the form's day and time (Helsinki); None when both are empty (now)."""
    if not day and not at:
        return None
    try:
        parsed_day = date.fromisoformat(day)
    except ValueError:
        raise WhenInvalid("day") from None
    try:
        parsed_at = time.fromisoformat(at) if at else time(0, 0)
    except ValueError:
        raise WhenInvalid("at") from None
    return in_helsinki(parsed_day, parsed_at)


def _field_of(loc: tuple[int | str, ...]) -> str:
    """The innermost named field of an error's location ("contact.phone" → "phone"); "form" for the whole."""
    names = [part for part in loc if isinstance(part, str)]
    return names[-1] if names else "form"


def recording_from_form(form: Mapping[str, Any]) -> RecordContact:
    """The recording a form asks for, checked by the same model as the API's body (ValidationError, WhenInvalid).

    A browser sends every field as text: an empty field is a missing one, a ticked box is "1".
    """
    fields = {k: str(form.get(k, "")).strip() for k in TEXT_FIELDS}
    arguments: dict[str, object] = {k: v for k, v in fields.items()
                                    if v and k not in (*CONTACT_FIELDS, "day", "at")}
    arguments["message"] = str(form.get("message", ""))  # the family's words as written, spaces and all
    arguments["contact"] = {k: fields[k] for k in CONTACT_FIELDS if fields[k]}
    arguments["contacted_at"] = _when(fields["day"], fields["at"])
    arguments["recording_id"] = str(form.get("recording_id", ""))
    for box in ("answered_in_contact", "receipt"):
        arguments[box] = form.get(box) == "1"
    return RecordContact.model_validate(arguments)


def _form_page(request: Request, session: StaffSession, runtime: RuntimeDep, lang: str, *, status: int = 200,
               kept: dict[str, str] | None = None, problems: list[str] | None = None) -> Response:
    region = runtime.regions.by_id[session.account.region]
    now = datetime.now(UTC).astimezone(HELSINKI)
    kept = kept or {"day": now.date().isoformat(), "at": now.strftime("%H:%M"), "channel": "phone",
                    "method": "phone", "language": lang}
    return render(request, "record_contact.html", session, status, lang=lang, active="queue", kept=kept,
                  problems=problems or [], recording_id=kept.get("recording_id") or str(uuid.uuid4()),
                  channels=CHANNELS, methods=METHODS, roles=ROLES, ages=AGES, topics=TOPICS,
                  languages=[(code, LANG_NAMES[code]) for code in LANGS], municipalities=region.municipalities)


@router.get("/contacts/new")
async def new_contact(request: Request, session: QueuePage, runtime: RuntimeDep) -> Response:
    return _form_page(request, session, runtime, page_lang(request, session))


@router.post("/contacts")
async def record_contact(request: Request, session: QueuePage, uow: UnitOfWorkDep, runtime: RuntimeDep) -> Response:
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [session.account.language])
    if not same_token(str(form.get("csrf", "")), session.csrf):
        return Response("CSRF check failed: reload the page and try again", status_code=403)
    # What the worker wrote stays in the form when it is refused: a phone call is not made twice.
    kept = {k: str(form.get(k, "")) for k in (*TEXT_FIELDS, "recording_id", "answered_in_contact", "receipt")}

    def refused(fields: list[str]) -> Response:
        labels = list(dict.fromkeys(t(LABELS.get(f, "rec_field_form"), lang) for f in fields))
        return _form_page(request, session, runtime, lang, status=422, kept=kept, problems=labels)

    try:
        command = recording_from_form(form)
        done = await recording_service.record_contact(uow=uow, staff=session, command=command,
                                                      regions=runtime.regions, settings=runtime.settings)
    except WhenInvalid as exc:
        return refused([exc.field])
    except ValidationError as exc:
        return refused([_field_of(e["loc"]) for e in exc.errors()])
    except (InvalidCommand, Conflict) as exc:  # Conflict: the form's recording id is someone else's
        return refused([str(exc.context.get("field", "form"))])
    return RedirectResponse(f"/cases/{done.case_id}?lang={lang}&done=1#notice", status_code=303)
