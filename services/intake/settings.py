"""Intake's settings."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service: str = "intake"
    port: int = Field(default=8010, validation_alias="APUA_INTAKE_PORT")
    # The largest request body accepted (413 beyond it): a family's form is far smaller.
    max_body_bytes: int = 64 * 1024
    # Per client (told apart by a keyed hash, never stored): requests sent and status sign-in attempts.
    submit_limit: int = 10
    status_limit: int = 30
    rate_window_s: float = 600.0
    # Wrong pick-up codes (services/intake/pickup_throttle.py says why these make guessing hopeless).
    pickup_client_failures: int = 10
    pickup_client_window_s: float = 900.0
    pickup_reference_failures: int = 20
    pickup_reference_window_s: float = 3600.0
    secure_cookies: bool = False

    @property
    def cookie_secure(self) -> bool:
        """Cookies only over TLS in production; local runs are plain HTTP."""
        return self.secure_cookies or self.environment == "production"
