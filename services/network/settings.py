"""The network's settings."""

from __future__ import annotations

from pydantic import Field

from shared.settings import CookieSessionSettings, StaffPassSettings


class NetworkSettings(CookieSessionSettings, StaffPassSettings):
    service: str = "network"
    port: int = Field(default=8050, validation_alias="APUA_NETWORK_PORT")
    max_body_bytes: int = 32 * 1024
    # The address the links in the network's mail lead to (this service's public address).
    network_url: str = "http://127.0.0.1:8050"
    # The version of the consent text the form shows (the catalogs' "consent_text"); recorded with each
    # application, so a changed text is a new version and what each agent agreed to stays known.
    consent_version: str = Field(default="2026-01", pattern=r"^[A-Za-z0-9._-]{1,32}$")
    # How long the confirmation link mailed to an applicant is valid.
    confirm_days: int = Field(default=14, ge=1, le=60)
    # How often a roll marker goes to each partition of the network key topics (shared/keyroll.py).
    key_roll_marker_s: float = Field(default=60.0, gt=0)
    # How long a coordinator's session lasts. The network does not read the staff directory (its Kafka user may
    # not), so a disabled account's session here ends with this, not at once: kept short.
    session_hours: int = Field(default=4, ge=1, le=12)
