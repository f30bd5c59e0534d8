"""Reporting's settings."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    service: str = "reporting"
    port: int = Field(default=8040, validation_alias="APUA_REPORTING_PORT")
