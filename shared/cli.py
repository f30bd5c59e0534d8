"""``python -m services.<svc> [serve|migrate|rebuild]``: the same command line for every service, and the
service's admin commands (its ``admin.build_parser``) beside them, in one ``--help``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI

from shared.applier import DedupWindow, Projection
from shared.db import create_pool, migrate
from shared.logging import configure_logging
from shared.migrations import MigrationError, Plan
from shared.rebuild import rebuild
from shared.runtime import ServiceRuntime
from shared.settings import DatabaseSettings, ServiceSettings
from shared.tracing import TracingConfigError, configure_tracing

# A service's admin commands: the parser that defines them, and the function that runs a command line of them.
Admin = tuple[Callable[[], argparse.ArgumentParser], Callable[[list[str]], int]]


def admin_commands(parser: argparse.ArgumentParser) -> dict[str, str]:
    """The top-level subcommands of an admin parser and their help, in the order it defines them."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {choice.dest: choice.help or "" for choice in action._choices_actions}
    return {}


def run_cli(
    argv: list[str] | None,
    *,
    settings_factory: type[ServiceSettings],
    create_app: Callable[..., FastAPI],
    projection: Callable[[ServiceRuntime[Any]], Projection] | None = None,
    migrations: Plan = (),
    projection_migrations: Plan = (),
    admin: Admin | None = None,
) -> int:
    """Parse ``argv`` and run the command; returns the process's exit status.

    An admin command is handed whole to ``admin``'s function; its names and help come from ``admin``'s own
    parser, so what ``--help`` lists and what is run cannot drift apart.
    """
    argv = sys.argv[1:] if argv is None else argv
    extra = admin_commands(admin[0]()) if admin is not None else {}
    if admin is not None and argv[:1] and argv[0] in extra:
        return admin[1](argv)
    service = settings_factory.model_fields["service"].default
    parser = argparse.ArgumentParser(prog=f"python -m services.{service}",
                                     epilog=f"`python -m services.{service} COMMAND --help` tells more of each.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("serve", help="run the HTTP service and its background tasks (default)")
    migrate_help = ("apply the migration files to the service's own and projection schemas and grant"
                    " APUA_DATABASE_APP_ROLE; run it with the schemas' owner's role")
    sub.add_parser("migrate", help=migrate_help, description=migrate_help)
    if projection is not None:
        rebuild_help = ("replay the stream from offset 0 into a fresh projection and swap it in; it creates,"
                        " renames and drops schemas: run it with the owner's role")
        rb = sub.add_parser("rebuild", help=rebuild_help, description=rebuild_help)
        rb.add_argument("--no-swap", action="store_true", help="leave the rebuilt schema beside the live one")
    for name, text in extra.items():  # listed here, parsed by the admin's own parser (above)
        sub.add_parser(name, help=text, add_help=False)
    args = parser.parse_args(argv)
    if args.command == "migrate":
        database = DatabaseSettings(service=service)
        configure_logging(database.service, database.log_level)
        plans = [(database.db_schema, migrations), (database.projection_schema, projection_migrations)]
        try:
            asyncio.run(migrate_schemas(database, [(schema, plan) for schema, plan in plans if plan]))
        except MigrationError as exc:
            sys.stderr.write(f"{exc}\n")
            return 1
        return 0
    settings = settings_factory()
    configure_logging(settings.service, settings.log_level)
    try:
        configure_tracing(settings.service)  # OTEL_* from the environment; no exporter unless they name one
    except TracingConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    if args.command == "rebuild":
        assert projection is not None
        runtime = ServiceRuntime(settings)
        proj = projection(runtime)
        result = asyncio.run(rebuild(
            dsn=settings.database_url, service_schema=settings.db_schema,
            projection_schema=runtime.projection_schema, bootstrap=settings.kafka_bootstrap,
            topics=runtime.projection_topics(proj), projection=proj, swap=not args.no_swap,
            app_role=settings.database_app_role or None,
            window=DedupWindow(offsets=settings.dedup_window_offsets), security=settings.kafka_security))
        print(json.dumps({"rebuilt": result.schema, "records": result.records, "applied": result.applied,  # noqa: T201
                          "seconds": round(result.seconds, 2), "events_per_second": round(result.per_second),
                          "swapped": result.swapped}))
        return 0
    app = create_app(settings)
    # What start-up made (modules, the app, the region configuration) lives as long as the process: out
    # of the cyclic collector's reach, it is not walked again at every collection, and young objects are
    # collected a tenth as often (a request makes a few thousand; each collection walked them all).
    gc.collect()
    gc.freeze()
    gc.set_threshold(7000, 10, 10)
    # proxy_headers off: the app believes only APUA_TRUSTED_PROXIES (shared.app), never FORWARDED_ALLOW_IPS.
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False, lifespan="on",
                proxy_headers=False)
    return 0


async def migrate_schemas(settings: DatabaseSettings, plans: list[tuple[str, Plan]]) -> None:
    """Apply each schema's plan (creating the schema if missing) and grant the app role; safe to repeat."""
    pool = await create_pool(settings.database_url, [schema for schema, _ in plans], max_size=1,
                             timeout=settings.db_timeout_s)
    try:
        for schema, plan in plans:
            await migrate(pool, schema, plan, app_role=settings.database_app_role or None)
    finally:
        await pool.close()
