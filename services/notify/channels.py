"""The two ways out: e-mail over SMTP (aiosmtplib) and text messages through an HTTP SMS gateway."""

from __future__ import annotations

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


def email_of(settings: NotifySettings, to: str, message: Message, notification_id: uuid.UUID) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = to
    mail["Subject"] = message.subject
    # The notification id in the Message-ID lets a mail system drop the copy of a retried send.
    mail["Message-ID"] = make_msgid(idstring=str(notification_id), domain="pyyda-apua")
    mail["X-Apua-Notification"] = str(notification_id)
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


class Mailer:
    """One SMTP connection for a round of sending: opened for its first message, kept for the others (one
    greeting, STARTTLS and login instead of one per message), closed by :meth:`close` or by a failure."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self._smtp: aiosmtplib.SMTP | None = None

    async def send(self, to: str, message: Message, notification_id: uuid.UUID) -> None:
        mail = email_of(self.settings, to, message, notification_id)
        try:
            smtp = await self._connected()
            await smtp.send_message(mail)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError("the mail server refused the recipient", retryable=False) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.code}", retryable=exc.code >= 400 and exc.code < 500) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self.close()
            raise DeliveryError(f"SMTP unreachable: {type(exc).__name__}", retryable=True) from exc

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._smtp is None or not self._smtp.is_connected:
            s = self.settings
            smtp = aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, use_tls=s.smtp_tls,
                                   start_tls=s.smtp_starttls, username=s.smtp_username, password=s.smtp_password,
                                   timeout=s.smtp_timeout_s)
            await smtp.connect()
            self._smtp = smtp
        return self._smtp

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None or not smtp.is_connected:
            return
        try:
            await smtp.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            smtp.close()


async def send_sms(client: httpx.AsyncClient, settings: NotifySettings, to: str, text: str,
                   notification_id: uuid.UUID) -> None:
    """POST {"to", "text", "reference"} as JSON to ``to`` (E.164, checked by the sender); 2xx is sent, 429 and
    5xx are tried again, other 4xx are not.

    ``client`` lives as long as the sender: a client of its own per message built a TLS context each time."""
    if not settings.sms_url:
        raise DeliveryError("no SMS gateway is configured", retryable=False)
    headers = {"Idempotency-Key": str(notification_id)}
    if settings.sms_token:
        headers["Authorization"] = f"Bearer {settings.sms_token}"
    try:
        response = await client.post(settings.sms_url, headers=headers, json={
            "to": to, "text": text, "reference": str(notification_id)})
    except httpx.HTTPError as exc:
        raise DeliveryError(f"SMS gateway unreachable: {type(exc).__name__}", retryable=True) from exc
    if response.is_success:
        return
    raise DeliveryError(f"SMS gateway answered {response.status_code}",
                        retryable=response.status_code == 429 or response.status_code >= 500)
