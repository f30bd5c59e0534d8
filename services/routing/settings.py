"""Routing's settings."""

from __future__ import annotations

import secrets

from pydantic import Field

from shared.settings import ServiceSettings


class RoutingSettings(ServiceSettings):
    service: str = "routing"
    port: int = Field(default=8020, validation_alias="APUA_ROUTING_PORT")
    secure_cookies: bool = False
    # OpenID Connect for a region's own identity provider: on when the issuer is set.
    oidc_issuer: str | None = None
    oidc_client_id: str = "pyyda-apua-routing"
    oidc_client_secret: str = ""
    oidc_username_claim: str = "preferred_username"
    oidc_state_secret: str = Field(default_factory=lambda: secrets.token_urlsafe(32))
    # A DeadlineWarning is raised this many working hours before the end of the due day.
    warn_business_hours: float = 4.0
    deadline_check_s: float = 30.0

    @property
    def cookie_secure(self) -> bool:
        return self.secure_cookies or self.environment == "production"
