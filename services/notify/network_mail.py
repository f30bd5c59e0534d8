"""The change agents' network's mail: a ``network.mail_requested`` becomes one e-mail to the agent, once.

The address and the link travel sealed with the agent's key (shared/network_keys.py), which notify reads from
the network key topic beside the network topic; the message is queued under an id derived from the mail's own, so
a replay or a second notify sends nothing twice. Nothing of it goes on the case stream: the delivery row is its
record, and the sealed content is dropped once sent. A leaver's tombstone deletes the key and withdraws what was
not yet sent.
"""

from __future__ import annotations

import uuid

from services.notify.queue import notification_id
from shared.applier import RecordLike
from shared.db import Conn
from shared.network_events import MAIL_CONTENT, MailRequested, network_record_handler
from shared.network_keys import agent_data_key, network_keyring, on_agent_key, unseal_for_agent
from shared.sealing import Keyring, KeyUnavailable, Sealed


class MailUnavailable(Exception):
    """The mail cannot be opened: ``retryable`` while the agent's key may still arrive."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


async def on_mail_requested(conn: Conn, event: MailRequested) -> None:
    p = event.payload
    recipient = f"agent:{event.subject_id}"
    await conn.execute("INSERT INTO network_mail (mail_id, agent_id, region, content) VALUES ($1, $2, $3, $4::jsonb)"
                       " ON CONFLICT (mail_id) DO NOTHING", p.mail_id, event.subject_id, event.region,
                       p.content.model_dump_json())
    await conn.execute(
        "INSERT INTO notifications_due (notification_id, case_id, cause_event_id, region, municipality, recipient,"
        " template, channel, language, reference, answer_due, due_since)"
        " VALUES ($1, $2, $3, $4, '', $5, $6, 'email', $7, '', NULL, $8) ON CONFLICT (notification_id) DO NOTHING",
        notification_id(p.mail_id, recipient, p.kind), p.mail_id, event.event_id, event.region, recipient, p.kind,
        p.language, event.occurred_at)


on_network_record = network_record_handler({"network.mail_requested": on_mail_requested})


async def on_network_key(conn: Conn, record: RecordLike) -> None:
    """An agent's key; a tombstone (the agent left) also drops their unsent mail."""
    await on_agent_key(conn, record)
    if record.value is None and record.key is not None:
        agent = record.key.decode()
        await conn.execute("UPDATE notifications_due SET withdrawn_at = now() WHERE recipient = $1"
                           " AND withdrawn_at IS NULL AND notification_id NOT IN (SELECT notification_id FROM"
                           " deliveries)", f"agent:{agent}")
        await conn.execute("DELETE FROM network_mail WHERE agent_id::text = $1", agent)


async def open_mail(conn: Conn, mail_id: uuid.UUID, keyring: Keyring) -> tuple[str, str]:
    """The mail's address and link."""
    row = await conn.fetchrow("SELECT agent_id, content FROM network_mail WHERE mail_id = $1", mail_id)
    if row is None:
        raise MailUnavailable("the mail is gone: sent already, or the agent left", retryable=False)
    key = await agent_data_key(conn, row["agent_id"], network_keyring(keyring))
    if key is None:
        # The key topic is read beside the network topic: the key may land a moment after the mail.
        raise MailUnavailable("the agent's key is not known (yet)", retryable=True)
    try:
        content = unseal_for_agent(key, row["agent_id"], Sealed.model_validate_json(row["content"]), MAIL_CONTENT)
    except KeyUnavailable as exc:
        raise MailUnavailable("the mail does not open", retryable=False) from exc
    if not isinstance(content, dict) or not content.get("to") or not content.get("link"):
        raise MailUnavailable("the mail names no address or link", retryable=False)
    return str(content["to"]), str(content["link"])


async def forget_mail(conn: Conn, mail_id: uuid.UUID) -> None:
    """After the mail went out, notify keeps no copy of the address or the link."""
    await conn.execute("DELETE FROM network_mail WHERE mail_id = $1", mail_id)
