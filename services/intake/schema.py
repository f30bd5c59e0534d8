"""Intake's own tables (``migrations/intake/``): accepted requests, their data keys, pick-up codes, family
sessions, the outbox."""

from pathlib import Path

from shared.migrations import service_series

MIGRATIONS = service_series(Path(__file__).resolve().parent, "intake")
