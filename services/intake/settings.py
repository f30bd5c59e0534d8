"""Intake's settings."""

from __future__ import annotations

from pydantic import Field

from shared.settings import CookieSessionSettings


class IntakeSettings(CookieSessionSettings):
    service: str = "intake"
    port: int = Field(default=8010, validation_alias="APUA_INTAKE_PORT")
    # The largest request body accepted (413 beyond it): a family's form is far smaller.
    max_body_bytes: int = 64 * 1024
    # Requests one client (told apart by a keyed hash, never stored) may send in the window.
    submit_limit: int = 10
    # Status sign-in attempts a client may make in the window.
    status_limit: int = 30
    # The window (seconds) of both limits above.
    rate_window_s: float = 600.0
    # Wrong pick-up codes one client may enter in its window (services/intake/pickup_throttle.py says why these
    # make guessing hopeless).
    pickup_client_failures: int = 10
    # The window (seconds) of a client's wrong pick-up codes.
    pickup_client_window_s: float = 900.0
    # Wrong pick-up codes for one reference, from any client, before it waits.
    pickup_reference_failures: int = 20
    # The window (seconds) of a reference's wrong codes.
    pickup_reference_window_s: float = 3600.0
