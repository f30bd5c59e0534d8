"""Routing's settings."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class RoutingSettings(ServiceSettings):
    service: str = "routing"
    port: int = Field(default=8020, validation_alias="APUA_ROUTING_PORT")
