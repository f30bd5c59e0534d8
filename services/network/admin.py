"""``python -m services.network campaigns open --region … --opens YYYY-MM-DD --closes YYYY-MM-DD``: a region's
recruitment, open from the start of the opening day to the end of the closing day (Helsinki time)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date

from services.network import service
from services.network.schema import MIGRATIONS
from services.network.settings import NetworkSettings
from shared.app import UnitOfWork
from shared.db import check_migrated, create_pool
from shared.regions import load_regions


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.network")
    what = parser.add_subparsers(dest="what", required=True)
    campaigns = what.add_parser("campaigns", help="recruitment campaigns")
    opened = campaigns.add_subparsers(dest="action", required=True).add_parser("open", help="open a recruitment")
    opened.add_argument("--region", required=True)
    opened.add_argument("--opens", required=True, type=date.fromisoformat, help="the first day, YYYY-MM-DD")
    opened.add_argument("--closes", required=True, type=date.fromisoformat, help="the last day, YYYY-MM-DD")
    return parser


async def _open(args: argparse.Namespace) -> None:
    settings = NetworkSettings()
    regions = load_regions(settings.regions_dir, settings.regions or None)
    pool = await create_pool(settings.database_url, [settings.db_schema], max_size=2, timeout=settings.db_timeout_s)
    try:
        await check_migrated(pool, settings.db_schema, MIGRATIONS)
        async with pool.acquire() as conn:
            campaign_id = await service.open_campaign(uow=UnitOfWork(conn), settings=settings, regions=regions,
                                                      region=args.region, opening_day=args.opens,
                                                      closing_day=args.closes)
    finally:
        await pool.close()
    sys.stdout.write(f"{campaign_id}\n")


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    asyncio.run(_open(args))
    return 0
