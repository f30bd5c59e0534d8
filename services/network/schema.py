"""The network's own tables (``migrations/network/``): campaigns, applications and agents, their wrapped keys,
the outbox."""

from pathlib import Path

from shared.migrations import service_series

MIGRATIONS = service_series(Path(__file__).resolve().parent, "network")
