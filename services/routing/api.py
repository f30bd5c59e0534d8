"""Routing's JSON API: the queue, a case, and the staff's commands; a thin adapter over ``service``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from services.routing import link_queries, queries, search, search_service, service
from services.routing.decisions import CommandName
from services.routing.link_commands import UnknownReference
from services.routing.referral_domain import ReferralState
from services.routing.service import SignIn
from services.routing.web import CsrfFailed, RuntimeDep, SessionDep, ThrottleDep, set_session_cookie
from shared.app import UnitOfWorkDep
from shared.democlock import DemoTimeDep
from shared.events import ErasureReason
from shared.http import client_address, cross_site
from shared.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["cases"])
NOT_SIGNED_IN = "no session: sign in first"
NO_CSRF = "the X-CSRF-Token header is missing or wrong"
INVALID = "a parameter or field is missing or invalid (each one named in `fields`)"
BODY_TOO_LARGE = "the body is over 64 KiB"


class SignedIn(BaseModel):
    account_id: str
    role: str
    region: str
    csrf_token: str = Field(description="send it back in the X-CSRF-Token header of every POST")


@router.post("/session", tags=["session"], responses=errors({
    401: "wrong username or password", 403: "sent from another site's page", 413: BODY_TOO_LARGE, 422: INVALID,
    429: "too many failed sign-ins from this address (Retry-After)"}))
async def sign_in(body: SignIn, request: Request, runtime: RuntimeDep, throttle: ThrottleDep,
                  response: Response) -> SignedIn:
    """Sign in with a local account; the session cookie is HttpOnly and SameSite."""
    if cross_site(request):
        raise CsrfFailed("signing in from another site's page is refused")
    done = await service.sign_in(pool=runtime.db(), username=body.username, password=body.password,
                                 client=client_address(request), throttle=throttle)
    set_session_cookie(response, done.token, runtime.settings)
    account = done.session.account
    return SignedIn(account_id=account.id, role=account.role, region=account.region, csrf_token=done.session.csrf)


@router.get("/cases", summary="The queue: the cases you may see, ordered by deadline, a page at a time; or a search",
            description="Open cases by their promised day, closed ones newest closed first. `limit` cases a page;"
            " `page` (from 1) says which. When another page follows, the `Link` header names it"
            ' (`<…&page=3>; rel="next"`), and from page 2 on also the one before (`rel="prev"`); an empty list'
            " past the last page.\n\n"
            "**Search**: `q` is an exact reference (`K7M4-2Q9X`, also `k7m4 2q9x` or `K7M42Q9X`), a phone number"
            " (read as the region's country's without a country code) or an e-mail address, found through a blind"
            " index (a keyed hash), never by the family's words, which are sealed. `received_from` and"
            " `received_to` (Helsinki dates, both included) narrow by the day the case came in. With a term or a"
            " date, `status` is `all` unless given, and the search is written to the access log (who, when, the"
            " kind of term and the number of hits; never the term). You find only the cases you may open.",
            responses=errors({401: NOT_SIGNED_IN, 403: "your role sees statistics, not cases",
                              422: f"{INVALID}; `q` of no searchable kind, or `received_from` after `received_to`"}))
async def list_cases(
    request: Request, response: Response, session: SessionDep, uow: UnitOfWorkDep, runtime: RuntimeDep,
    municipality: Annotated[str | None, Query(max_length=64)] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    team: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[Literal["open", "closed", "new", "triaged", "assigned", "all"] | None,
                      Query(description="'open' by default; 'all' by default in a search")] = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000, description="cases a page")] = 200,
    page: Annotated[int, Query(ge=1, le=100_000, description="which page, from 1")] = 1,
    q: Annotated[str | None, Query(max_length=search.MAX_TERM,
                                   description="a reference, a phone number or an e-mail address")] = None,
    received_from: Annotated[str | None, Query(pattern=search.ISO_DAY, json_schema_extra={"format": "date"},
                                               description="received on or after this day (Helsinki)")] = None,
    received_to: Annotated[str | None, Query(pattern=search.ISO_DAY, json_schema_extra={"format": "date"},
                                             description="received on or before this day (Helsinki)")] = None,
) -> list[queries.QueueItem]:
    days = {name: _day(name, value) for name, value in (("received_from", received_from), ("received_to", received_to))}
    if search_service.is_search(q, days["received_from"], days["received_to"]):
        region = runtime.regions.by_id[session.account.region]
        filters = search_service.Filters(municipality=municipality, topic=topic, team=team, mine=mine,
                                         status=None if status in (None, "all") else status)
        try:
            found = (await search_service.search_cases(
                uow=uow, account=session.account, keyring=runtime.settings.keyring, country=region.country,
                day=region.working_day, topic_prefix=runtime.settings.topic_prefix, q=q,
                received_from=days["received_from"], received_to=days["received_to"], filters=filters, page=page,
                per_page=limit)).page
        except search.TermRefused as exc:  # the message says what can be searched, never what was typed
            raise RequestValidationError([{"type": "value_error", "loc": ("query", "q"), "msg": str(exc)}]) from exc
        except search.DatesRefused as exc:
            raise RequestValidationError([{"type": "value_error", "loc": ("query", "received_from"),
                                           "msg": str(exc)}]) from exc
    else:
        found = await service.queue_page(conn=uow.conn, account=session.account, page=page, per_page=limit,
                                         day=runtime.regions.working_day(session.account.region),
                                         municipality=municipality, topic=topic, team=team,
                                         status=None if status == "all" else (status or "open"), mine=mine)
    links = [(rel, number) for rel, number, wanted in (("prev", page - 1, page > 1), ("next", page + 1, found.has_next))
             if wanted]
    if links:
        response.headers["Link"] = ", ".join(f'<{request.url.include_query_params(page=number)}>; rel="{rel}"'
                                             for rel, number in links)
    return found.items


def _day(name: str, value: str | None) -> date | None:
    """A day exactly as YYYY-MM-DD (a bare date type would also take "0", a Unix time, as 1 January 1970)."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise RequestValidationError([{"loc": ("query", name), "msg": "not a day of the calendar",
                                       "type": "date_invalid"}]) from exc


class TimelineOut(BaseModel):
    at: datetime
    type: str
    actor: str
    data: dict[str, Any]
    text: str | None
    erased: bool
    refused: bool = Field(default=False, description="a sealed text that does not open as this event's (it was"
                                                     " moved here from another event or case): never shown")


class CaseOut(BaseModel):
    case: queries.QueueItem
    command_version: int = Field(description="send it as expected_version with the next command")
    message: str | None
    contact: dict[str, str]
    call_windows: list[str] = Field(default_factory=list, description="when the family can take a call, such as"
                                    " 'tue-16-18' (weekday, from hour, to hour; Helsinki time)")
    timeline: list[TimelineOut]
    links: list[link_queries.LinkedCase] = Field(default_factory=list, description="the cases linked to this one")
    referrals: list[ReferralState] = Field(default_factory=list, description="the case's referrals, each with how"
                                           " the service answered it (referral.sent, .accepted, .declined,"
                                           " .completed, .overdue)")


@router.get("/cases/{case_id}", responses=errors({
    401: NOT_SIGNED_IN, 404: "no such case, or not yours to see", 422: INVALID}),
            summary="A case with its whole history; the view is written to the access log")
async def get_case(case_id: uuid.UUID, session: SessionDep, uow: UnitOfWorkDep, runtime: RuntimeDep) -> CaseOut:
    view, version = await service.open_case(uow=uow, staff=session, case_id=case_id, settings=runtime.settings,
                                            action="api_view", day=runtime.regions.working_day(session.account.region))
    return CaseOut(case=view.item, command_version=version, message=view.message, contact=view.contact,
                   call_windows=view.call_windows,
                   timeline=[TimelineOut(**entry.__dict__) for entry in view.timeline],
                   links=await link_queries.linked_cases(uow.conn, session.account, view.state),
                   referrals=list(view.state.referrals))


class EraseIn(BaseModel):
    reason: ErasureReason = Field(description="why; a category, never free text")


class ErasedOut(BaseModel):
    case_id: uuid.UUID
    erased_at: datetime
    already: bool = Field(description="true when it had been erased before")


@router.post("/cases/{case_id}/erase", responses=errors({
    401: NOT_SIGNED_IN, 403: f"only an admin erases; or {NO_CSRF}", 404: "no such case in your region",
    413: BODY_TOO_LARGE, 422: INVALID}),
    summary="Erase the case's personal data: its key and every copy; the statistics stay")
async def erase(case_id: uuid.UUID, body: EraseIn, session: SessionDep, uow: UnitOfWorkDep,
                runtime: RuntimeDep) -> ErasedOut:
    done = await service.erase(uow=uow, staff=session, case_id=case_id, reason=body.reason,
                               settings=runtime.settings)
    return ErasedOut(case_id=done.case_id, erased_at=done.erased_at, already=done.already)


class CommandIn(BaseModel):
    command: CommandName
    expected_version: int = Field(ge=0, description="the command_version you saw")
    arguments: dict[str, Any] = Field(default_factory=dict)


class CommandOut(BaseModel):
    command_version: int
    event_ids: list[uuid.UUID]
    status: str


@router.post("/cases/{case_id}/commands", responses=errors({
    401: NOT_SIGNED_IN, 403: f"your role does not act on cases; or {NO_CSRF}", 404: "no such case, or not yours",
    409: "changed meanwhile; `current_version` and `status` say how it is now", 413: BODY_TOO_LARGE,
    422: f"the command or its arguments do not fit the case; or {INVALID}"}), summary="Act on a case")
async def post_command(case_id: uuid.UUID, body: CommandIn, session: SessionDep, uow: UnitOfWorkDep,
                       runtime: RuntimeDep, demo_at: DemoTimeDep) -> CommandOut:
    try:
        command = service.command_from(body.command, body.arguments)
    except ValidationError as exc:  # the arguments are part of the body: the same 422 as any other field
        raise RequestValidationError([{**error, "loc": ("body", "arguments", *error["loc"])}
                                      for error in exc.errors()]) from exc
    try:
        done = await service.run_command(uow=uow, staff=session, case_id=case_id,
                                         expected_version=body.expected_version, command=command,
                                         regions=runtime.regions, settings=runtime.settings, at=demo_at)
    except UnknownReference as exc:  # a link's other case is an argument: named like any invalid field
        raise RequestValidationError([{"loc": ("body", "arguments", "other_reference"), "msg": exc.detail,
                                       "type": "value_error"}]) from exc
    return CommandOut(command_version=done.command_version, event_ids=done.event_ids, status=done.state.status)
