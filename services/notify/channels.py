"""The two ways out: e-mail over SMTP (aiosmtplib) and text messages through an HTTP SMS gateway."""

from __future__ import annotations

import re
import uuid
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib
import httpx

from services.notify.messages import Message
from services.notify.settings import NotifySettings


class DeliveryError(Exception):
    """A failed attempt; ``retryable`` says whether another attempt can succeed."""

    def __init__(self, reason: str, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


async def send_email(settings: NotifySettings, to: str, message: Message, notification_id: uuid.UUID) -> None:
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = to
    mail["Subject"] = message.subject
    # The notification id in the Message-ID lets a mail system drop the copy of a retried send.
    mail["Message-ID"] = make_msgid(idstring=str(notification_id), domain="pyyda-apua")
    mail["X-Apua-Notification"] = str(notification_id)
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    try:
        await aiosmtplib.send(mail, hostname=settings.smtp_host, port=settings.smtp_port, use_tls=settings.smtp_tls,
                              start_tls=settings.smtp_starttls, username=settings.smtp_username,
                              password=settings.smtp_password, timeout=settings.smtp_timeout_s)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError("the mail server refused the recipient", retryable=False) from exc
    except aiosmtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP {exc.code}", retryable=exc.code >= 400 and exc.code < 500) from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise DeliveryError(f"SMTP unreachable: {type(exc).__name__}", retryable=True) from exc


def normalise_phone(number: str) -> str:
    """'040 123 4567' -> '+358401234567'; international numbers keep their code."""
    digits = re.sub(r"[\s()-]", "", number)
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("0"):
        return "+358" + digits[1:]
    return digits if digits.startswith("+") else "+" + digits


async def send_sms(settings: NotifySettings, to: str, text: str, notification_id: uuid.UUID) -> None:
    """POST {"to", "text", "reference"} as JSON; 2xx is sent, 429 and 5xx are tried again, other 4xx are not."""
    if not settings.sms_url:
        raise DeliveryError("no SMS gateway is configured", retryable=False)
    headers = {"Idempotency-Key": str(notification_id)}
    if settings.sms_token:
        headers["Authorization"] = f"Bearer {settings.sms_token}"
    try:
        async with httpx.AsyncClient(timeout=10.0) as client:
            response = await client.post(settings.sms_url, headers=headers, json={
                "to": normalise_phone(to), "text": text, "reference": str(notification_id)})
    except httpx.HTTPError as exc:
        raise DeliveryError(f"SMS gateway unreachable: {type(exc).__name__}", retryable=True) from exc
    if response.is_success:
        return
    raise DeliveryError(f"SMS gateway answered {response.status_code}",
                        retryable=response.status_code == 429 or response.status_code >= 500)
