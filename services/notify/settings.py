"""Notify's settings: the SMTP server, the SMS gateway, and how hard to try."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import ROOT, ServiceSettings


class NotifySettings(ServiceSettings):
    service: str = "notify"
    port: int = Field(default=8030, validation_alias="APUA_NOTIFY_PORT")

    # The SMTP server every e-mail goes through (development: the local mail catcher).
    smtp_host: str = "127.0.0.1"
    # The SMTP server's port (587 with STARTTLS, 465 with TLS).
    smtp_port: int = 8025
    smtp_tls: bool = False  # TLS from the first byte (port 465)
    smtp_starttls: bool = False  # upgrade with STARTTLS (port 587)
    # The SMTP server's sign-in; unset: none.
    smtp_username: str | None = None
    # The password of APUA_SMTP_USERNAME.
    smtp_password: str | None = None
    # Seconds before an SMTP conversation counts as failed (and is tried again).
    smtp_timeout_s: float = 10.0
    # The sender of every e-mail.
    mail_from: str = "Pyydä apua! <noreply@pyyda-apua.example>"

    # A generic JSON-over-HTTPS SMS gateway (docs/notifications.md); unset means no text messages.
    sms_url: str | None = None
    # The bearer token notify sends to the SMS gateway.
    sms_token: str | None = None

    # Bearer token for notify's operations API (GET /api/v1/notifications: case ids, references and delivery
    # states). Unset: the API is open in development and test, and closed in production.
    api_token: str | None = Field(default=None, validation_alias="APUA_NOTIFY_API_TOKEN")

    # Routing's public address: staff e-mail links to the case there.
    routing_url: str = "http://127.0.0.1:8020"
    # Tries per message before it counts as failed (and the coordinators are told).
    send_attempts: int = Field(default=6, ge=1)
    # The first wait (seconds) before a message is tried again; it doubles at each try.
    retry_base_s: float = Field(default=5.0, gt=0)
    max_age_hours: float = 48.0  # older notifications found on a first replay are not sent late
    # How often (seconds) the sender looks for messages that are due.
    sender_interval_s: float = 0.5
    # Development only: the folder the local sinks write each e-mail and text message into (shown at /dev/mail).
    dev_mail_dir: Path = ROOT / ".local" / "mail"
