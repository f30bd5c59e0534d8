"""``python -m services.intake [serve|migrate]``: run intake, or migrate its schemas; ``keys rewrap`` after a
KEK rotation and ``feedback move-legacy`` (services/intake/admin.py)."""

import sys

from services.intake import admin
from services.intake.app import create_app
from services.intake.projection import MIGRATIONS as PROJECTION_MIGRATIONS
from services.intake.schema import MIGRATIONS
from services.intake.settings import IntakeSettings
from shared.cli import run_cli


def main(argv: list[str]) -> int:
    return run_cli(argv, settings_factory=IntakeSettings, create_app=create_app, migrations=MIGRATIONS,
                   projection_migrations=PROJECTION_MIGRATIONS, admin=(admin.build_parser, admin.main))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
