"""``python -m services.intake keys rewrap``: intake's own secrets wrapped again under the current KEK;
``python -m services.intake feedback move-legacy``: accessibility feedback kept in plain text by earlier versions
moved, sealed, onto its region's stream, and deleted here.

The case keys intake keeps follow routing's ``keys rewrap`` on the key topic; what only intake holds (the
pick-up codes' hashing key) is rewrapped here. See docs/operations.md, "Rotating the KEK".
"""

from __future__ import annotations

import argparse
import asyncio

from services.intake.accessibility_feedback import record_feedback
from services.intake.pickup_secret import rewrap_secrets
from services.intake.schema import MIGRATIONS
from services.intake.service import new_reference
from services.intake.settings import IntakeSettings
from shared.app import UnitOfWork
from shared.db import Conn, check_migrated, create_pool
from shared.errors import NotFound
from shared.regions import Regions, load_regions
from shared.tracing import configure_tracing


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.intake")
    what = parser.add_subparsers(dest="what", required=True)
    keys = what.add_parser("keys", help="the KEK's keys")
    keys.add_subparsers(dest="action", required=True).add_parser(
        "rewrap", help="wrap intake's own secrets again under the current KEK")
    feedback = what.add_parser("feedback", help="accessibility feedback")
    feedback.add_subparsers(dest="action", required=True).add_parser(
        "move-legacy", help="move feedback an earlier version kept in plain text onto its region's stream")
    return parser


async def move_legacy_feedback(conn: Conn, settings: IntakeSettings, regions: Regions) -> tuple[int, int]:
    """Each old row with a known municipality becomes a sealed feedback of its region and is deleted; returns
    (moved, left): rows naming no municipality stay for an operator to place or delete."""
    moved = left = 0
    for row in await conn.fetch("SELECT id, received_at, municipality, language, feedback, contact"
                                " FROM accessibility_feedback ORDER BY id"):
        try:
            region, municipality = regions.region_of(row["municipality"] or "")
        except NotFound:
            left += 1
            continue
        uow = UnitOfWork(conn)
        await record_feedback(uow=uow, region=region, municipality=municipality, language=row["language"],
                              text=row["feedback"], contact=row["contact"], reference=new_reference(),
                              settings=settings, received_at=row["received_at"])
        await conn.execute("DELETE FROM accessibility_feedback WHERE id = $1", row["id"])
        moved += 1
    return moved, left


async def run(args: argparse.Namespace, settings: IntakeSettings) -> str:
    pool = await create_pool(settings.database_url, [settings.db_schema], create_schemas=False)
    try:
        await check_migrated(pool, settings.db_schema, MIGRATIONS)
        async with pool.acquire() as conn:
            if args.what == "feedback":
                regions = load_regions(settings.regions_dir, settings.regions or None)
                moved, left = await move_legacy_feedback(conn, settings, regions)
                return (f"{moved} feedback(s) moved onto their regions' streams; {left} naming no municipality left"
                        " in accessibility_feedback")
            done = await rewrap_secrets(conn, settings.keyring)
    finally:
        await pool.close()
    return f"{done} secret(s) rewrapped under KEK {settings.kek_id}"


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    settings = IntakeSettings()
    configure_tracing(settings.service)  # what it puts on a stream starts a trace of its own
    print(asyncio.run(run(args, settings)))  # noqa: T201 - command-line output
    return 0
