"""Routing's JSON API: the queue, a case, and the staff's commands."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from services.routing import accounts, commands, queries, repository
from services.routing.audit import record_access
from services.routing.domain import COMMANDS, CommandName
from services.routing.erasure import erase_case
from services.routing.permissions import may_administer, may_see_queue
from services.routing.settings import RoutingSettings
from services.routing.web import COOKIE, Forbidden, SessionDep
from shared.app import runtime_dependency_for
from shared.democlock import DemoTimeDep
from shared.errors import NotFound
from shared.events import ErasureReason
from shared.keys import data_key
from shared.openapi import errors
from shared.runtime import ServiceRuntime

router = APIRouter(prefix="/api/v1", tags=["cases"])
RuntimeDep = Annotated[ServiceRuntime[RoutingSettings], Depends(runtime_dependency_for(RoutingSettings))]
NOT_SIGNED_IN = "no session: sign in first"
NO_CSRF = "the X-CSRF-Token header is missing or wrong"
INVALID = "a parameter or field is missing or invalid (each one named in `fields`)"
BODY_TOO_LARGE = "the body is over 64 KiB"


class SignIn(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class SignedIn(BaseModel):
    account_id: str
    role: str
    region: str
    csrf_token: str = Field(description="send it back in the X-CSRF-Token header of every POST")


@router.post("/session", tags=["session"], responses=errors({
    401: "wrong username or password", 413: BODY_TOO_LARGE, 422: INVALID, 429: "locked after repeated failures"}))
async def sign_in(body: SignIn, runtime: RuntimeDep, response: Response) -> SignedIn:
    """Sign in with a local account; the session cookie is HttpOnly and SameSite."""
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        account = await accounts.sign_in(conn, body.username, body.password)
        token = await accounts.open_session(conn, account)
        session = await accounts.find_session(conn, token)
    assert session is not None
    set_session_cookie(response, token, runtime)
    return SignedIn(account_id=account.id, role=account.role, region=account.region, csrf_token=session.csrf)


def set_session_cookie(response: Response, token: str, runtime: ServiceRuntime[RoutingSettings]) -> None:
    settings = runtime.settings
    secure = isinstance(settings, RoutingSettings) and settings.cookie_secure
    response.set_cookie(COOKIE, token, max_age=accounts.SESSION_HOURS * 3600, httponly=True, samesite="lax",
                        secure=secure, path="/")


@router.get("/cases", summary="The queue: the cases you may see, ordered by deadline", responses=errors({
    401: NOT_SIGNED_IN, 403: "your role sees statistics, not cases", 422: INVALID}))
async def list_cases(
    session: SessionDep, runtime: RuntimeDep,
    municipality: Annotated[str | None, Query(max_length=64)] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    team: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[Literal["open", "closed", "new", "triaged", "assigned", "all"], Query()] = "open",
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[queries.QueueItem]:
    if not may_see_queue(session.account):
        raise Forbidden("your role sees statistics, not cases")
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        return await queries.list_cases(conn=conn, account=session.account, municipality=municipality, topic=topic,
                                        team=team, status=None if status == "all" else status, mine=mine,
                                        limit=limit)


class TimelineOut(BaseModel):
    at: datetime
    type: str
    actor: str
    data: dict[str, Any]
    text: str | None
    erased: bool


class CaseOut(BaseModel):
    case: queries.QueueItem
    command_version: int = Field(description="send it as expected_version with the next command")
    message: str | None
    contact: dict[str, str]
    timeline: list[TimelineOut]


@router.get("/cases/{case_id}", responses=errors({
    401: NOT_SIGNED_IN, 404: "no such case, or not yours to see", 422: INVALID}),
            summary="A case with its whole history; the view is written to the access log")
async def get_case(case_id: uuid.UUID, session: SessionDep, runtime: RuntimeDep) -> CaseOut:
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        view, version = await open_case(conn, session, case_id, runtime, action="api_view")
    return CaseOut(case=view.item, command_version=version, message=view.message, contact=view.contact,
                   timeline=[TimelineOut(**entry.__dict__) for entry in view.timeline])


async def open_case(conn: Any, session: accounts.StaffSession, case_id: uuid.UUID,
                    runtime: ServiceRuntime[RoutingSettings], *, action: str) -> tuple[queries.CaseView, int]:
    """Read a case for someone allowed to, and log the view in the same transaction.

    The version comes first: the view read after it shows at least what that version stands for.
    Whether the person may see the case is asked before any waiting for the projection, so that
    another team's case answers as fast as one that does not exist.
    """
    if not await queries.may_see_case(conn, session.account, case_id):
        raise NotFound("no such case")
    version = await repository.shown_version(conn, case_id)
    async with conn.transaction():
        key = await data_key(conn, case_id, runtime.settings.kek_bytes)
        view = await queries.get_case(conn=conn, account=session.account, case_id=case_id, data_key=key)
        await record_access(conn, account=session.account, case_id=case_id, region=view.item.region, action=action,
                            topic_prefix=runtime.settings.topic_prefix)
    if runtime.relay is not None:
        runtime.relay.wake()
    return view, version


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
async def erase(case_id: uuid.UUID, body: EraseIn, session: SessionDep, runtime: RuntimeDep) -> ErasedOut:
    if not may_administer(session.account):
        raise Forbidden("only an admin erases a case's personal data")
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        done = await erase_case(conn, case_id=case_id, reason=body.reason, account=session.account,
                                topic_prefix=runtime.settings.topic_prefix)
    if runtime.relay is not None:
        runtime.relay.wake()
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
async def post_command(case_id: uuid.UUID, body: CommandIn, session: SessionDep, runtime: RuntimeDep,
                       request: Request, demo_at: DemoTimeDep) -> CommandOut:
    try:
        command = TypeAdapter(COMMANDS[body.command]).validate_python(body.arguments)
    except ValidationError as exc:  # the arguments are part of the body: the same 422 as any other field
        raise RequestValidationError([{**error, "loc": ("body", "arguments", *error["loc"])}
                                      for error in exc.errors()]) from exc
    done = await run_command(runtime, session, case_id, body.expected_version, command, at=demo_at)
    return CommandOut(command_version=done.command_version, event_ids=done.event_ids, status=done.state.status)


async def run_command(runtime: ServiceRuntime[RoutingSettings], session: accounts.StaffSession, case_id: uuid.UUID,
                      expected_version: int, command: Any, *, at: datetime | None = None) -> commands.Executed:
    """Execute, then wait (briefly) until the projection shows it: staff read their own writes.

    ``at`` is when the action happened (the demo clock); now by default.
    """
    if not may_see_queue(session.account):
        raise Forbidden("your role does not act on cases")
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        for attempt in range(30):
            try:
                done = await commands.execute(
                    conn, account=session.account, case_id=case_id, expected_version=expected_version,
                    command=command, regions=runtime.regions, kek=runtime.settings.kek_bytes,
                    topic_prefix=runtime.settings.topic_prefix, at=at)
                break
            except commands.KeyNotYetKnown:
                if attempt == 29:
                    raise
                await asyncio.sleep(0.1)
        if runtime.relay is not None:
            runtime.relay.wake()
        for _ in range(100):
            if await repository.projected(conn, done.event_ids):
                break
            await asyncio.sleep(0.03)
    return done
