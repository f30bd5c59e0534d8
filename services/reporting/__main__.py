"""``python -m services.reporting [serve|rebuild]``."""

import sys

from services.reporting.app import create_app
from services.reporting.projection import projection
from services.reporting.settings import ReportingSettings
from shared.cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli(sys.argv[1:], settings_factory=ReportingSettings, create_app=create_app,
                     projection=projection))
