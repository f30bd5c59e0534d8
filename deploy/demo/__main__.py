"""``python -m deploy.demo``: load a region's demo year into running services (started with APUA_DEMO_CLOCK=true)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime

from deploy.demo.drive import DemoLoadFailed, load_year
from deploy.local.run import DEMO_ACCOUNTS, DEMO_PASSWORD
from shared.businessdays import HELSINKI
from shared.regions import load_regions
from shared.settings import ROOT, ServiceSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.demo", description=__doc__)
    parser.add_argument("--region", required=True, help="a region id, such as varsinais-suomi")
    parser.add_argument("--intake", default="http://127.0.0.1:8010", help="intake's base URL")
    parser.add_argument("--routing", default="http://127.0.0.1:8020", help="routing's base URL")
    parser.add_argument("--password", default=DEMO_PASSWORD, help="the demo staff accounts' password")
    parser.add_argument("--seed", type=int, default=2026, help="the same seed gives the same year")
    parser.add_argument("--per-1000", type=float, default=12.0, help="requests a year per 1,000 children")
    parser.add_argument("--end", type=date.fromisoformat, default=datetime.now(HELSINKI).date(),
                        help="the year ends the day before this date (default: today, Helsinki)")
    parser.add_argument("--concurrency", type=int, default=8, help="cases in flight at once")
    parser.add_argument("--regions-dir", default=str(ROOT / "deploy" / "regions"))
    args = parser.parse_args(argv)
    region = load_regions(ROOT / args.regions_dir, [args.region]).by_id[args.region]
    try:
        loaded = asyncio.run(load_year(
            region, end=args.end, seed=args.seed, intake=args.intake, routing=args.routing, accounts=DEMO_ACCOUNTS,
            password=args.password, per_1000_children=args.per_1000, concurrency=args.concurrency,
            report=lambda line: print(line, flush=True),  # noqa: T201
            keyring=ServiceSettings().keyring))  # the services' KEKs, from the same environment (APUA_KEK…)
    except DemoLoadFailed as exc:
        print(f"the demo year stopped: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    print(f"{region.id}: {loaded.cases} requests ({loaded.new} new), {loaded.commands} staff commands, "  # noqa: T201
          f"{loaded.referral_answers} referral answers behind the services' links, "
          f"{loaded.feedback} feedback answers in {loaded.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
