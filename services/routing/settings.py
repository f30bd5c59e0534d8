"""Routing's settings."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from pydantic import Field

from shared.settings import CookieSessionSettings, StaffPassSettings


class RoutingSettings(CookieSessionSettings, StaffPassSettings):
    service: str = "routing"
    port: int = Field(default=8020, validation_alias="APUA_ROUTING_PORT")
    # OpenID Connect for a region's own identity provider: on when the issuer is set.
    oidc_issuer: str | None = None
    # Routing's client id at the identity provider.
    oidc_client_id: str = "pyyda-apua-routing"
    # The client secret of APUA_OIDC_CLIENT_ID.
    oidc_client_secret: str = ""
    # The ID token's claim that names the staff account.
    oidc_username_claim: str = "preferred_username"
    # Signs the sign-in's state cookie; unset: a random one per process (a sign-in begun on another instance
    # then fails: set one secret for all instances).
    oidc_state_secret: str = Field(default_factory=lambda: secrets.token_urlsafe(32))
    # How often (seconds) the scheduler looks for cases whose warning time (the region's) or promised day came.
    deadline_check_s: float = 30.0
    # The retention job (requests that never became client work are erased): hourly, first after an hour.
    retention_check_s: float = 3600.0
    # How often a roll marker goes to every partition of the key topics, so that a quiet partition's
    # segment rolls and an erased key is compacted away in time (shared/keyroll.py).
    key_roll_marker_s: float = Field(default=60.0, gt=0)
    # Reporting's public address (the statistics), where staff passes take staff.
    reporting_url: str = "http://127.0.0.1:8040"
    # Where a network coordinator is passed on to (the change agents' network's public address).
    network_url: str = "http://127.0.0.1:8050"
    # Slowing password guessers (services.routing.throttle): the window (seconds) the failed sign-ins below
    # are counted in.
    sign_in_window_s: float = Field(default=600.0, gt=0)
    # Failed sign-ins one address may make in the window.
    sign_in_client_failures: int = Field(default=20, ge=1)
    # Failures in a row on one username before each next try waits twice as long.
    sign_in_free_failures: int = Field(default=3, ge=1)
    # Failures on one username from all addresses before those that failed on it wait for the window.
    sign_in_account_failures: int = Field(default=50, ge=1)

    @property
    def reporting_origin(self) -> str:
        parts = urlsplit(self.reporting_url)
        return f"{parts.scheme}://{parts.netloc}"

