"""``python -m services.notify [serve|rebuild]``."""

import sys

from services.notify.app import create_app
from services.notify.projection import projection
from services.notify.settings import NotifySettings
from shared.cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli(sys.argv[1:], settings_factory=NotifySettings, create_app=create_app, projection=projection))
