"""Pools and migrations: instances of a service may start at once against a database without their schemas;
files are recorded with their checksums, a changed one is refused, databases migrated before the files upgrade,
and the services run in production as a role that reads and writes but cannot create."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import shutil
import sys
from pathlib import Path

import asyncpg
import pytest

from services.intake.projection import MIGRATIONS as INTAKE_PROJECTION
from services.intake.schema import MIGRATIONS as INTAKE
from services.notify.projection import MIGRATIONS as NOTIFY_PROJECTION
from services.notify.schema import MIGRATIONS as NOTIFY
from services.reporting.projection import MIGRATIONS as REPORTING_PROJECTION
from services.reporting.schema import MIGRATIONS as REPORTING
from services.routing.projection import MIGRATIONS as ROUTING_PROJECTION
from services.routing.schema import MIGRATIONS as ROUTING
from shared.db import check_migrated, create_pool, migrate
from shared.migrations import HERE as SHARED_MIGRATIONS
from shared.migrations import Inline, MigrationError, Plan, Series, all_migrations, tracking
from shared.settings import ROOT
from tests.support import APPS, request_body, running, settings_for

pytestmark = pytest.mark.integration
PLANS: dict[str, Plan] = {
    "intake": INTAKE, "routing": ROUTING, "notify": NOTIFY, "reporting": REPORTING,
    "routing_projection": ROUTING_PROJECTION, "notify_projection": NOTIFY_PROJECTION,
    "reporting_projection": REPORTING_PROJECTION,
}


async def test_instances_starting_together_each_get_their_schemas_migrated_once(postgres, prefix):
    schemas = [f"a_{prefix}_projection", f"a_{prefix}"]
    pools = await asyncio.gather(*(create_pool(postgres.dsn, schemas, max_size=2) for _ in range(8)))
    try:
        for pool in pools:
            assert await pool.fetchval("SELECT current_schemas(false)") == schemas
        migrations = [Inline("things", ("CREATE TABLE things (id int PRIMARY KEY)",
                                        "ALTER TABLE things ADD COLUMN name text"))]
        await asyncio.gather(*(migrate(pool, schemas[1], migrations) for pool in pools))
        assert await pools[0].fetchval("SELECT count(*) FROM schema_migrations") == 2
        assert await pools[0].fetchval("SELECT count(*) FROM things") == 0
    finally:
        await asyncio.gather(*(pool.close() for pool in pools))


async def recorded(pool: asyncpg.Pool, schema: str) -> dict[tuple[str, int], str]:
    rows = await pool.fetch(f"SELECT series, version, checksum FROM {schema}.schema_migrations")
    return {(r["series"], r["version"]): r["checksum"] for r in rows}


def expected(plan: Plan) -> dict[tuple[str, int], str]:
    return {(m.series, m.version): m.checksum for m in all_migrations(plan)}


async def test_every_file_is_recorded_with_the_sha256_of_its_bytes(postgres, prefix):
    schema = f"r_{prefix}_projection"
    pool = await create_pool(postgres.dsn, [schema], max_size=2)
    try:
        await migrate(pool, schema, ROUTING_PROJECTION)
        rows = await recorded(pool, schema)
        assert rows == expected(ROUTING_PROJECTION)
        assert ("tracking", 1) in rows and ("projection", 2) in rows
        first = SHARED_MIGRATIONS / "tracking" / "0001_projection_offsets_and_processed_events.sql"
        assert rows[("tracking", 1)] == hashlib.sha256(first.read_bytes()).hexdigest()
        await migrate(pool, schema, ROUTING_PROJECTION)  # again: nothing to do
        await check_migrated(pool, schema, ROUTING_PROJECTION)
        assert await recorded(pool, schema) == rows
    finally:
        await pool.close()


async def test_a_changed_applied_file_is_refused_by_name(postgres, prefix, tmp_path: Path):
    folder = tmp_path / "things"
    folder.mkdir()
    (folder / "0001_things.sql").write_text("CREATE TABLE things (id int PRIMARY KEY);\n")
    schema = f"c_{prefix}"
    pool = await create_pool(postgres.dsn, [schema], max_size=2)
    try:
        await migrate(pool, schema, [Series("things", folder)])
        (folder / "0001_things.sql").write_text("CREATE TABLE things (id bigint PRIMARY KEY);\n")
        (folder / "0002_more.sql").write_text("CREATE TABLE more (id int);\n")
        for attempt in (migrate, check_migrated):
            with pytest.raises(MigrationError, match="0001_things.sql"):
                await attempt(pool, schema, [Series("things", folder)])
        assert await pool.fetchval("SELECT to_regclass('more')") is None, "nothing applied after a refusal"
        # A file added is missing until migrated; start-up in production refuses it by name.
        (folder / "0001_things.sql").write_text("CREATE TABLE things (id int PRIMARY KEY);\n")
        with pytest.raises(MigrationError, match="0002_more.sql"):
            await check_migrated(pool, schema, [Series("things", folder)])
        await migrate(pool, schema, [Series("things", folder)])
        await check_migrated(pool, schema, [Series("things", folder)])
    finally:
        await pool.close()


async def migrate_the_old_way(pool: asyncpg.Pool, schema: str, plan: Plan) -> None:
    """What the services did before the files: one list of scripts by position in bare ``version`` rows, the
    tracking tables the head of a projection's first script."""
    *heads, main = plan
    scripts = [m.sql for m in main.migrations]
    scripts[0] = "".join(m.sql for head in heads for m in head.migrations[:1]) + scripts[0]
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f"SET LOCAL search_path TO {schema}")
        await conn.execute("CREATE TABLE schema_migrations (version int PRIMARY KEY, applied_at timestamptz"
                           " NOT NULL DEFAULT now())")
        for version, ddl in enumerate(scripts, start=1):
            await conn.execute(ddl)
            await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)


async def test_databases_migrated_before_the_files_upgrade_without_running_anything_again(postgres, prefix):
    schemas = {name: f"o_{prefix}_{name}" for name in PLANS}
    pool = await create_pool(postgres.dsn, list(schemas.values()), max_size=2)
    try:
        for name, plan in PLANS.items():
            await migrate_the_old_way(pool, schemas[name], plan)
        for name, plan in PLANS.items():
            await migrate(pool, schemas[name], plan)  # would fail on a table that exists if it ran a file again
            assert await recorded(pool, schemas[name]) == expected(plan), name
            await check_migrated(pool, schemas[name], plan)
        assert await pool.fetchval(f"SELECT count(*) FROM {schemas['routing_projection']}.processed_events") == 0
    finally:
        await pool.close()


async def test_a_tracking_file_added_later_reaches_old_and_new_projections(postgres, prefix, tmp_path: Path):
    """The tracking series grows by a file; a projection migrated the old way and one migrated with files get it."""
    folder = tmp_path / "tracking"
    shutil.copytree(tracking().folder, folder)
    count = len(tracking().migrations)
    (folder / f"{count + 1:04d}_a_column.sql").write_text("ALTER TABLE processed_events ADD COLUMN later int;\n")
    grown = [Series("tracking", folder, within_legacy_first=1), ROUTING_PROJECTION[-1]]
    old, new = f"o_{prefix}_projection", f"n_{prefix}_projection"
    pool = await create_pool(postgres.dsn, [old, new], max_size=2)
    try:
        await migrate_the_old_way(pool, old, ROUTING_PROJECTION)
        await migrate(pool, new, ROUTING_PROJECTION)
        for schema in (old, new):
            await migrate(pool, schema, grown)
            assert await recorded(pool, schema) == expected(grown)
            await pool.execute(f"INSERT INTO {schema}.processed_events (event_id, later)"
                               " VALUES (gen_random_uuid(), 1)")
    finally:
        await pool.close()


def as_role(dsn: str, role: str) -> str:
    return dsn.replace("postgresql://apua@", f"postgresql://{role}@")


@pytest.fixture
async def app_role(postgres, prefix):
    """A login role that owns nothing, as production's services use."""
    role = f"{prefix}_app"
    conn = await asyncpg.connect(postgres.dsn)
    try:
        await conn.execute(f"CREATE ROLE {role} LOGIN")
        yield role
    finally:
        await conn.close()


async def test_the_app_role_reads_and_writes_but_cannot_create(postgres, prefix, app_role):
    schemas = [f"routing_{prefix}_projection", f"routing_{prefix}"]
    owner = await create_pool(postgres.dsn, schemas, max_size=2)
    try:
        await migrate(owner, schemas[1], ROUTING, app_role=app_role)
        await migrate(owner, schemas[0], ROUTING_PROJECTION, app_role=app_role)
        # A table a later file makes is the app's to use as well (default privileges).
        await migrate(owner, schemas[1], [*ROUTING, Inline("later", ("CREATE TABLE later (id bigserial)",))],
                      app_role=app_role)
    finally:
        await owner.close()
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await create_pool(as_role(postgres.dsn, app_role), schemas, max_size=1)
    pool = await create_pool(as_role(postgres.dsn, app_role), schemas, max_size=1, create_schemas=False)
    try:
        await check_migrated(pool, schemas[1], ROUTING)
        await check_migrated(pool, schemas[0], ROUTING_PROJECTION)
        await pool.execute("INSERT INTO outbox (topic, value) VALUES ('t', 'v')")  # a bigserial: its sequence
        await pool.execute("UPDATE outbox SET topic = 'u'")
        assert await pool.fetchval("SELECT topic FROM outbox") == "u"
        await pool.execute("DELETE FROM outbox")
        await pool.execute("INSERT INTO projection_offsets VALUES ('t', 0, 1)")
        await pool.execute("INSERT INTO later DEFAULT VALUES")
        for statement in ("CREATE TABLE mine (id int)", f"CREATE TABLE {schemas[0]}.mine (id int)",
                          "DROP TABLE outbox", "ALTER TABLE outbox ADD COLUMN x int", "TRUNCATE outbox",
                          "DELETE FROM schema_migrations", f"CREATE SCHEMA {prefix}_mine"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await pool.execute(statement)
    finally:
        await pool.close()


async def test_in_production_a_service_only_checks_and_serves_as_the_app_role(postgres, prefix, app_role):
    """Intake, in production with the app role: refused until `migrate` ran as the owner, then it serves."""
    kek = base64.b64encode(b"a-key-of-this-test-only-32-bytes").decode()
    owner = settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap="127.0.0.1:9", kek=kek,
                         database_app_role=app_role)
    settings = owner.model_copy(update={"environment": "production", "database_url": as_role(postgres.dsn, app_role)})
    assert not settings.migrates_on_start
    with pytest.raises(MigrationError, match="migrate"):
        async with running(APPS["intake"](settings)):
            pass
    pool = await create_pool(postgres.dsn, [owner.projection_schema, owner.db_schema], max_size=1)
    try:
        await migrate(pool, owner.db_schema, INTAKE, app_role=app_role)
        await migrate(pool, owner.projection_schema, INTAKE_PROJECTION, app_role=app_role)
    finally:
        await pool.close()
    async with running(APPS["intake"](settings)) as client:
        response = await client.post("/api/v1/requests", json=request_body("raisio"))
        assert response.status_code == 201, response.text


async def test_the_migrate_command_migrates_both_schemas_grants_and_can_run_again(postgres, prefix, app_role):
    """It needs no secret of the service's: production's job is given the owner's database URL and the role."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("APUA_")}, "APUA_DATABASE_URL": postgres.dsn,
           "APUA_DB_SCHEMA": f"notify_{prefix}", "APUA_DATABASE_APP_ROLE": app_role, "APUA_ENVIRONMENT": "production"}
    for _ in range(2):
        done = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.notify", "migrate", env=env,
                                                    cwd=ROOT)
        assert await done.wait() == 0
    pool = await create_pool(as_role(postgres.dsn, app_role), [f"notify_{prefix}_projection", f"notify_{prefix}"],
                             max_size=1, create_schemas=False)
    try:
        await check_migrated(pool, f"notify_{prefix}", NOTIFY)
        await check_migrated(pool, f"notify_{prefix}_projection", NOTIFY_PROJECTION)
        assert await pool.fetchval("SELECT count(*) FROM deliveries") == 0
    finally:
        await pool.close()
