"""Notify's settings."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    service: str = "notify"
    port: int = Field(default=8030, validation_alias="APUA_NOTIFY_PORT")
