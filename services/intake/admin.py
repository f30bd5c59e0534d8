"""``python -m services.intake keys rewrap``: intake's own secrets wrapped again under the current KEK.

The case keys intake keeps follow routing's ``keys rewrap`` on the key topic; what only intake holds (the
pick-up codes' hashing key) is rewrapped here. See docs/operations.md, "Rotating the KEK".
"""

from __future__ import annotations

import argparse
import asyncio

from services.intake.pickup_secret import rewrap_secrets
from services.intake.schema import MIGRATIONS
from services.intake.settings import IntakeSettings
from shared.db import check_migrated, create_pool


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.intake")
    keys = parser.add_subparsers(dest="what", required=True).add_parser("keys", help="the KEK's keys")
    keys.add_subparsers(dest="action", required=True).add_parser(
        "rewrap", help="wrap intake's own secrets again under the current KEK")
    return parser


async def run(args: argparse.Namespace, settings: IntakeSettings) -> str:
    pool = await create_pool(settings.database_url, [settings.db_schema], create_schemas=False)
    try:
        await check_migrated(pool, settings.db_schema, MIGRATIONS)
        async with pool.acquire() as conn:
            done = await rewrap_secrets(conn, settings.keyring)
    finally:
        await pool.close()
    return f"{done} secret(s) rewrapped under KEK {settings.kek_id}"


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    print(asyncio.run(run(args, IntakeSettings())))  # noqa: T201 - command-line output
    return 0
