"""Reporting's settings."""

from __future__ import annotations

from pydantic import Field, model_validator

from shared.settings import CookieSessionSettings, StaffPassSettings

# Known to everyone who reads this file: accepted only outside production.
DEVELOPMENT_STATISTICS_KEY = "pyyda-apua-development-only-statistics-key"


class ReportingSettings(CookieSessionSettings, StaffPassSettings):
    service: str = "reporting"
    port: int = Field(default=8040, validation_alias="APUA_REPORTING_PORT")
    # The dashboards group a region's cells and sort its response times (medians) in memory.
    db_work_mem: str = "64MB"
    # Where staff sign in (routing's public address): reporting sends them there for a pass.
    staff_url: str = "http://127.0.0.1:8020"
    # Keys the small random perturbation of published counts (see services/reporting/privacy.py).
    statistics_key: str = DEVELOPMENT_STATISTICS_KEY
    # How long a dashboard session lasts after a staff pass.
    session_hours: int = Field(default=8, ge=1, le=24)
    # The oldest a region-year's statistics may be when a page shows them (rollup.py, cube_store.py): the last
    # cube serves while a new one is built, and is rebuilt in the background after half of this.
    stats_max_age_s: float = Field(default=120.0, gt=0, le=3600)
    # Assemble the cubes (the lines and secondary suppression, pure Python) in a worker process of their own, so
    # that no page waits for the interpreter's lock while one is built (cube_worker.py); false: in a thread.
    stats_build_in_process: bool = True
    # Build each region's cube of the current year after a start, once the projection has caught up, so that the
    # first view does not wait for it (warmup.py).
    stats_warm_up: bool = True

    @model_validator(mode="after")
    def _own_statistics_key_in_production(self) -> ReportingSettings:
        if self.environment == "production" and self.statistics_key == DEVELOPMENT_STATISTICS_KEY:
            raise ValueError("APUA_STATISTICS_KEY must be set to a secret of its own in production")
        return self
