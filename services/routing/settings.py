"""Routing's settings."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class RoutingSettings(ServiceSettings):
    service: str = "routing"
    port: int = Field(default=8020, validation_alias="APUA_ROUTING_PORT")
    secure_cookies: bool = False
    # A DeadlineWarning is raised this many working hours before the end of the due day.
    warn_business_hours: float = 4.0
    deadline_check_s: float = 30.0

    @property
    def cookie_secure(self) -> bool:
        return self.secure_cookies or self.environment == "production"
