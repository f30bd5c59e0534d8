"""``python -m services.routing [serve|migrate|rebuild]``, and ``users add`` / ``teams add`` / ``erase`` /
``erasures reapply`` / ``keys rewrap`` / ``directory sync`` for admins."""

import sys

from services.routing import admin
from services.routing.app import create_app
from services.routing.projection import MIGRATIONS as PROJECTION_MIGRATIONS
from services.routing.projection import projection
from services.routing.schema import MIGRATIONS
from services.routing.settings import RoutingSettings
from shared.cli import run_cli

if __name__ == "__main__":
    if sys.argv[1:2] in (["users"], ["teams"], ["erase"], ["erasures"], ["keys"], ["directory"]):
        sys.exit(admin.main(sys.argv[1:]))
    sys.exit(run_cli(sys.argv[1:], settings_factory=RoutingSettings, create_app=create_app,
                     migrations=MIGRATIONS, projection_migrations=PROJECTION_MIGRATIONS, projection=projection))
