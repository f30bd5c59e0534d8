"""The staff's pages: sign-in, the queue (live), a case with its whole history and every action, admin."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from pydantic import TypeAdapter, ValidationError

from services.routing import accounts, audit, queries
from services.routing.api import open_case, run_command, set_session_cookie
from services.routing.domain import COMMANDS
from services.routing.i18n import t
from services.routing.permissions import may_administer, may_see_queue, may_see_statistics
from services.routing.settings import RoutingSettings
from services.routing.web import COOKIE, optional_session
from shared.app import get_runtime
from shared.businessdays import add_business_days
from shared.errors import Conflict, InvalidCommand, NotFound, ServiceUnavailable
from shared.events import Topic
from shared.i18n import LANG_NAMES, LANGS, long_date, pick_lang, short_datetime
from shared.regions import Region
from shared.staffpass import issue_pass

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
TOPICS: tuple[str, ...] = Topic.__args__  # type: ignore[attr-defined]
router = APIRouter(include_in_schema=False)


def _lang(request: Request, session: accounts.StaffSession | None) -> str:
    return pick_lang(request.query_params.get("lang"), [session.account.language] if session else [])


def render(request: Request, template: str, session: accounts.StaffSession | None, status: int = 200,
           **context: Any) -> HTMLResponse:
    lang = context.pop("lang", None) or _lang(request, session)
    runtime = get_runtime(request)
    region: Region | None = runtime.regions.by_id.get(session.account.region) if session else None
    query = {k: v for k, v in request.query_params.items() if k not in ("lang", "fragment")}
    names = context.pop("names", {})

    def municipality_name(mid: str) -> str:
        return region.municipality(mid).name.get(lang) if region else mid

    def assignee_name(item: Any) -> str:
        kind = item["assignee_kind"] if isinstance(item, dict) else item.assignee_kind
        ident = item["assignee_id"] if isinstance(item, dict) else item.assignee_id
        if kind == "team" and region:
            return next((f"{tm.name.get(lang)} ({t('team', lang)})" for tm in region.teams if tm.id == ident), ident)
        return str(names.get(ident, ident))

    def actor_name(actor: str) -> str:
        if actor == "family":
            return t("by_family", lang)
        if actor.startswith("staff:"):
            return str(names.get(actor[6:], actor[6:]))
        return t("by_system", lang)

    def service_name(sid: str) -> str:
        return next((s.name.get(lang) for s in region.services if s.id == sid), sid) if region else sid

    return TEMPLATES.TemplateResponse(request, template, status_code=status, context={
        "lang": lang, "t": lambda key, **values: t(key, lang, **values), "session": session,
        "region_name": region.name.get(lang) if region else None,
        "lang_links": [(code, LANG_NAMES[code], f"{request.url.path}?{urlencode({**query, 'lang': code})}")
                       for code in LANGS],
        "query": urlencode({**query, "lang": lang}), "municipality_name": municipality_name,
        "assignee_name": assignee_name, "actor_name": actor_name, "service_name": service_name,
        "long_date": lambda d: long_date(d, lang), "short_date": lambda d: d.strftime("%d.%m.%Y"),
        "when": lambda m: short_datetime(m, lang) if m else "", **context,
    })


async def _page_session(request: Request, allowed: Callable[[accounts.Account], bool]
                        ) -> accounts.StaffSession | Response:
    """The signed-in person if their role may see this page; else where they should go instead."""
    session = await optional_session(request)
    if session is None:
        return _to_login(request)
    if not allowed(session.account):
        return RedirectResponse("/", status_code=303)
    return session


def _to_login(request: Request) -> RedirectResponse:
    target = urlencode({"next": str(request.url.path), "lang": request.query_params.get("lang", "")})
    return RedirectResponse(f"/login?{target}", status_code=303)


@router.get("/")
async def home(request: Request) -> Response:
    session = await optional_session(request)
    if session is None:
        return _to_login(request)
    role = session.account.role
    target = {"coordinator": "/queue", "professional": "/queue", "manager": "/summary"}.get(role, "/admin/access")
    return RedirectResponse(f"{target}?lang={_lang(request, session)}", status_code=303)


@router.get("/login")
async def login_page(request: Request, next: str = "/", lang: str | None = None) -> HTMLResponse:
    settings = get_runtime(request).settings
    oidc = isinstance(settings, RoutingSettings) and bool(settings.oidc_issuer)
    return render(request, "login.html", None, next=next if next.startswith("/") else "/", username="", error=None,
                  oidc=oidc)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [])
    username, password = str(form.get("username", ""))[:100], str(form.get("password", ""))[:200]
    target = str(form.get("next", "/"))
    runtime = get_runtime(request)
    assert runtime.pool is not None
    try:
        async with runtime.pool.acquire() as conn:
            account = await accounts.sign_in(conn, username, password)
            token = await accounts.open_session(conn, account)
    except (accounts.SignInFailed, accounts.AccountLocked) as exc:
        retry = getattr(exc, "retry_after", None)
        error = t("account_locked", lang, minutes=int(retry) // 60 + 1) if retry else t("sign_in_failed", lang)
        return render(request, "login.html", None, exc.status_code, lang=lang, next=target, username=username,
                      error=error)
    target = target if target.startswith("/") and not target.startswith("//") else "/"
    # The language chosen on the sign-in page goes on with the person.
    response = RedirectResponse(f"{target}{'&' if '?' in target else '?'}lang={lang}", status_code=303)
    set_session_cookie(response, token, runtime)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await request.form()
    session = await optional_session(request)
    runtime = get_runtime(request)
    assert runtime.pool is not None
    if session is not None:
        if str(form.get("csrf", "")) != session.csrf:  # another site's form: the session stays, and so does the cookie
            return Response("CSRF check failed: reload the page and sign out again", status_code=403)
        async with runtime.pool.acquire() as conn:
            await accounts.close_session(conn, request.cookies.get(COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _filters(request: Request) -> dict[str, Any]:
    q = request.query_params
    status = q.get("status") or "open"
    return {"municipality": q.get("municipality") or None, "topic": q.get("topic") or None,
            "team": q.get("team") or None, "status": status if status in
            ("open", "closed", "new", "triaged", "assigned", "all") else "open", "mine": q.get("mine") == "1"}


async def _queue_items(request: Request, session: accounts.StaffSession) -> list[queries.QueueItem]:
    f = _filters(request)
    runtime = get_runtime(request)
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        return await queries.list_cases(conn=conn, account=session.account, municipality=f["municipality"],
                                        topic=f["topic"], team=f["team"],
                                        status=None if f["status"] == "all" else f["status"], mine=f["mine"])


@router.get("/queue")
async def queue(request: Request, fragment: bool = False) -> Response:
    session = await _page_session(request, may_see_queue)
    if not isinstance(session, accounts.StaffSession):
        return session
    items = await _queue_items(request, session)
    runtime = get_runtime(request)
    assert runtime.pool is not None
    names = await queries.staff_names(runtime.pool, session.account.region)  # type: ignore[arg-type]
    if fragment:
        return render(request, "_queue_table.html", session, items=items, names=names)
    region = runtime.regions.by_id[session.account.region]
    lang = _lang(request, session)
    return render(request, "queue.html", session, items=items, names=names, active="queue",
                  filters=_filters(request), municipalities=region.municipalities, topics=TOPICS,
                  teams=[{"id": tm.id, "name": tm.name.get(lang)} for tm in region.teams])


@router.get("/queue/stream")
async def queue_stream(request: Request) -> Response:
    """Server-sent events: 'changed' whenever the cases this person may see change."""
    session = await optional_session(request)
    if session is None or not may_see_queue(session.account):
        return Response(status_code=401)
    runtime = get_runtime(request)
    assert runtime.pool is not None
    pool = runtime.pool

    async def events() -> AsyncIterator[str]:
        last: object = None
        yield "retry: 3000\n\n"
        for _ in range(3600):  # an hour; the browser reconnects by itself
            if await request.is_disconnected():
                return
            async with pool.acquire() as conn:
                mark = await conn.fetchval(
                    "SELECT coalesce(sum(next_offset), 0) FROM projection_offsets")
            if last is not None and mark != last:
                yield "event: changed\ndata: {}\n\n"
            last = mark
            await asyncio.sleep(1.0)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


async def _case_page(request: Request, session: accounts.StaffSession, case_id: uuid.UUID, *, status: int = 200,
                     notice: str | None = None, notice_kind: str = "done") -> Response:
    runtime = get_runtime(request)
    assert runtime.pool is not None
    lang = _lang(request, session)
    async with runtime.pool.acquire() as conn:
        try:
            view, version = await open_case(conn, session, case_id, runtime, action="view")
        except NotFound:
            return render(request, "message.html", session, 404, title=t("not_found", lang), active="queue")
        names = await queries.staff_names(conn, session.account.region)
        pros = await queries.professionals(conn, session.account.region)
        team_rows = await conn.fetch("SELECT id, name FROM teams WHERE region = $1 ORDER BY id", session.account.region)
    region = runtime.regions.by_id[session.account.region]
    assignees = [(f"professional:{p['id']}", f"{p['display_name']} ({p['team_id']})") for p in pros]
    assignees += [(f"team:{r['id']}", f"{orjson.loads(r['name']).get(lang) or r['id']} ({t('team', lang)})")
                  for r in team_rows]
    cw_due: date | None = None
    if view.state.child_welfare_notified_at is not None:
        cw_due = add_business_days(view.state.child_welfare_notified_at.date(), 7)
    return render(request, "case.html", session, status, view=view, version=version, names=names,
                  assignees=assignees, services=region.services, topics=TOPICS, notice=notice,
                  notice_kind=notice_kind, cw_decision_due=cw_due, active="queue")


@router.get("/cases/{case_id}")
async def case_page(request: Request, case_id: uuid.UUID, done: bool = False) -> Response:
    session = await _page_session(request, may_see_queue)
    if not isinstance(session, accounts.StaffSession):
        return session
    return await _case_page(request, session, case_id, notice=t("done", _lang(request, session)) if done else None)


def _command_arguments(command: str, form: Any) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if command == "triage":
        args = {"topic": form.get("topic") or None, "urgency": form.get("urgency") or "normal",
                "child_welfare_concern": form.get("child_welfare_concern") == "1"}
    elif command in ("assign", "hand_off"):
        kind, _, ident = str(form.get("assignee", "")).partition(":")
        args = {"assignee_kind": kind, "assignee_id": ident}
        if command == "hand_off":
            args["note"] = form.get("note", "")
    elif command == "refer":
        args = {"service_id": form.get("service_id", "")}
    elif command == "record_contact":
        args = {"channel": form.get("channel", "phone"), "result": form.get("result", "")}
    elif command in ("reply", "add_note"):
        args = {"text": form.get("text", "")}
    elif command == "close":
        args = {"outcome": form.get("outcome", ""), "referred_to": form.get("referred_to") or None}
    elif command == "record_child_welfare_notification":
        args = {"how": form.get("how", "notification_made")}
    return args


@router.post("/cases/{case_id}/act")
async def act(request: Request, case_id: uuid.UUID) -> Response:
    session = await _page_session(request, may_see_queue)
    if not isinstance(session, accounts.StaffSession):
        return session
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [session.account.language])
    if str(form.get("csrf", "")) != session.csrf:
        return Response("CSRF check failed: reload the page and try again", status_code=403)
    name = str(form.get("command", ""))
    if name not in COMMANDS:
        return await _case_page(request, session, case_id, status=422, notice_kind="error",
                                notice=t("invalid", lang, detail=name))
    try:
        command = TypeAdapter(COMMANDS[name]).validate_python(_command_arguments(name, form))
        expected = int(str(form.get("expected_version", "-1")))
        await run_command(get_runtime(request), session, case_id, expected, command)
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][-1]) for e in exc.errors() if e["loc"])
        return await _case_page(request, session, case_id, status=422, notice_kind="error",
                                notice=t("invalid", lang, detail=fields))
    except Conflict:
        return await _case_page(request, session, case_id, status=409, notice_kind="error",
                                notice=t("conflict", lang))
    except (InvalidCommand, ServiceUnavailable) as exc:
        return await _case_page(request, session, case_id, status=exc.status_code, notice_kind="error",
                                notice=t("invalid", lang, detail=exc.detail))
    return RedirectResponse(f"/cases/{case_id}?lang={lang}&done=1#notice", status_code=303)


@router.get("/pass/reporting")
async def reporting_pass(request: Request, next: str = "/") -> Response:
    """Vouch for a signed-in manager, coordinator or admin to the statistics service (see shared.staffpass)."""
    session = await optional_session(request)
    if session is None:
        here = f"/pass/reporting?{urlencode({'next': next})}"
        return RedirectResponse(f"/login?{urlencode({'next': here})}", status_code=303)
    if not may_see_statistics(session.account):
        return RedirectResponse("/", status_code=303)
    settings = get_runtime(request).settings
    assert isinstance(settings, RoutingSettings)
    token = issue_pass(settings.staff_pass_secret, account_id=session.account.id, role=session.account.role,
                       region=session.account.region, language=_lang(request, session))
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    query = urlencode({"token": token, "next": target})
    return RedirectResponse(f"{settings.reporting_url.rstrip('/')}/auth/pass?{query}", status_code=303)


@router.get("/summary")
async def summary(request: Request) -> Response:
    session = await _page_session(request, may_see_statistics)
    if not isinstance(session, accounts.StaffSession):
        return session
    runtime = get_runtime(request)
    assert runtime.pool is not None
    async with runtime.pool.acquire() as conn:
        rows = await queries.summary(conn, session.account.region)
    return render(request, "summary.html", session, rows=rows, active="summary")


async def _access_rows(request: Request, session: accounts.StaffSession) -> tuple[list[dict[str, object]], str, str]:
    runtime = get_runtime(request)
    assert runtime.pool is not None
    case_query = request.query_params.get("case", "").strip()
    staff_query = request.query_params.get("staff", "").strip()
    async with runtime.pool.acquire() as conn:
        case_id: uuid.UUID | None = None
        if case_query:
            try:
                case_id = uuid.UUID(case_query)
            except ValueError:
                case_id = await conn.fetchval("SELECT case_id FROM cases WHERE reference = $1 AND region = $2",
                                              case_query.upper(), session.account.region)
                if case_id is None:
                    return [], case_query, staff_query
        rows = await audit.search(conn, region=session.account.region, case_id=case_id,
                                  account_id=staff_query or None)
    return rows, case_query, staff_query


@router.get("/admin/access")
async def access_log(request: Request) -> Response:
    session = await _page_session(request, may_administer)
    if not isinstance(session, accounts.StaffSession):
        return session
    rows, case_query, staff_query = await _access_rows(request, session)
    export = (f"/admin/access.csv?{urlencode({'case': case_query})}" if case_query else None)
    return render(request, "access.html", session, rows=rows, case_query=case_query, staff_query=staff_query,
                  export_href=export, active="access")


@router.get("/admin/access.csv")
async def access_export(request: Request) -> Response:
    """One client's right to know who processed their data: the log for one case, as CSV."""
    session = await _page_session(request, may_administer)
    if not isinstance(session, accounts.StaffSession):
        return session
    rows, case_query, _ = await _access_rows(request, session)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "account_id", "name", "role", "case_id", "action"])
    for r in rows:
        writer.writerow([r["at"].isoformat(), r["account_id"], r["display_name"], r["role"],  # type: ignore[attr-defined]
                         r["case_id"], r["action"]])
    filename = f"access-log-{case_query or 'all'}.csv".replace("/", "_")
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/admin/accounts")
async def accounts_page(request: Request) -> Response:
    session = await _page_session(request, may_administer)
    if not isinstance(session, accounts.StaffSession):
        return session
    runtime = get_runtime(request)
    assert runtime.pool is not None
    rows = await runtime.pool.fetch("SELECT username, display_name, role, team_id FROM accounts WHERE region = $1"
                                    " ORDER BY role, username", session.account.region)
    return render(request, "accounts.html", session, rows=[dict(r) for r in rows], active="accounts")

