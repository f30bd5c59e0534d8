"""The network's settings."""

from __future__ import annotations

from pydantic import Field, model_validator

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
    # How long a coordinator's session lasts at most. Every request also checks routing's staff directory, so a
    # disabled, moved or signed-out account's session ends at once, whatever is left of these hours.
    session_hours: int = Field(default=4, ge=1, le=12)
    # How often the network's upkeep runs (upkeep.py): unconfirmed applications past their link are erased, used
    # passes and expired sessions deleted, old event ids forgotten, survey texts past their retention erased.
    upkeep_interval_s: float = Field(default=3600.0, gt=0)
    # Days an unconfirmed application is kept after its confirmation link expired (0: erased when it expires).
    unconfirmed_grace_days: int = Field(default=0, ge=0, le=60)
    # Days after a survey's due date that its free-text answers stay readable, per region id (JSON,
    # '{"pohjois-pohjanmaa": 30}'); a region not named gets survey_text_days_default. Then the survey's key is
    # erased (a tombstone on the network key topic) and no copy of the texts, in Kafka or a backup, opens again.
    survey_text_days: dict[str, int] = Field(default_factory=dict)
    # Days after a survey's due date that its free-text answers stay readable in a region that
    # survey_text_days does not name.
    survey_text_days_default: int = Field(default=90, ge=1, le=3650)

    def survey_text_days_for(self, region: str) -> int:
        return self.survey_text_days.get(region, self.survey_text_days_default)

    @model_validator(mode="after")
    def _text_days_in_range(self) -> NetworkSettings:
        if any(not 1 <= days <= 3650 for days in self.survey_text_days.values()):
            raise ValueError("APUA_SURVEY_TEXT_DAYS: each region's days are 1 to 3650")
        return self


