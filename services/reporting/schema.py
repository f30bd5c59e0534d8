"""Reporting's own tables (schema ``reporting``, ``migrations/reporting/``): statistics sessions, never
statistics."""

from pathlib import Path

from shared.migrations import service_series

MIGRATIONS = service_series(Path(__file__).resolve().parent, "reporting")
