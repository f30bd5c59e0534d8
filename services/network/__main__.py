"""``python -m services.network [serve|migrate|rebuild]``: run the network, migrate or rebuild its schemas;
``campaigns open`` opens a region's recruitment."""

import sys

from services.network import admin
from services.network.app import create_app
from services.network.projection import MIGRATIONS as PROJECTION_MIGRATIONS
from services.network.projection import projection
from services.network.schema import MIGRATIONS
from services.network.settings import NetworkSettings
from shared.cli import run_cli

if __name__ == "__main__":
    if sys.argv[1:2] == ["campaigns"]:
        sys.exit(admin.main(sys.argv[1:]))
    sys.exit(run_cli(sys.argv[1:], settings_factory=NetworkSettings, create_app=create_app, projection=projection,
                     migrations=MIGRATIONS, projection_migrations=PROJECTION_MIGRATIONS))
