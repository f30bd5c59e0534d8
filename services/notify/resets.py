"""The one-time password link: a reset record from the staff topic becomes one e-mail to the account's own address.

Routing puts the reset on the region's staff topic under ``reset:<account id>`` with the token sealed; notify
keeps the record until the mail is sent (then only the delivery row stays) and queues the message under an id
derived from the reset, so a replay or a second notify sends nothing twice. A tombstone (the link used, or a new
one asked for) withdraws a message not yet sent. No case event is published for it: it is about an account.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

from services.notify.queue import notification_id
from shared.applier import PoisonRecord, RecordLike
from shared.db import Conn
from shared.sealing import Keyring
from shared.staff import RESET_PREFIX, PasswordReset, open_reset_token
from shared.tracing import record_trace

TEMPLATE = "password_reset"


def _notification_id(reset: PasswordReset) -> uuid.UUID:
    return notification_id(reset.reset_id, f"staff:{reset.account_id}", TEMPLATE)


async def on_password_reset(conn: Conn, record: RecordLike) -> None:
    assert record.key is not None
    account_id = record.key[len(RESET_PREFIX):].decode()
    if record.value is None:
        await conn.execute("DELETE FROM staff_resets WHERE account_id = $1", account_id)
        await conn.execute("UPDATE notifications_due SET withdrawn_at = now() WHERE template = $1 AND recipient = $2"
                           " AND withdrawn_at IS NULL AND notification_id NOT IN (SELECT notification_id FROM"
                           " deliveries)", TEMPLATE, f"staff:{account_id}")
        return
    try:
        reset = PasswordReset.model_validate_json(record.value)
    except ValueError as exc:
        raise PoisonRecord("not a password reset") from exc
    if reset.expires_at <= datetime.now(UTC):
        return  # a link that has run out (a replay of old records): nothing to send
    await conn.execute("INSERT INTO staff_resets (account_id, reset_id, region, record) VALUES ($1, $2, $3, $4)"
                       " ON CONFLICT (account_id) DO UPDATE SET reset_id = EXCLUDED.reset_id,"
                       " region = EXCLUDED.region, record = EXCLUDED.record",
                       account_id, reset.reset_id, reset.region, reset.model_dump_json())
    await conn.execute(
        "INSERT INTO notifications_due (notification_id, case_id, cause_event_id, region, municipality, recipient,"
        " template, channel, language, reference, answer_due, due_since, traceparent, tracestate)"
        " VALUES ($1, $2, $2, $3, '', $4, $5, 'email', 'fi', '', NULL, $6, $7, $8)"
        " ON CONFLICT (notification_id) DO NOTHING",
        _notification_id(reset), reset.reset_id, reset.region, f"staff:{account_id}", TEMPLATE, reset.requested_at,
        *record_trace())


async def reset_link(conn: Conn, reset_id: uuid.UUID, keyring: Keyring, routing_url: str,
                     ) -> tuple[str, datetime] | None:
    """The link and its expiry for the mail; None when the reset is gone (used, replaced) or has run out."""
    raw = await conn.fetchval("SELECT record FROM staff_resets WHERE reset_id = $1", reset_id)
    if raw is None:
        return None
    reset = PasswordReset.model_validate_json(raw)
    token = open_reset_token(reset, keyring)
    if token is None or reset.expires_at <= datetime.now(UTC):
        return None
    return f"{routing_url.rstrip('/')}/password/reset?{urlencode({'token': token})}", reset.expires_at


async def forget_reset(conn: Conn, reset_id: uuid.UUID) -> None:
    """After the mail went out, notify keeps no copy of the token."""
    await conn.execute("DELETE FROM staff_resets WHERE reset_id = $1", reset_id)
