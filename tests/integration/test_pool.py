"""Pools and migrations: instances of a service may start at once against a database without their schemas."""

from __future__ import annotations

import asyncio

import pytest

from shared.db import create_pool, migrate

pytestmark = pytest.mark.integration


async def test_instances_starting_together_each_get_their_schemas_migrated_once(postgres, prefix):
    schemas = [f"a_{prefix}_projection", f"a_{prefix}"]
    pools = await asyncio.gather(*(create_pool(postgres.dsn, schemas, max_size=2) for _ in range(8)))
    try:
        for pool in pools:
            assert await pool.fetchval("SELECT current_schemas(false)") == schemas
        migrations = ["CREATE TABLE things (id int PRIMARY KEY)", "ALTER TABLE things ADD COLUMN name text"]
        await asyncio.gather(*(migrate(pool, schemas[1], migrations) for pool in pools))
        assert await pools[0].fetchval("SELECT count(*) FROM schema_migrations") == 2
        assert await pools[0].fetchval("SELECT count(*) FROM things") == 0
    finally:
        await asyncio.gather(*(pool.close() for pool in pools))
