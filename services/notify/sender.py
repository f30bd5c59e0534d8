"""Sending what is due, once: a delivery row per notification id, retries with back-off and jitter.

The delivery row lives in notify's own schema, not in the projection, so replaying the stream
from offset 0 finds every notification already delivered and sends nothing. A crash between the
send and its bookkeeping can repeat one send; the notification id travels as the Message-ID and
the SMS gateway's idempotency key so that the other end can drop the copy.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx
import structlog

from services.notify.channels import DeliveryError, Mailer, send_sms
from services.notify.feedback_mail import TEMPLATE as FEEDBACK_TEMPLATE
from services.notify.messages import render
from services.notify.network_mail import MailUnavailable, forget_mail, open_mail
from services.notify.referrals import TEMPLATE as REFERRAL_TEMPLATE
from services.notify.referrals import referral_link, service_mailbox, service_name
from services.notify.resets import TEMPLATE as RESET_TEMPLATE
from services.notify.resets import forget_reset, reset_link
from services.notify.settings import NotifySettings
from services.notify.smscap import count_sent, helsinki_day, sent_today
from services.notify.when import call_values
from shared.app import UnitOfWork, unit_of_work
from shared.db import Conn
from shared.events import (
    NotificationFailed,
    NotificationFailedPayload,
    NotificationPayload,
    NotificationSent,
    new_event,
)
from shared.i18n import long_date, short_datetime
from shared.keys import data_key
from shared.notifications import NETWORK_MESSAGES, NOT_OF_A_CASE
from shared.outbox import enqueue_event
from shared.phones import PhoneRefused, check_phone
from shared.places import sealed_place
from shared.regions import Region
from shared.runtime import ServiceRuntime
from shared.sealing import KeyUnavailable, Sealed, unseal
from shared.staff import StaffRecord, open_email
from shared.topics import cases_topic
from shared.tracing import continued

log = structlog.get_logger(__name__)
SENDER_LOCK = "SELECT pg_try_advisory_lock(hashtext(current_schema() || '.sender'))"
SENDER_UNLOCK = "SELECT pg_advisory_unlock(hashtext(current_schema() || '.sender'))"

# A row is due from ``due_since`` on (a call's reminder is queued ahead of its time), unless it was withdrawn
# (the call moved, was cancelled or used up).
DUE_SQL = """
SELECT n.*, d.attempts AS done_attempts, d.status AS delivery_status
FROM notifications_due n LEFT JOIN deliveries d USING (notification_id)
WHERE n.due_since <= $1 AND n.withdrawn_at IS NULL
  AND (d.notification_id IS NULL
       OR (d.status = 'retry' AND d.next_attempt_at <= $1)
       OR (d.status = 'sending' AND d.last_attempt_at < $1 - interval '1 minute'))
ORDER BY n.due_since LIMIT $2
"""


class Sender:
    def __init__(self, runtime: ServiceRuntime[NotifySettings], settings: NotifySettings) -> None:
        self.runtime = runtime
        self.settings = settings
        self.sent = 0
        self.failed = 0
        self.mailer = Mailer(settings)
        self._http: httpx.AsyncClient | None = None

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self.send_due()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("notify.sender_unavailable", error=type(exc).__name__)
                except Exception as exc:
                    log.error("notify.sender_round_failed", error=type(exc).__name__)
                await asyncio.sleep(self.settings.sender_interval_s)
        finally:
            await self.close()

    async def close(self) -> None:
        await self.mailer.close()
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    async def send_due(self, now: datetime | None = None, limit: int = 50) -> int:
        """One round: every notification that is due now; returns how many were attempted."""
        async with unit_of_work(self.runtime) as uow:
            conn = uow.conn
            if not await conn.fetchval(SENDER_LOCK):
                return 0  # another notify instance is sending
            try:
                rows = await conn.fetch(DUE_SQL, now or datetime.now(UTC), limit)
                for row in rows:
                    await self.deliver(uow, dict(row), now or datetime.now(UTC))
            finally:
                await self.mailer.close()  # the round's SMTP connection, if it opened one
                await conn.execute(SENDER_UNLOCK)
        return len(rows)

    async def deliver(self, uow: UnitOfWork, due: dict[str, Any], now: datetime) -> None:
        """Send one notification and record how it went; what goes on the stream wakes the relay once committed."""
        conn = uow.conn
        nid: uuid.UUID = due["notification_id"]
        # In the trace of the event that made it due: the send's logs and its notification.sent name it.
        with continued("notify.deliver", due.get("traceparent"), due.get("tracestate"),
                       service=self.settings.service, **{"apua.template": due["template"]}), \
                structlog.contextvars.bound_contextvars(case_id=str(due["case_id"]), notification_id=str(nid),
                                                        event_id=str(due["cause_event_id"])):
            # Measured from when it fell due, not from when it was queued: a reminder waits for its time.
            too_old = due["due_since"] < now - timedelta(hours=self.settings.max_age_hours)
            # A message about a call whose window is over would only confuse, however it was delayed.
            call_over = due["window_ends_at"] is not None and due["window_ends_at"] <= now
            if (due["delivery_status"] is None and too_old) or call_over:
                await conn.execute("INSERT INTO deliveries (notification_id, status) VALUES ($1, 'expired')"
                                   " ON CONFLICT (notification_id) DO UPDATE SET status = 'expired'", nid)
                log.info("notify.expired", template=due["template"], call_over=call_over)
                return
            attempt = (due["done_attempts"] or 0) + 1
            await conn.execute(
                "INSERT INTO deliveries (notification_id, status, attempts, last_attempt_at)"
                " VALUES ($1, 'sending', $2, $3) ON CONFLICT (notification_id)"
                " DO UPDATE SET status = 'sending', attempts = $2, last_attempt_at = $3", nid, attempt, now)
            try:
                await self._send(conn, due, now)
            except DeliveryError as exc:
                await self._failed_attempt(uow, due, attempt, exc, now)
                return
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                raise  # our own database: the round stops and the next one tries again
            except Exception as exc:  # a fault of ours (a template, a record): counted like any failed attempt
                # The type only: a traceback could quote a value, and values here are personal.
                log.error("notify.unexpected", template=due["template"], error=type(exc).__name__)
                await self._failed_attempt(uow, due, attempt, DeliveryError(
                    f"unexpected {type(exc).__name__}", retryable=True), now)
                return
            async with uow.transaction():
                await conn.execute("UPDATE deliveries SET status = 'sent', sent_at = $2, last_error = NULL"
                                   " WHERE notification_id = $1", nid, now)
                await self._record(conn, due, NotificationSent, NotificationPayload(**self._payload(due, attempt)))
            self.sent += 1
            log.info("notify.sent", template=due["template"], channel=due["channel"], recipient=due["recipient"],
                     attempts=attempt)

    async def _failed_attempt(self, uow: UnitOfWork, due: dict[str, Any], attempt: int, exc: DeliveryError,
                              now: datetime) -> None:
        conn = uow.conn
        nid = due["notification_id"]
        if exc.retryable and attempt < self.settings.send_attempts:
            delay = self.settings.retry_base_s * 2 ** (attempt - 1) * random.uniform(1.0, 1.5)
            await conn.execute("UPDATE deliveries SET status = 'retry', next_attempt_at = $2, last_error = $3"
                               " WHERE notification_id = $1", nid, now + timedelta(seconds=delay), exc.reason)
            log.warning("notify.retry", reason=exc.reason, attempts=attempt, retry_in_s=round(delay, 1))
            return
        async with uow.transaction():
            await conn.execute("UPDATE deliveries SET status = 'failed', last_error = $2 WHERE notification_id = $1",
                               nid, exc.reason)
            await self._record(conn, due, NotificationFailed,
                               NotificationFailedPayload(**self._payload(due, attempt), reason=exc.reason))
        self.failed += 1
        log.error("notify.failed", reason=exc.reason, attempts=attempt, template=due["template"])

    def _payload(self, due: dict[str, Any], attempt: int) -> dict[str, Any]:
        return {"notification_id": due["notification_id"], "cause_event_id": due["cause_event_id"],
                "channel": due["channel"], "recipient": due["recipient"], "template": due["template"],
                "attempts": attempt}

    async def _record(self, conn: Conn, due: dict[str, Any], cls: Any, payload: Any) -> None:
        if due["template"] in NOT_OF_A_CASE:
            # About an account or a feedback, not a case: the delivery row is its record; a sent link's token
            # is dropped.
            if cls is NotificationSent and due["template"] == RESET_TEMPLATE:
                await forget_reset(conn, due["case_id"])
            if cls is NotificationSent and due["template"] in NETWORK_MESSAGES:
                await forget_mail(conn, due["case_id"])
            return
        event = new_event(cls, case_id=due["case_id"], region=due["region"], municipality=due["municipality"],
                          actor="notify", payload=payload)
        await enqueue_event(conn, cases_topic(self.settings.topic_prefix, due["region"]), event)

    async def _send(self, conn: Conn, due: dict[str, Any], now: datetime) -> None:
        region = self.runtime.regions.by_id.get(due["region"])
        if region is None:
            raise DeliveryError("the region is not served here", retryable=False)
        if due["template"] in NETWORK_MESSAGES:
            await self._network_mail(conn, due)
            return
        address, lang = await self._address(conn, due, region)
        values = self._values(due, region, lang)
        if due["template"] == RESET_TEMPLATE:
            link = await reset_link(conn, due["case_id"], self.settings.keyring, self.settings.routing_url)
            if link is None:
                raise DeliveryError("the link was used, replaced or has run out", retryable=False)
            values |= {"reset_url": link[0], "expires_at": short_datetime(link[1], lang)}
        if due["template"] == REFERRAL_TEMPLATE:
            link = await referral_link(conn, due["cause_event_id"], region, self.settings.keyring,
                                       self.settings.routing_url)
            if link is None:
                raise DeliveryError("the referral is not known here (yet)", retryable=True)
            values |= {"referral_url": link[0], "expires_at": short_datetime(link[1], lang),
                       "service": await service_name(conn, region, due["recipient"][8:], lang)}
        message = render(due["template"], lang, **values)
        if due["channel"] == "sms":
            await self._text(conn, region, address, message.text, due["notification_id"], now)
        else:
            await self.mailer.send(address, message, due["notification_id"])

    async def _network_mail(self, conn: Conn, due: dict[str, Any]) -> None:
        """One of the change agents' network's messages: the address and the link open with the agent's key."""
        try:
            address, link = await open_mail(conn, due["case_id"], self.settings.keyring)
        except MailUnavailable as exc:
            raise DeliveryError(exc.reason, retryable=exc.retryable) from None
        message = render(due["template"], due["language"], link=link)
        await self.mailer.send(address, message, due["notification_id"])

    async def _text(self, conn: Conn, region: Region, address: str, text: str, nid: uuid.UUID,
                    now: datetime) -> None:
        """A text message, only to a mobile number of the region's countries and within its daily cap.

        Numbers of events older than intake's check are in the form the family typed: normalised here, and
        refused like any other number the rule does not allow."""
        try:
            number = check_phone(address, purpose="sms", countries=region.contact.countries)
        except PhoneRefused as exc:
            raise DeliveryError(f"number refused ({exc.problem}): {exc}", retryable=False) from None
        day, cap = helsinki_day(now), region.contact.sms_daily_cap
        if await sent_today(conn, self.settings.keyring, number, day) >= cap:
            raise DeliveryError(f"daily cap reached: {cap} text messages to this number today", retryable=False)
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10.0)
        await send_sms(self._http, self.settings, number, text, nid)
        await count_sent(conn, self.settings.keyring, number, day)

    async def _address(self, conn: Conn, due: dict[str, Any], region: Region) -> tuple[str, str]:
        recipient: str = due["recipient"]
        staff_lang = region.languages[0]
        if recipient == "coordinators":
            if not region.notifications.coordinators_email:
                raise DeliveryError("no coordinators' mailbox is configured", retryable=False)
            return region.notifications.coordinators_email, staff_lang
        if recipient == "accessibility":  # the region's accessibility contact, else the coordinators
            address = region.accessibility.email if region.accessibility else region.notifications.coordinators_email
            if not address:
                raise DeliveryError("no accessibility contact is configured", retryable=False)
            return address, staff_lang
        if recipient.startswith("staff:"):
            raw = await conn.fetchval("SELECT record FROM staff_directory WHERE account_id = $1", recipient[6:])
            if raw is None:
                raise DeliveryError("the staff member is not in the directory (yet)", retryable=True)
            staff = StaffRecord.model_validate_json(raw)
            address = open_email(staff, self.settings.keyring)
            if not address or not staff.active:
                raise DeliveryError("the staff member has no address", retryable=False)
            return address, staff.language
        if recipient.startswith("service:"):  # a referral's receiving service, at its referral mailbox
            mailbox = await service_mailbox(conn, region, recipient[8:])
            if mailbox is None:
                raise DeliveryError("no referral mailbox is configured for the service", retryable=False)
            return mailbox
        if recipient.startswith("team:"):
            team = next((t for t in region.teams if t.id == recipient[5:]), None)
            if team is None or not team.email:
                raise DeliveryError("no mailbox is configured for the team", retryable=False)
            return team.email, staff_lang
        key = await data_key(conn, due["case_id"], self.settings.keyring)
        row = await conn.fetchrow("SELECT personal, sealed_in FROM case_contacts WHERE case_id = $1", due["case_id"])
        if row is None or row["personal"] is None:
            raise DeliveryError("the family's contact details are erased", retryable=False)
        if key is None:
            # The key topic is read beside the case stream: the key may land a moment after the request.
            # An erased key stays missing, and the attempts run out.
            raise DeliveryError("the case key is not known (yet)", retryable=True)
        try:
            personal = unseal(key, due["case_id"], Sealed.model_validate_json(row["personal"]),
                              sealed_place(row["sealed_in"]))
        except KeyUnavailable as exc:
            raise DeliveryError("the family's contact details cannot be opened", retryable=False) from exc
        contact = personal.get("contact", {}) if isinstance(personal, dict) else {}
        address = contact.get("email") if due["channel"] == "email" else contact.get("phone")
        if not address:
            raise DeliveryError("the family left no address for this channel", retryable=False)
        return str(address), due["language"]

    def _values(self, due: dict[str, Any], region: Region, lang: str) -> dict[str, str]:
        try:
            municipality = region.municipality(due["municipality"]).name.get(lang)
        except Exception:
            municipality = due["municipality"]
        return {
            "reference": due["reference"],
            "answer_due": long_date(due["answer_due"], lang) if due["answer_due"] else "",
            "status_url": status_link(region.notifications.status_url, reference=due["reference"],
                                      municipality=due["municipality"], lang=lang),
            "municipality": municipality,
            "case_url": f"{self.settings.routing_url.rstrip('/')}/"
                        f"{'admin/feedback' if due['template'] == FEEDBACK_TEMPLATE else 'cases'}/{due['case_id']}",
            **call_values(due["window_starts_at"], due["window_ends_at"], lang),
            # Whom a staff message speaks to: "you" (one person) or "your team" (a team's mailbox).
            "to": "team" if str(due["recipient"]).startswith("team:") else "you",
        }


def status_link(status_url: str, *, reference: str, municipality: str, lang: str) -> str:
    """The status page for the family's own case: the municipality (m=) makes the page its region's before
    signing in, so a Parainen family never lands on another region's page."""
    return f"{status_url}?{urlencode({'ref': reference, 'm': municipality, 'lang': lang})}"
