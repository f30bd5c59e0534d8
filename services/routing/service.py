"""Routing's use cases: what staff do, one keyword-only function each, free of HTTP.

The routes (``api``, ``pages``, ``oidc``) turn requests into these calls and their results into answers;
everything a rule decides (who may, what a command needs, when a write is visible) is decided here or below.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import asyncpg
from pydantic import BaseModel, Field

from services.routing import accounts, commands, link_commands, queries, repository
from services.routing.audit import record_access
from services.routing.decisions import COMMANDS, Command, CommandName, LinkCase, UnlinkCase
from services.routing.erasure import Erased, erase_case
from services.routing.permissions import may_administer, may_see_queue
from services.routing.settings import RoutingSettings
from services.routing.throttle import SignInThrottle
from shared.businessdays import WorkingDay
from shared.db import Conn
from shared.errors import Forbidden, NotFound
from shared.events import ErasureReason
from shared.keys import data_key
from shared.regions import Regions
from shared.staffpass import issue_pass

if TYPE_CHECKING:
    from shared.app import UnitOfWork

# A brand-new case's key may reach routing a moment after its request: try a command this often, 0.1 s apart.
KEY_ATTEMPTS = 30
# How long a command waits for the projection to show it (100 × 0.03 s): staff read their own writes.
PROJECTION_CHECKS, PROJECTION_PAUSE_S = 100, 0.03


class SignIn(BaseModel):  # what signing in takes, from the API's body or the sign-in page's form
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


@dataclass(frozen=True)
class SignedInStaff:
    """A new session: the cookie's token and the session it opens."""

    token: str
    session: accounts.StaffSession


async def sign_in(*, pool: asyncpg.Pool, username: str, password: str, client: str,
                  throttle: SignInThrottle) -> SignedInStaff:
    """Check a local account's password and open a session (SignInFailed, SignInThrottled).

    ``client`` is the address the request came from (behind a trusted proxy, the one it names). The
    throttle is asked before anything else, so a slowed guesser costs neither a hash nor a connection;
    no connection is held while the password is hashed.
    """
    with throttle.attempt(client, username):
        async with pool.acquire() as conn:
            row = await accounts.find_password(conn, username)
        try:
            account = await accounts.check_password(row, password, hashing=throttle.in_thread)
        except accounts.SignInFailed:
            throttle.failed(client, username)
            raise
    throttle.succeeded(client, username)
    async with pool.acquire() as conn:
        token = await accounts.open_session(conn, account)
        session = await accounts.find_session(conn, token)
    assert session is not None  # opened just now
    return SignedInStaff(token=token, session=session)


async def sign_in_as(*, conn: Conn, username: str) -> str | None:
    """A session for the active local account ``username`` whom an identity provider vouched for; None without."""
    account = await accounts.active_account(conn, username)
    return None if account is None else await accounts.open_session(conn, account)


async def sign_out(*, uow: UnitOfWork, staff: accounts.StaffSession, token: str | None,
                   settings: RoutingSettings) -> None:
    """End the session of ``token``, and with it the statistics sessions it (or an earlier one) opened."""
    async with uow.transaction() as conn:
        await accounts.close_session(conn, token)
        await accounts.publish_signed_out(conn, staff.account, at=datetime.now(UTC), keyring=settings.keyring,
                                          topic_prefix=settings.topic_prefix)


def reporting_pass_url(*, staff: accounts.StaffSession, settings: RoutingSettings, next_path: str,
                       language: str) -> str:
    """Where the statistics service takes this person in, vouched for by a signed pass (see shared.staffpass)."""
    account = staff.account
    token = issue_pass(settings.staff_pass_secret, account_id=account.id, role=account.role, region=account.region,
                       language=language, session_started=staff.started_at)
    query = urlencode({"token": token, "next": next_path})
    return f"{settings.reporting_url.rstrip('/')}/auth/pass?{query}"


def network_pass_url(*, staff: accounts.StaffSession, settings: RoutingSettings, language: str) -> str:
    """Where the change agents' network takes a network coordinator in, vouched for by a signed pass."""
    account = staff.account
    token = issue_pass(settings.staff_pass_secret, account_id=account.id, role=account.role, region=account.region,
                       language=language, session_started=staff.started_at)
    return f"{settings.network_url.rstrip('/')}/auth/pass?{urlencode({'token': token})}"


async def open_case(*, uow: UnitOfWork, staff: accounts.StaffSession, case_id: uuid.UUID, settings: RoutingSettings,
                    action: str, day: WorkingDay) -> tuple[queries.CaseView, int]:
    """Read a case for someone allowed to, and log the view in the same transaction.

    The version comes first: the view read after it shows at least what that version stands for.
    Whether the person may see the case is asked before any waiting for the projection, so that
    another team's case answers as fast as one that does not exist; both are logged alike.
    """
    if not await queries.may_see_case(uow.conn, staff.account, case_id):
        # A refused look is logged too (as "<action>_denied", under the person's own region): someone
        # trying case ids or another team's cases shows in the access log and the audit stream.
        async with uow.transaction() as conn:
            await record_access(conn, account=staff.account, case_id=case_id, region=staff.account.region,
                                action=f"{action}_denied", topic_prefix=settings.topic_prefix)
        raise NotFound("no such case")
    version = await repository.shown_version(uow.conn, case_id)
    async with uow.transaction() as conn:
        key = await data_key(conn, case_id, settings.keyring)
        view = await queries.get_case(conn=conn, account=staff.account, case_id=case_id, data_key=key, day=day)
        await record_access(conn, account=staff.account, case_id=case_id, region=view.item.region, action=action,
                            topic_prefix=settings.topic_prefix)
    return view, version


def command_from(name: CommandName, arguments: Mapping[str, Any]) -> Command:
    """The command ``name`` with ``arguments`` as the API sends them; ValidationError when they do not fit."""
    return COMMANDS[name].model_validate(arguments)


def command_from_form(name: CommandName, form: Mapping[str, Any]) -> Command:
    """The command a case page's form asks for, checked by the same model as the API's arguments.

    A browser sends every field as text: a ticked box is "1", an empty field means the field's default
    (or that it is missing), and an assignee is one choice, "kind:id".
    """
    model = COMMANDS[name]
    fields = {key: str(value) for key, value in form.items()}
    kind, _, ident = fields.pop("assignee", "").partition(":")
    fields.update(assignee_kind=kind, assignee_id=ident)
    arguments: dict[str, object] = {}
    for field, info in model.model_fields.items():
        if info.annotation is bool:
            arguments[field] = fields.get(field) == "1"
        elif fields.get(field):
            arguments[field] = fields[field]
    return command_from(name, arguments)


@dataclass(frozen=True)
class QueueSlice:
    """One page of the queue: its cases, its number (from 1) and whether another page follows."""

    items: list[queries.QueueItem]
    page: int
    has_next: bool


async def queue_page(*, conn: Conn, account: accounts.Account, page: int, per_page: int, day: WorkingDay,
                     municipality: str | None = None, topic: str | None = None, team: str | None = None,
                     status: str | None = "open", mine: bool = False) -> QueueSlice:
    """Page ``page`` of the cases ``account`` may see, in the queue's order; one row more tells if more follow."""
    if not may_see_queue(account):
        raise Forbidden("your role sees statistics, not cases")
    found = await queries.list_cases(conn=conn, account=account, day=day, municipality=municipality, topic=topic,
                                     team=team, status=status, mine=mine, limit=per_page + 1,
                                     offset=(page - 1) * per_page)
    return QueueSlice(items=found[:per_page], page=page, has_next=len(found) > per_page)


async def run_command(*, uow: UnitOfWork, staff: accounts.StaffSession, case_id: uuid.UUID, expected_version: int,
                      command: Command, regions: Regions, settings: RoutingSettings,
                      at: datetime | None = None) -> commands.Executed:
    """Execute, then wait (briefly) until the projection shows it: staff read their own writes.

    ``at`` is when the action happened (the demo clock); now by default.
    """
    if not may_see_queue(staff.account):
        raise Forbidden("your role does not act on cases")
    for attempt in range(KEY_ATTEMPTS):
        try:
            async with uow.transaction() as conn:
                if isinstance(command, LinkCase | UnlinkCase):  # two cases at once, no key needed
                    done = await link_commands.execute_link(
                        conn, account=staff.account, case_id=case_id, expected_version=expected_version,
                        command=command, topic_prefix=settings.topic_prefix, at=at)
                    break
                done = await commands.execute(
                    conn, account=staff.account, case_id=case_id, expected_version=expected_version,
                    command=command, regions=regions, keyring=settings.keyring, topic_prefix=settings.topic_prefix,
                    at=at)
            break
        except commands.KeyNotYetKnown:
            if attempt == KEY_ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.1)
    for _ in range(PROJECTION_CHECKS):
        if await repository.projected(uow.conn, done.event_ids):
            break
        await asyncio.sleep(PROJECTION_PAUSE_S)
    return done


async def erase(*, uow: UnitOfWork, staff: accounts.StaffSession, case_id: uuid.UUID, reason: ErasureReason,
                settings: RoutingSettings) -> Erased:
    """An admin erases a case's personal data (see services.routing.erasure); idempotent."""
    if not may_administer(staff.account):
        raise Forbidden("only an admin erases a case's personal data")
    async with uow.transaction() as conn:
        return await erase_case(conn, case_id=case_id, reason=reason, account=staff.account,
                                topic_prefix=settings.topic_prefix)
