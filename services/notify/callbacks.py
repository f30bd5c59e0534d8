"""Calls to the family in notify's projection: the family hears the time, the caller is reminded before it.

A scheduled call tells the family its day and hours and the reference, nothing else (a phone's screen
can be seen by others); a moved or cancelled call tells them again, once per event. The caller (else the
team's mailbox, else the coordinators) gets a reminder due the region's ``reminder_minutes`` before the
window. A reminder that is no longer needed (the call moved or was cancelled, someone tried to reach
the family, the case closed, its personal data was erased) is withdrawn rather than deleted: whether it
had gone out already lives in the delivery ledger, outside the projection, so withdrawing every such
reminder keeps the projection a function of the stream alone, and the sender skips what is withdrawn.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from services.notify.queue import CHANNEL_BY_CONTACT, CallWindow, queue
from shared.applier import EventHandler
from shared.db import Conn
from shared.events import CallbackCancelled, CallbackScheduled, EventBase, NotReachedNotice
from shared.regions import CallbackPolicy, Regions

REMINDER = "callback_reminder"


async def withdraw_reminders(conn: Conn, event: EventBase, callback_id: uuid.UUID | None = None) -> None:
    """Withdraw the case's reminders that are still on (of one callback, or of all), as of ``event``."""
    await conn.execute(
        "UPDATE notifications_due SET withdrawn_at = $2 WHERE case_id = $1 AND template = $3"
        " AND withdrawn_at IS NULL AND ($4::uuid IS NULL OR callback_id = $4)",
        event.case_id, event.occurred_at, REMINDER, callback_id)


async def forget_callbacks(conn: Conn, event: EventBase) -> None:
    """No call is to be made any more (an attempt used it up, the case closed or was erased)."""
    await withdraw_reminders(conn, event)
    await conn.execute("DELETE FROM case_callbacks WHERE case_id = $1", event.case_id)


async def _family_channel(conn: Conn, event: EventBase) -> str | None:
    """How the family is told: a text message or an e-mail; None for an anonymous family or an unknown case."""
    method = await conn.fetchval("SELECT contact_method FROM case_contacts WHERE case_id = $1", event.case_id)
    return CHANNEL_BY_CONTACT.get(method or "anonymous")


async def _caller(conn: Conn, event: CallbackScheduled) -> str:
    """Who is reminded: the professional who calls, else the team's mailbox, else the coordinators."""
    if event.payload.caller:
        return f"staff:{event.payload.caller}"
    team = await conn.fetchval("SELECT team_id FROM case_contacts WHERE case_id = $1", event.case_id)
    return f"team:{team}" if team else "coordinators"


def callback_handlers(regions: Regions) -> dict[str, EventHandler]:
    """The handlers of the call events; the region's rule says how early a caller is reminded."""

    def policy(region: str) -> CallbackPolicy:
        found = regions.by_id.get(region)
        return found.callbacks if found is not None else CallbackPolicy()

    async def on_scheduled(conn: Conn, event: EventBase) -> None:
        assert isinstance(event, CallbackScheduled)
        p = event.payload
        call = CallWindow(p.callback_id, p.starts_at, p.ends_at)
        if p.replaces is not None:  # a move: the old time's reminder goes, the new one's comes
            await withdraw_reminders(conn, event, p.replaces)
            await conn.execute("DELETE FROM case_callbacks WHERE callback_id = $1", p.replaces)
        await conn.execute("INSERT INTO case_callbacks (callback_id, case_id, starts_at, ends_at)"
                           " VALUES ($1, $2, $3, $4) ON CONFLICT (callback_id) DO NOTHING",
                           p.callback_id, event.case_id, p.starts_at, p.ends_at)
        channel = await _family_channel(conn, event)
        if channel is not None:
            await queue(conn, event, recipient="family", channel=channel, call=call,
                        template="callback_changed" if p.replaces is not None else "callback_scheduled")
        # Due before the window; a call scheduled at shorter notice is reminded of at once.
        remind_at = max(p.starts_at - timedelta(minutes=policy(event.region).reminder_minutes), event.occurred_at)
        await queue(conn, event, recipient=await _caller(conn, event), template=REMINDER, channel="email",
                    due_at=remind_at, call=call)

    async def on_cancelled(conn: Conn, event: EventBase) -> None:
        assert isinstance(event, CallbackCancelled)
        callback_id = event.payload.callback_id
        row = await conn.fetchrow("SELECT starts_at, ends_at FROM case_callbacks WHERE callback_id = $1",
                                  callback_id)
        await withdraw_reminders(conn, event, callback_id)
        await conn.execute("DELETE FROM case_callbacks WHERE callback_id = $1", callback_id)
        channel = await _family_channel(conn, event)
        if channel is not None and row is not None:  # the message names the time that no longer holds
            await queue(conn, event, recipient="family", template="callback_cancelled", channel=channel,
                        call=CallWindow(callback_id, row["starts_at"], row["ends_at"]))

    async def on_not_reached_notice(conn: Conn, event: EventBase) -> None:
        """'We tried to reach you': an anonymous family reads it on their status page instead."""
        assert isinstance(event, NotReachedNotice)
        channel = await _family_channel(conn, event)
        if channel is not None:
            await queue(conn, event, recipient="family", template="not_reached_notice", channel=channel)

    async def on_used_up(conn: Conn, event: EventBase) -> None:
        """A contact attempt (of any result) uses the scheduled call up; a closed case has none."""
        await forget_callbacks(conn, event)

    return {"callback.scheduled": on_scheduled, "callback.cancelled": on_cancelled,
            "contact.not_reached_notice": on_not_reached_notice, "contact.attempted": on_used_up,
            "case.closed": on_used_up}
