"""``python -m services.routing directory sync --region … [--from-file F] [--save F]``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import orjson

from services.routing import directory_sync, ptv, ptv_client
from services.routing.schema import MIGRATIONS
from services.routing.settings import RoutingSettings
from shared.db import check_migrated, create_pool, migrate
from shared.errors import DomainError
from shared.regions import Region, load_regions


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    directory = sub.add_parser("directory", help="the region's service directory").add_subparsers(
        dest="action", required=True)
    sync = directory.add_parser("sync", help="read PTV (or a saved file) and publish the services that changed")
    sync.add_argument("--region", required=True)
    sync.add_argument("--from-file", type=Path, help="a bundle saved earlier with --save, instead of PTV")
    sync.add_argument("--save", type=Path, help="keep what PTV answered in this file")


async def bundle_for(region: Region, args: argparse.Namespace) -> dict[str, Any]:
    if args.from_file is not None:
        try:
            loaded = orjson.loads(args.from_file.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise DomainError(f"cannot read {args.from_file}: {exc}") from exc
        if not isinstance(loaded, dict) or loaded.get("api") != "ptv-v11":
            raise DomainError(f"{args.from_file} is not a PTV bundle saved by directory sync --save")
        return loaded
    if region.ptv is None:
        return {"api": "ptv-v11", "organizations": {}, "channels": []}
    return await ptv_client.fetch_bundle(region.ptv.url, [o.id for o in region.ptv.organizations])


async def run(args: argparse.Namespace, settings: RoutingSettings) -> str:
    regions = load_regions(settings.regions_dir, settings.regions or None)
    region = regions.by_id.get(args.region)
    if region is None:
        raise DomainError(f"no region '{args.region}' is configured")
    bundle = await bundle_for(region, args)
    if args.save is not None:
        args.save.write_bytes(orjson.dumps(bundle, option=orjson.OPT_INDENT_2))
    services = directory_sync.merge(ptv.directory_of(bundle, region), region)
    pool = await create_pool(settings.database_url, [settings.db_schema], create_schemas=settings.migrates_on_start)
    try:
        if settings.migrates_on_start:
            await migrate(pool, settings.db_schema, MIGRATIONS)
        else:
            await check_migrated(pool, settings.db_schema, MIGRATIONS)
        async with pool.acquire() as conn:
            done = await directory_sync.publish(conn, region, services, topic_prefix=settings.topic_prefix)
    finally:
        await pool.close()
    return (f"directory of {region.id}: {len(services)} services, {len(done.upserts)} published,"
            f" {len(done.removals)} removed, {done.unchanged} unchanged")
