"""``python -m services.routing [serve|migrate|rebuild]``, and ``users`` / ``teams`` / ``erase`` /
``erasures reapply`` / ``keys`` / ``directory sync`` for admins (services/routing/admin.py)."""

import sys

from services.routing import admin
from services.routing.app import create_app
from services.routing.projection import MIGRATIONS as PROJECTION_MIGRATIONS
from services.routing.projection import projection
from services.routing.schema import MIGRATIONS
from services.routing.settings import RoutingSettings
from shared.cli import run_cli


def main(argv: list[str]) -> int:
    return run_cli(argv, settings_factory=RoutingSettings, create_app=create_app, migrations=MIGRATIONS,
                   projection_migrations=PROJECTION_MIGRATIONS, projection=projection,
                   admin=(admin.build_parser, admin.main))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
