"""Notify's own tables (``migrations/notify/``): what was delivered (not derived from the stream), and the
outbox."""

from pathlib import Path

from shared.migrations import service_series

MIGRATIONS = service_series(Path(__file__).resolve().parent, "notify")
