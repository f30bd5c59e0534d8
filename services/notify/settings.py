"""Notify's settings: the SMTP server, the SMS gateway, and how hard to try."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import ROOT, ServiceSettings


class NotifySettings(ServiceSettings):
    service: str = "notify"
    port: int = Field(default=8030, validation_alias="APUA_NOTIFY_PORT")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_tls: bool = False  # TLS from the first byte (port 465)
    smtp_starttls: bool = False  # upgrade with STARTTLS (port 587)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_s: float = 10.0
    mail_from: str = "Pyydä apua! <noreply@pyyda-apua.example>"

    # A generic JSON-over-HTTPS SMS gateway (docs/notifications.md); unset means no text messages.
    sms_url: str | None = None
    sms_token: str | None = None

    # Bearer token for notify's operations API (GET /api/v1/notifications: case ids, references and delivery
    # states). Unset: the API is open in development and test, and closed in production.
    api_token: str | None = Field(default=None, validation_alias="APUA_NOTIFY_API_TOKEN")

    routing_url: str = "http://127.0.0.1:8020"
    send_attempts: int = Field(default=6, ge=1)
    retry_base_s: float = Field(default=5.0, gt=0)
    max_age_hours: float = 48.0  # older notifications found on a first replay are not sent late
    sender_interval_s: float = 0.5
    dev_mail_dir: Path = ROOT / ".local" / "mail"
