"""The durable floor under intake: the bare endpoint plus one PostgreSQL insert, committed, per request.

``python -m bench.bare_insert PORT DSN`` serves ``POST /api/v1/requests`` with intake's own
``NewRequest`` model, inserts one row into a plain table and answers 201 once PostgreSQL has
committed it. The stack is intake's: uvicorn and FastAPI, an asyncpg pool from ``shared.db`` of
intake's default size, the same PostgreSQL with its own ``synchronous_commit``, and start-up
objects frozen out of the collector's reach as ``shared.cli`` does. No sealing, no outbox, no
relay, no middleware: what any durable accept costs at the least.
"""

from __future__ import annotations

import gc
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated

import asyncpg
import uvicorn
from fastapi import Depends, FastAPI, Request

from services.intake.models import Accepted, NewRequest
from shared.db import create_pool
from shared.settings import ServiceSettings

SCHEMA = "bench_floor"
# A plain table: one key, as intake's requests have, and nothing else that costs on insert.
TABLE = f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.requests (
    case_id uuid PRIMARY KEY, submission_id uuid NOT NULL, municipality text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now())"""
INSERT = "INSERT INTO requests (case_id, submission_id, municipality) VALUES ($1, $2, $3)"


def get_pool(request: Request) -> asyncpg.Pool:
    """The pool the lifespan opened."""
    pool: asyncpg.Pool = request.app.state.pool
    return pool


PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]


def create_app(dsn: str) -> FastAPI:
    """The endpoint, with a lifespan that opens the pool and makes the table."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await create_pool(dsn, [SCHEMA], max_size=ServiceSettings.model_fields["db_pool_max"].default)
        try:
            await app.state.pool.execute(TABLE)
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/api/v1/requests", status_code=201, response_model=Accepted)
    async def post_request(body: NewRequest, pool: PoolDep) -> Accepted:
        case_id = uuid.uuid4()
        await pool.execute(INSERT, case_id, body.submission_id, body.municipality)  # its own transaction: a commit
        return Accepted(case_id=case_id, reference="BARE-0000", region="bench", municipality=body.municipality,
                        answer_due=date.today(), deadline_business_days=1, pickup_code="BARE0-BARE0-BARE0-BARE0")

    return app


def main(port: int, dsn: str) -> None:
    """Serve the endpoint on ``port`` as the services are served."""
    app = create_app(dsn)
    gc.collect()
    gc.freeze()
    gc.set_threshold(7000, 10, 10)
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
