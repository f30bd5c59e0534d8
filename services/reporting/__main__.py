"""``python -m services.reporting [serve|migrate|rebuild]``."""

import sys

from services.reporting.app import create_app
from services.reporting.projection import MIGRATIONS as PROJECTION_MIGRATIONS
from services.reporting.projection import projection
from services.reporting.schema import MIGRATIONS
from services.reporting.settings import ReportingSettings
from shared.cli import run_cli


def main(argv: list[str]) -> int:
    return run_cli(argv, settings_factory=ReportingSettings, create_app=create_app, migrations=MIGRATIONS,
                   projection_migrations=PROJECTION_MIGRATIONS, projection=projection)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
