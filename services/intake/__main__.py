"""``python -m services.intake [serve|migrate]``: run intake, or migrate its schemas; ``keys rewrap`` after a
KEK rotation."""

import sys

from services.intake import admin
from services.intake.app import create_app
from services.intake.projection import MIGRATIONS as PROJECTION_MIGRATIONS
from services.intake.schema import MIGRATIONS
from services.intake.settings import IntakeSettings
from shared.cli import run_cli

if __name__ == "__main__":
    if sys.argv[1:2] == ["keys"]:
        sys.exit(admin.main(sys.argv[1:]))
    sys.exit(run_cli(sys.argv[1:], settings_factory=IntakeSettings, create_app=create_app,
                     migrations=MIGRATIONS, projection_migrations=PROJECTION_MIGRATIONS))
