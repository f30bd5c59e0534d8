"""Intake's settings."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service: str = "intake"
    port: int = Field(default=8010, validation_alias="APUA_INTAKE_PORT")
    max_body_bytes: int = 64 * 1024
