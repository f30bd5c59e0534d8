"""PostgreSQL: a pool per service whose ``search_path`` is the service's own schema, and migrations."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

import asyncpg

from shared.errors import ServiceUnavailable

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    # What handlers and commands are given: a connection, or a pool's proxy of one.
    Conn: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:
    Conn = asyncpg.Connection

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
                      work_mem: str | None = None) -> asyncpg.Pool:
    """A pool whose ``search_path`` is ``schemas`` (created if missing); nothing connects at import time.

    JIT compilation is off: it costs tens of milliseconds a statement and pays back only on queries
    far longer than any here. ``work_mem`` lets a service that aggregates (reporting) hash in memory.
    """
    for schema in schemas:
        check_ident(schema)
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


async def migrate(pool: asyncpg.Pool, schema: str, migrations: Sequence[str]) -> None:
    """Apply numbered DDL scripts to ``schema`` once each, in order, under an advisory lock."""
    check_ident(schema)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}; SET LOCAL search_path TO {schema}")
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()))")
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, applied_at timestamptz"
            " NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for version, ddl in enumerate(migrations, start=1):
            if version not in done:
                await conn.execute(ddl)
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)


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
