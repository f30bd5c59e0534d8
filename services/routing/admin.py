"""``python -m services.routing users add …``, ``teams add …``, ``erase …``, ``keys rewrap`` and ``directory sync``:
the admin's command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

import orjson

from services.routing import account_admin, directory_admin
from services.routing.accounts import ACCOUNT_COLUMNS, ROLES, account_from_row, add_account
from services.routing.erasure import erase_case, reapply_erasures
from services.routing.rewrap import left_to_rewrap, rewrap_all
from services.routing.schema import MIGRATIONS
from services.routing.settings import RoutingSettings
from shared.db import check_migrated, create_pool, migrate
from shared.errors import DomainError
from shared.events import ErasureReason
from shared.regions import load_regions
from shared.text import forbidden_character
from shared.tracing import configure_tracing


def text_line(value: str) -> str:
    """An argument people read (a name, an id): refused, by argparse naming it, if it holds a control or
    direction character (:mod:`shared.text`)."""
    found = forbidden_character(value, multiline=False)
    if found is not None:
        raise argparse.ArgumentTypeError(f"holds a control or direction character (U+{ord(found[1]):04X}) at "
                                         f"position {found[0]}; remove it")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.routing")
    sub = parser.add_subparsers(dest="what", required=True)
    users = sub.add_parser("users", help="staff accounts").add_subparsers(dest="action", required=True)
    add = users.add_parser("add", help="add a staff account")
    add.add_argument("--username", required=True, type=text_line)
    add.add_argument("--name", required=True, type=text_line, help="the name colleagues see")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--region", required=True)
    add.add_argument("--team", type=text_line, help="a professional's team")
    add.add_argument("--language", default="fi", choices=["fi", "sv", "en"])
    add.add_argument("--email", type=text_line, help="where their notifications go")
    add.add_argument("--password-env", default="APUA_NEW_PASSWORD",
                     help="environment variable holding the password (else it is asked for)")
    _account_commands(users)
    teams = sub.add_parser("teams", help="teams").add_subparsers(dest="action", required=True)
    team = teams.add_parser("add", help="add a team to a region")
    team.add_argument("--id", required=True, type=text_line)
    team.add_argument("--region", required=True)
    team.add_argument("--name-fi", required=True, type=text_line)
    team.add_argument("--name-sv", type=text_line)
    team.add_argument("--name-en", type=text_line)
    erase = sub.add_parser("erase", help="erase one case's personal data (its key, and every copy)")
    erase.add_argument("--case", required=True, help="the case id or its reference (ABCD-2345)")
    erase.add_argument("--reason", required=True, choices=list(ErasureReason.__args__))  # type: ignore[attr-defined]
    erase.add_argument("--admin", required=True, help="the username of the admin who decided")
    erasures = sub.add_parser("erasures", help="erasures").add_subparsers(dest="action", required=True)
    erasures.add_parser("reapply", help="after restoring a backup: erase again every key the streams say was erased")
    keys = sub.add_parser("keys", help="the KEK's keys").add_subparsers(dest="action", required=True)
    keys.add_parser("rewrap", help="wrap every case key and staff record again under the current KEK")
    keys.add_parser("status", help="how many case keys each old KEK still wraps")
    directory_admin.add_parser(sub)
    return parser


def _account_commands(users: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The account changes; each names the admin who decided (written to the history and the audit stream)."""
    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = users.add_parser(name, help=help_text)
        parser.add_argument("--username", required=True, help="whose account")
        parser.add_argument("--admin", required=True, help="the username of the admin who decided")
        return parser

    command("disable", "disable an account: its sessions end at once, it cannot sign in, nothing is mailed to it")
    command("enable", "enable a disabled account")
    command("set-role", "change the role (the person's sessions end)").add_argument(
        "--role", required=True, choices=ROLES)
    command("set-team", "change the team; '' for none (the person's sessions end)").add_argument(
        "--team", required=True)
    command("set-language", "change the language of the pages and messages").add_argument(
        "--language", required=True, choices=["fi", "sv", "en"])
    command("reset-password", "mail a one-time link (valid a day) to set a new password")
    command("history", "the account's changes, newest first")
    listing = users.add_parser("list", help="the region's accounts")
    listing.add_argument("--region", required=True)


async def run_account(args: argparse.Namespace, settings: RoutingSettings) -> str:
    pool = await create_pool(settings.database_url, [settings.db_schema], create_schemas=settings.migrates_on_start)
    directory = account_admin.Directory(keyring=settings.keyring, topic_prefix=settings.topic_prefix)
    try:
        async with pool.acquire() as conn:
            if args.action == "list":
                rows = await conn.fetch("SELECT username, display_name, role, team_id, language, active"
                                        " FROM accounts WHERE region = $1 ORDER BY role, username", args.region)
                return "\n".join(f"{r['username']}\t{r['role']}\t{r['team_id'] or '-'}\t{r['language']}\t"
                                 f"{'active' if r['active'] else 'disabled'}\t{r['display_name']}" for r in rows)
            admin = await conn.fetchrow("SELECT id, region FROM accounts WHERE username = $1 AND active"
                                        " AND role = 'admin'", args.admin)
            if admin is None:
                raise DomainError(f"no active admin '{args.admin}'")
            who, region, by = args.username.lower(), admin["region"], admin["id"]
            if args.action == "history":
                changes = await account_admin.history(conn, account_id=who, region=region)
                return "\n".join(f"{r['at']}\t{r['by_account']}\t{r['change']}\t"
                                 f"{r['from_value'] or ''}\t{r['to_value'] or ''}" for r in changes)
            if args.action in ("disable", "enable"):
                await account_admin.set_active(conn, account_id=who, region=region, active=args.action == "enable",
                                               by=by, directory=directory)
                return f"account {who}: {args.action}d"
            if args.action == "reset-password":
                expires = await account_admin.start_reset(conn, account_id=who, region=region, by=by,
                                                          directory=directory)
                return f"account {who}: a one-time link is mailed, valid until {expires.isoformat()}"
            changed = await account_admin.change(
                conn, account_id=who, region=region, by=by, directory=directory,
                role=getattr(args, "role", None), team_id=getattr(args, "team", None),
                language=getattr(args, "language", None))
            return f"account {who}: {', '.join(changed) or 'nothing'} changed"
    finally:
        await pool.close()


async def run_keys(args: argparse.Namespace, settings: RoutingSettings) -> str:
    pool = await create_pool(settings.database_url, [f"{settings.db_schema}_projection", settings.db_schema],
                             create_schemas=settings.migrates_on_start)
    try:
        async with pool.acquire() as conn:
            if args.action == "rewrap":
                done = await rewrap_all(conn, keyring=settings.keyring, topic_prefix=settings.topic_prefix)
                return done.summary
            left = await left_to_rewrap(conn, settings.keyring)
    finally:
        await pool.close()
    if not left:
        return f"every case key is wrapped with the current KEK {settings.kek_id}"
    return ", ".join(f"{kek_id}: {count} case key(s)" for kek_id, count in sorted(left.items()))


async def run_erase(args: argparse.Namespace, settings: RoutingSettings) -> str:
    pool = await create_pool(settings.database_url, [f"{settings.db_schema}_projection", settings.db_schema],
                             create_schemas=settings.migrates_on_start)
    try:
        async with pool.acquire() as conn:
            row = await conn.fetchrow(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = $1 AND active",
                                      args.admin)
            if row is None:
                raise DomainError(f"no active account '{args.admin}'")
            case_id = await conn.fetchval("SELECT case_id FROM cases WHERE case_id::text = $1 OR reference = $2",
                                          args.case.lower(), args.case.upper())
            if case_id is None:
                raise DomainError(f"no case '{args.case}'")
            done = await erase_case(conn, case_id=case_id, reason=args.reason, topic_prefix=settings.topic_prefix,
                                    account=account_from_row(row))
    finally:
        await pool.close()
    return f"case {done.case_id}: personal data {'was already ' if done.already else ''}erased ({done.erased_at})"


async def run(args: argparse.Namespace, settings: RoutingSettings) -> str:
    if args.what == "erase":
        return await run_erase(args, settings)
    if args.what == "keys":
        return await run_keys(args, settings)
    if args.what == "directory":
        return await directory_admin.run(args, settings)
    if args.what == "users" and args.action != "add":
        return await run_account(args, settings)
    regions = load_regions(settings.regions_dir, settings.regions or None)
    if args.what == "erasures":
        done = await reapply_erasures(bootstrap=settings.kafka_bootstrap, topic_prefix=settings.topic_prefix,
                                      regions=list(regions), security=settings.kafka_security)
        return ", ".join(f"{region}: {count} erased key(s) tombstoned again" for region, count in done.items())
    if args.region not in regions.by_id:
        raise DomainError(f"no region '{args.region}' is configured")
    # In production the app role runs this: it may not create tables, `migrate` has made them.
    pool = await create_pool(settings.database_url, [settings.db_schema], create_schemas=settings.migrates_on_start)
    try:
        if settings.migrates_on_start:
            await migrate(pool, settings.db_schema, MIGRATIONS)
        else:
            await check_migrated(pool, settings.db_schema, MIGRATIONS)
        async with pool.acquire() as conn:
            if args.what == "teams":
                names = {k: v for k, v in (("fi", args.name_fi), ("sv", args.name_sv), ("en", args.name_en)) if v}
                await conn.execute("INSERT INTO teams (id, region, name) VALUES ($1, $2, $3::jsonb)"
                                   " ON CONFLICT (region, id) DO UPDATE SET name = EXCLUDED.name",
                                   args.id, args.region, orjson.dumps(names).decode())
                return f"team {args.id} in {args.region}"
            if args.team and not await conn.fetchval("SELECT true FROM teams WHERE id = $1 AND region = $2",
                                                     args.team, args.region):
                config_teams = {t.id for t in regions.by_id[args.region].teams}
                if args.team not in config_teams:
                    raise DomainError(f"no team '{args.team}' in {args.region}")
            password = os.environ.get(args.password_env) or getpass.getpass("password: ")
            account = await add_account(conn, username=args.username, display_name=args.name, role=args.role,
                                        region=args.region, team_id=args.team, password=password,
                                        language=args.language, email=args.email, keyring=settings.keyring,
                                        topic_prefix=settings.topic_prefix)
            return f"account {account.id} ({account.role}, {account.region})"
    finally:
        await pool.close()


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    settings = RoutingSettings()
    configure_tracing(settings.service)  # what it puts on a stream (an erasure, a rewrapped key) starts a trace
    try:
        print(asyncio.run(run(args, settings)))  # noqa: T201 - command-line output
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)  # noqa: T201
        return 1
    return 0
