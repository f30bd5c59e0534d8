"""``python -m services.notify [serve|migrate|rebuild]``."""

import sys

from services.notify.app import create_app
from services.notify.projection import MIGRATIONS as PROJECTION_MIGRATIONS
from services.notify.projection import projection
from services.notify.schema import MIGRATIONS
from services.notify.settings import NotifySettings
from shared.cli import run_cli


def main(argv: list[str]) -> int:
    return run_cli(argv, settings_factory=NotifySettings, create_app=create_app, migrations=MIGRATIONS,
                   projection_migrations=PROJECTION_MIGRATIONS, projection=projection)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
