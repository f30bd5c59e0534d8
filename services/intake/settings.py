"""Intake's settings."""

from __future__ import annotations

from pydantic import Field, model_validator

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service: str = "intake"
    port: int = Field(default=8010, validation_alias="APUA_INTAKE_PORT")
    max_body_bytes: int = 64 * 1024
    # Per client (told apart by a keyed hash, never stored): requests sent and status sign-in attempts.
    submit_limit: int = 10
    status_limit: int = 30
    rate_window_s: float = 600.0
    secure_cookies: bool = False
    # The KEK the pick-up codes' hashing key is derived from; empty: the current KEK. A code cannot be
    # rehashed (only its hash is kept), so when the KEK is rotated this keeps naming the KEK the codes were
    # hashed under, which stays configured (in APUA_OLD_KEKS) while those codes are in use.
    pickup_kek_id: str = ""

    @model_validator(mode="after")
    def _pickup_kek_is_held(self) -> IntakeSettings:
        if self.pickup_kek_id and self.pickup_kek_id not in self.keyring.keks:
            raise ValueError("APUA_PICKUP_KEK_ID names a KEK that is neither APUA_KEK_ID nor in APUA_OLD_KEKS")
        return self

    @property
    def pickup_kek(self) -> bytes:
        """The KEK the pick-up codes' hashing key comes from."""
        return self.keyring.keks[self.pickup_kek_id or self.kek_id]

    @property
    def cookie_secure(self) -> bool:
        """Cookies only over TLS in production; local runs are plain HTTP."""
        return self.secure_cookies or self.environment == "production"
