"""``python -m services.<svc> [serve|rebuild]``: the same command line for every service."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from shared.applier import DedupWindow, Projection
from shared.logging import configure_logging
from shared.rebuild import rebuild
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings


def run_cli(
    argv: list[str] | None,
    *,
    settings_factory: Callable[[], ServiceSettings],
    create_app: Callable[..., FastAPI],
    projection: Callable[[ServiceRuntime], Projection] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=None)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the HTTP service and its background tasks (default)")
    if projection is not None:
        rb = sub.add_parser("rebuild", help="replay the stream from offset 0 into a fresh projection and swap it in")
        rb.add_argument("--no-swap", action="store_true", help="leave the rebuilt schema beside the live one")
    args = parser.parse_args(argv)
    settings = settings_factory()
    configure_logging(settings.service, settings.log_level)
    if args.command == "rebuild":
        assert projection is not None
        runtime = ServiceRuntime(settings)
        proj = projection(runtime)
        result = asyncio.run(rebuild(
            dsn=settings.database_url, service_schema=settings.db_schema,
            projection_schema=runtime.projection_schema, bootstrap=settings.kafka_bootstrap,
            topics=runtime.projection_topics(proj), projection=proj, swap=not args.no_swap,
            window=DedupWindow(offsets=settings.dedup_window_offsets)))
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
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False, lifespan="on")
    return 0
