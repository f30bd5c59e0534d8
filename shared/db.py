"""PostgreSQL: a pool per service whose ``search_path`` is the service's own schema, and applying migrations
(:mod:`shared.migrations` says what they are)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

import asyncpg
import structlog

from shared.errors import ServiceUnavailable
from shared.migrations import MigrationError, Plan, all_migrations, legacy_heads, unapplied

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    # What handlers and commands are given: a connection, or a pool's proxy of one.
    Conn: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:
    Conn = asyncpg.Connection

log = structlog.get_logger(__name__)
IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
# What a lost or refused database connection looks like from asyncpg.
CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    TimeoutError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    # A connection the server dropped in the middle of an operation can report "cannot switch to state …;
    # another operation is in progress" on the next one, instead of saying it is gone.
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.ConnectionFailureError,
)

DB_ERRORS: tuple[type[Exception], ...] = (*CONNECTION_ERRORS, asyncpg.PostgresError)


def check_ident(name: str) -> str:
    if not IDENT.match(name):
        raise ValueError(f"'{name}' is not a plain SQL identifier")
    return name


async def _keep_session(conn: asyncpg.Connection[asyncpg.Record]) -> None:
    """A connection goes back to the pool as it is: the services leave no session state behind (no LISTEN,
    no session advisory lock, cursor or SET outside a transaction), so asyncpg's default reset query would
    only cost a round trip on every release. An open transaction is still rolled back by asyncpg itself."""


async def create_pool(dsn: str, schemas: list[str], *, max_size: int = 10, timeout: float = 5.0,
                      work_mem: str | None = None, create_schemas: bool = True) -> asyncpg.Pool:
    """A pool whose ``search_path`` is ``schemas`` (created if missing); nothing connects at import time.

    JIT compilation is off: it costs tens of milliseconds a statement and pays back only on queries
    far longer than any here. ``work_mem`` lets a service that aggregates (reporting) hash in memory.
    Without ``create_schemas`` (a role that may not create them) the schemas must exist already.
    """
    for schema in schemas:
        check_ident(schema)
    if create_schemas:
        conn = await asyncpg.connect(dsn, timeout=timeout)
        try:
            for schema in schemas:
                try:
                    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
                except asyncpg.exceptions.UniqueViolationError:
                    pass  # another instance made it at the same moment: IF NOT EXISTS looks only before it inserts
        finally:
            await conn.close()
    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=max_size, timeout=timeout, command_timeout=30, reset=_keep_session,
        server_settings={"search_path": ", ".join(schemas), "application_name": f"apua-{schemas[-1]}", "jit": "off",
                         **({"work_mem": work_mem} if work_mem else {})},
    )
    assert pool is not None
    return pool


async def migrate(pool: asyncpg.Pool, schema: str, plan: Plan, *, app_role: str | None = None) -> None:
    """Apply the plan's files not yet applied to ``schema``, in order, under an advisory lock; grant ``app_role``.

    A file applied before and changed since is refused (:class:`MigrationError`), and nothing is applied.
    """
    check_ident(schema)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}; SET LOCAL search_path TO {schema}")
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()))")
        applied = await _recorded(conn, plan)
        for migration in unapplied(plan, applied):
            await conn.execute(migration.sql)
            await conn.execute("INSERT INTO schema_migrations (series, version, checksum) VALUES ($1, $2, $3)",
                               migration.series, migration.version, migration.checksum)
        if app_role:
            await grant(conn, schema, app_role)
    log.info("schema.migrated", schema=schema)


async def _recorded(conn: Conn, plan: Plan) -> dict[tuple[str, int], str | None]:
    """The (series, version) rows applied so far with their checksums, the table made or brought up to date.

    A table of bare versions (before files had series and checksums) becomes one of the plan's series;
    a row without a checksum adopts its file's.
    """
    columns = {r["attname"] for r in await conn.fetch(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass('schema_migrations') AND attnum > 0"
        " AND NOT attisdropped")}
    if not columns:
        await conn.execute(
            "CREATE TABLE schema_migrations (series text NOT NULL, version int NOT NULL, checksum text,"
            " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (series, version))")
    elif "series" not in columns:
        versions = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        await conn.execute("ALTER TABLE schema_migrations ADD COLUMN series text, ADD COLUMN checksum text,"
                           " DROP CONSTRAINT schema_migrations_pkey")
        await conn.execute("UPDATE schema_migrations SET series = $1", plan[-1].name)
        await conn.executemany("INSERT INTO schema_migrations (series, version) VALUES ($1, $2)",
                               legacy_heads(plan, versions))
        await conn.execute("ALTER TABLE schema_migrations ALTER COLUMN series SET NOT NULL,"
                           " ADD PRIMARY KEY (series, version)")
        log.info("schema.migrations_table_upgraded", versions=len(versions))
    files = {(m.series, m.version): m.checksum for m in all_migrations(plan)}
    applied: dict[tuple[str, int], str | None] = {}
    for r in await conn.fetch("SELECT series, version, checksum FROM schema_migrations"):
        key = (r["series"], r["version"])
        applied[key] = r["checksum"]
        if r["checksum"] is None and key in files:
            applied[key] = files[key]
            await conn.execute("UPDATE schema_migrations SET checksum = $3 WHERE series = $1 AND version = $2",
                               *key, files[key])
    return applied


async def check_migrated(pool: asyncpg.Pool, schema: str, plan: Plan) -> None:
    """Refuse (:class:`MigrationError`) unless every file of the plan is applied to ``schema`` as it is now."""
    check_ident(schema)
    try:
        rows = await pool.fetch(f"SELECT series, version, checksum FROM {schema}.schema_migrations")
    except (asyncpg.exceptions.UndefinedTableError, asyncpg.exceptions.UndefinedColumnError,
            asyncpg.exceptions.InvalidSchemaNameError):
        rows = []  # never migrated, or only the way before files: all of it is missing
    missing = unapplied(plan, {(r["series"], r["version"]): r["checksum"] for r in rows})
    if missing:
        raise MigrationError(f"schema {schema} lacks {', '.join(m.source for m in missing)}: run the service's"
                             " `migrate` command with the owner's role first")


async def grant(conn: Conn, schema: str, role: str) -> None:
    """Let ``role`` read and write the schema's tables, now and later, but not create, alter or drop any."""
    check_ident(schema)
    check_ident(role)
    await conn.execute(f"""
        GRANT USAGE ON SCHEMA {schema} TO {role};
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role};
        REVOKE INSERT, UPDATE, DELETE ON {schema}.schema_migrations FROM {role};
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role};
        ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
        ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role};
    """)


def from_arrays(columns: Sequence[tuple[str, str]]) -> str:
    """``SELECT … FROM unnest($1::t1[], …) AS u(c1, …)``: a batch's rows passed as one array per column.

    One statement for a whole batch instead of one execution per row (``executemany``). A ``jsonb``
    column travels as text and is cast here.
    """
    arrays = ", ".join(f"${i}::{'text' if kind == 'jsonb' else kind}[]" for i, (_, kind) in enumerate(columns, 1))
    names = ", ".join(name for name, _ in columns)
    chosen = ", ".join(f"{name}::jsonb" if kind == "jsonb" else name for name, kind in columns)
    return f"SELECT {chosen} FROM unnest({arrays}) AS u({names})"


def as_columns(rows: Sequence[Sequence[object]], width: int) -> list[list[object]]:
    """Rows turned into one list per column, the arguments of a :func:`from_arrays` statement."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def unavailable(exc: BaseException) -> ServiceUnavailable:
    return ServiceUnavailable(f"the database does not answer ({type(exc).__name__}); try again shortly")
