"""The accounts pages: the admin's list, one account with its changes and history, a person's own password,
and the one-time link that sets a new one."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.routing import account_admin, accounts, queries
from services.routing.i18n import t
from services.routing.pages.render import page_lang, render
from services.routing.web import AdminPage, RuntimeDep, StaffPage, ThrottleDep
from shared.app import ConnDep
from shared.db import Conn
from shared.errors import DomainError, NotFound
from shared.http import same_token
from shared.i18n import pick_lang

router = APIRouter(include_in_schema=False)
ACTIONS = ("disable", "enable", "role", "team", "language", "reset")


def _directory(runtime: RuntimeDep) -> account_admin.Directory:
    return account_admin.Directory(keyring=runtime.settings.keyring, topic_prefix=runtime.settings.topic_prefix)


async def _team_names(conn: Conn, region: str, lang: str) -> dict[str, str]:
    # A team's name in the reader's language (else Finnish, the region's first), never its id.
    return {team_id: names.get(lang) or names.get("fi") or team_id
            for team_id, names in await queries.teams(conn, region)}


def change_text(change: dict[str, object], lang: str, team_names: dict[str, str]) -> str:
    """One line of an account's history in words: 'Role: coordinator → admin'."""
    what, before, after = str(change["change"]), change["from_value"], change["to_value"]

    def name(value: object) -> str:
        if value is None:
            return t("no_team", lang) if what == "team" else "–"
        if what == "role":
            return t(f"role_{value}", lang)
        if what == "language":
            return t(f"language_{value}", lang)
        return team_names.get(str(value), str(value))

    if what in ("role", "team", "language"):
        return t(f"account_change_{what}", lang, before=name(before), after=name(after))
    return t(f"account_change_{what}", lang)


@router.get("/admin/accounts")
async def accounts_page(request: Request, session: AdminPage, conn: ConnDep) -> Response:
    rows = await accounts.accounts_of(conn, session.account.region)
    lang = page_lang(request, session)
    return render(request, "accounts.html", session, rows=rows, active="accounts",
                  team_names=await _team_names(conn, session.account.region, lang))


async def _account_page(request: Request, session: accounts.StaffSession, conn: Conn, account_id: str, *,
                        status: int = 200, notice: str | None = None, notice_kind: str = "done") -> Response:
    lang = page_lang(request, session)
    row = await conn.fetchrow("SELECT id, username, display_name, role, team_id, language, active, email IS NOT NULL"
                              " AS has_email FROM accounts WHERE id = $1 AND region = $2",
                              account_id, session.account.region)
    if row is None:
        return render(request, "message.html", session, 404, title=t("not_found", lang), active="accounts")
    changes = await account_admin.history(conn, account_id=account_id, region=session.account.region)
    team_names = await _team_names(conn, session.account.region, lang)
    return render(request, "account.html", session, status, account=dict(row), changes=changes,
                  roles=accounts.ROLES, team_names=team_names,
                  change_text=lambda change: change_text(change, lang, team_names),
                  own=account_id == session.account.id, notice=notice, notice_kind=notice_kind, active="accounts")


@router.get("/admin/accounts/{account_id}")
async def account_page(request: Request, account_id: str, session: AdminPage, conn: ConnDep) -> Response:
    done = request.query_params.get("done")
    lang = page_lang(request, session)
    notice = t(f"account_done_{done}", lang) if done in ACTIONS else None
    return await _account_page(request, session, conn, account_id, notice=notice)


@router.post("/admin/accounts/{account_id}")
async def change_account(request: Request, account_id: str, session: AdminPage, conn: ConnDep,
                         runtime: RuntimeDep) -> Response:
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [session.account.language])
    if not same_token(str(form.get("csrf", "")), session.csrf):
        return render(request, "message.html", session, 403, lang=lang, title=t("csrf_failed", lang),
                      active="accounts")
    action = str(form.get("action", ""))
    region, by, directory = session.account.region, session.account.id, _directory(runtime)
    try:
        if action in ("disable", "enable"):
            await account_admin.set_active(conn, account_id=account_id, region=region, active=action == "enable",
                                           by=by, directory=directory)
        elif action == "reset":
            await account_admin.start_reset(conn, account_id=account_id, region=region, by=by, directory=directory)
        elif action in ("role", "team", "language"):
            value = str(form.get(action, ""))
            await account_admin.change(conn, account_id=account_id, region=region, by=by, directory=directory,
                                       role=value if action == "role" else None,
                                       team_id=value if action == "team" else None,
                                       language=value if action == "language" else None)
        else:
            return await _account_page(request, session, conn, account_id, status=422, notice_kind="error",
                                       notice=t("account_unknown_action", lang))
    except NotFound:
        return render(request, "message.html", session, 404, lang=lang, title=t("not_found", lang),
                      active="accounts")
    except DomainError as exc:
        problem = getattr(exc, "field", None) or "account"
        return await _account_page(request, session, conn, account_id, status=exc.status_code, notice_kind="error",
                                   notice=t(f"account_problem_{action}", lang, detail=problem))
    # Post/redirect/get: a reload does not send the change again.
    return RedirectResponse(f"/admin/accounts/{account_id}?done={action}&lang={lang}", status_code=303)


@router.get("/password")
async def own_password_page(request: Request, session: StaffPage) -> Response:
    return render(request, "password.html", session, mode="own", problem=None)


@router.post("/password")
async def change_own_password(request: Request, session: StaffPage, conn: ConnDep, runtime: RuntimeDep,
                              throttle: ThrottleDep) -> Response:
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [session.account.language])
    if not same_token(str(form.get("csrf", "")), session.csrf):
        return render(request, "password.html", session, 403, lang=lang, mode="own", problem=t("csrf_failed", lang))
    try:
        await account_admin.change_own_password(
            conn, account=session.account, old=str(form.get("old", "")), new=str(form.get("new", "")),
            hashing=throttle.in_thread, directory=_directory(runtime))
    except accounts.SignInFailed:
        return render(request, "password.html", session, 422, lang=lang, mode="own",
                      problem=t("password_old_wrong", lang), field="old")
    except DomainError:
        return render(request, "password.html", session, 422, lang=lang, mode="own",
                      problem=t("password_too_short", lang, min=account_admin.MIN_PASSWORD), field="new")
    # Every session ended with the change, this one too: sign in again with the new password.
    return RedirectResponse(f"/login?lang={lang}&changed=1", status_code=303)


@router.get("/password/reset")
async def reset_page(request: Request, conn: ConnDep, token: str = "", lang: str | None = None) -> Response:
    chosen = pick_lang(lang, [])
    if not await account_admin.reset_is_valid(conn, token[:100]):
        return render(request, "message.html", None, 404, lang=chosen, title=t("password_link_invalid", chosen))
    return render(request, "password.html", None, lang=chosen, mode="reset", token=token, problem=None)


@router.post("/password/reset")
async def reset(request: Request, conn: ConnDep, runtime: RuntimeDep) -> Response:
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [])
    token = str(form.get("token", ""))[:100]
    try:
        await account_admin.finish_reset(conn, token=token, password=str(form.get("new", "")),
                                         directory=_directory(runtime))
    except NotFound:
        return render(request, "message.html", None, 404, lang=lang, title=t("password_link_invalid", lang))
    except DomainError:
        return render(request, "password.html", None, 422, lang=lang, mode="reset", token=token, field="new",
                      problem=t("password_too_short", lang, min=account_admin.MIN_PASSWORD))
    return RedirectResponse(f"/login?lang={lang}&changed=1", status_code=303)
