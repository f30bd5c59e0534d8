"""Routing's own tables (``migrations/routing/``, not derived from the stream): staff, sessions, the access log,
the command side."""

from pathlib import Path

from shared.migrations import service_series

MIGRATIONS = service_series(Path(__file__).resolve().parent, "routing")
