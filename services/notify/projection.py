"""Notify's projection: which notifications are due, each under an id derived from its cause.

The id is a UUIDv5 of the causing event, the recipient and the template (``queue.py``), so a replay or
a relay's duplicate lands on the same row and nothing is ever due twice. Whether a notification
was sent lives outside the projection (``deliveries``), so a rebuild sends nothing again.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from services.notify.callbacks import callback_handlers, forget_callbacks
from services.notify.feedback_mail import on_feedback_record
from services.notify.network_mail import on_network_key, on_network_record
from services.notify.queue import CHANNEL_BY_CONTACT as CHANNEL_BY_CONTACT  # where the fault suite finds them
from services.notify.queue import notification_id as notification_id
from services.notify.queue import queue
from services.notify.referrals import on_referral_sent, worker_handler
from services.notify.resets import on_password_reset
from shared.applier import EventHandler, Projection, RecordHandler, RecordLike
from shared.businessdays import HELSINKI
from shared.compacted import CompactedTable
from shared.db import Conn
from shared.directory_projection import directory_handler
from shared.events import (
    CaseAssigned,
    CaseHandedOff,
    ChildWelfareNotificationDue,
    DeadlineMissed,
    DeadlineWarning,
    EventBase,
    FamilyMessageAdded,
    NotificationFailed,
    ReplySent,
    RequestRecorded,
    RequestSubmitted,
)
from shared.keys import on_case_key
from shared.migrations import projection_series
from shared.runtime import ServiceRuntime
from shared.staff import RESET_PREFIX, StaffRecord
from shared.topics import directory_topic, feedback_topic, network_keys_topic, network_topic

# The tracking tables, then the files of migrations/projection/.
MIGRATIONS = projection_series(Path(__file__).resolve().parent)

# The staff directory: an account's role, team, language and sealed address; a tombstone removes it.
on_staff_record = CompactedTable(
    table="staff_directory", model=StaffRecord, what="a staff record",
    columns=(("account_id", "text"), ("region", "text"), ("record", "jsonb")),
    row=lambda staff: (staff.account_id, staff.region, staff.model_dump_json()))


async def on_staff_topic(conn: Conn, record: RecordLike) -> None:
    """The staff topic: directory records, and under their own keys the password resets to mail."""
    if record.key is not None and record.key.startswith(RESET_PREFIX):
        await on_password_reset(conn, record)
    else:
        await on_staff_record(conn, record)


async def _due(conn: Conn, event: EventBase, *, recipient: str, template: str, channel: str,
               answer_due: date | None = None) -> None:
    """Queue one notification of ``event``; ``answer_due`` when the promised day is not the request's."""
    await queue(conn, event, recipient=recipient, template=template, channel=channel, answer_due=answer_due)


async def on_request_submitted(conn: Conn, event: EventBase) -> None:
    """A receipt to a family that left a contact (Act 13/2003), and word to the coordinators."""
    assert isinstance(event, RequestSubmitted)
    p = event.payload
    await conn.execute(
        "INSERT INTO case_contacts (case_id, region, reference, language, contact_method, answer_due, personal)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) ON CONFLICT (case_id) DO NOTHING",
        event.case_id, event.region, p.reference, p.language, p.contact_method, p.answer_due,
        p.personal.model_dump_json())
    channel = CHANNEL_BY_CONTACT.get(p.contact_method)
    if channel is not None:  # anonymous: the receipt page and the pick-up code are the acknowledgement
        await _due(conn, event, recipient="family", template="request_receipt", channel=channel)
    await _due(conn, event, recipient="coordinators", template="staff_new_case", channel="email")


async def on_request_recorded(conn: Conn, event: EventBase) -> None:
    """A contact staff recorded: word to the coordinators as for any new case, and a receipt to the family only
    when the worker chose to send one (the family was there to be asked) and they left a number or address."""
    assert isinstance(event, RequestRecorded)
    p = event.payload
    await conn.execute(
        "INSERT INTO case_contacts (case_id, region, reference, language, contact_method, answer_due, personal,"
        " sealed_in) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) ON CONFLICT (case_id) DO NOTHING",
        event.case_id, event.region, p.reference, p.language, p.contact_method, p.answer_due,
        p.personal.model_dump_json(), event.type)
    channel = CHANNEL_BY_CONTACT.get(p.contact_method)
    if p.receipt and channel is not None:
        template = "contact_receipt_answered" if p.answered_in_contact else "contact_receipt"
        await _due(conn, event, recipient="family", template=template, channel=channel)
    await _due(conn, event, recipient="coordinators", template="staff_new_case", channel="email")


async def on_reply(conn: Conn, event: EventBase) -> None:
    """'A reply is waiting': never the reply itself."""
    assert isinstance(event, ReplySent)
    method = await conn.fetchval("SELECT contact_method FROM case_contacts WHERE case_id = $1", event.case_id)
    channel = CHANNEL_BY_CONTACT.get(method or "anonymous")
    if channel is not None:
        await _due(conn, event, recipient="family", template="reply_waiting", channel=channel)


async def on_assigned(conn: Conn, event: EventBase) -> None:
    """To the person the case went to; to the team's mailbox when it went to the team."""
    assert isinstance(event, CaseAssigned | CaseHandedOff)
    p = event.payload
    person = p.assignee_id if p.assignee_kind == "professional" else None
    await conn.execute("UPDATE case_contacts SET team_id = $2, assignee_id = $3 WHERE case_id = $1",
                       event.case_id, p.team_id, person)
    if person:
        await _due(conn, event, recipient=f"staff:{person}", template="staff_assigned", channel="email")
    elif p.team_id:
        await _due(conn, event, recipient=f"team:{p.team_id}", template="staff_assigned", channel="email")


async def _present(conn: Conn, person: str | None, team: str | None, event: EventBase) -> tuple[str | None, str | None]:
    """The person who should hear of the case now: the assignee, or while they are away their substitute
    (a person, or a team's mailbox; without one, their team's). Returns (person, team) as the handlers use them."""
    if person is None:
        return person, team
    raw = await conn.fetchval("SELECT record FROM staff_directory WHERE account_id = $1", person)
    if raw is None:
        return person, team
    away = StaffRecord.model_validate_json(raw).absence_on(event.occurred_at.astimezone(HELSINKI).date())
    if away is None:
        return person, team
    if away.substitute_kind == "professional":
        return away.substitute_id, team
    return None, away.substitute_id or team


async def on_deadline_warning(conn: Conn, event: EventBase) -> None:
    """To the person who has the case (their substitute while they are away), and to the team's mailbox (where the
    team lead reads).

    The day named is the alert's own: the first request's, or a follow-up's (version 2 says which).
    """
    assert isinstance(event, DeadlineWarning)
    row = await conn.fetchrow("SELECT team_id, assignee_id FROM case_contacts WHERE case_id = $1", event.case_id)
    team, person = (row["team_id"], row["assignee_id"]) if row else (None, None)
    person, team = await _present(conn, person, team, event)
    due = event.payload.answer_due
    if person:
        await _due(conn, event, recipient=f"staff:{person}", template="deadline_warning", channel="email",
                   answer_due=due)
    await _due(conn, event, recipient=f"team:{team}" if team else "coordinators", template="deadline_warning",
               channel="email", answer_due=due)


async def on_deadline_missed(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, DeadlineMissed)
    await _due(conn, event, recipient="coordinators", template="deadline_missed", channel="email",
               answer_due=event.payload.answer_due)


async def on_child_welfare_due(conn: Conn, event: EventBase) -> None:
    """A flagged concern has no notification by the region's limit: the coordinators and the person who has the
    case (else the team's mailbox) are told, once each; only the reference, never the concern."""
    assert isinstance(event, ChildWelfareNotificationDue)
    row = await conn.fetchrow("SELECT team_id, assignee_id FROM case_contacts WHERE case_id = $1", event.case_id)
    team, person = (row["team_id"], row["assignee_id"]) if row else (None, None)
    person, team = await _present(conn, person, team, event)
    await _due(conn, event, recipient="coordinators", template="child_welfare_due", channel="email")
    if person or team:
        await _due(conn, event, recipient=f"staff:{person}" if person else f"team:{team}",
                   template="child_welfare_due", channel="email")


async def on_family_message(conn: Conn, event: EventBase) -> None:
    """The family wrote again: to the person who has the case, else the team's mailbox, else the coordinators.

    Once per message (the id comes from the event); never the message itself, only the reference.
    """
    assert isinstance(event, FamilyMessageAdded)
    row = await conn.fetchrow("SELECT team_id, assignee_id FROM case_contacts WHERE case_id = $1", event.case_id)
    team, person = (row["team_id"], row["assignee_id"]) if row else (None, None)
    person, team = await _present(conn, person, team, event)
    recipient = f"staff:{person}" if person else f"team:{team}" if team else "coordinators"
    await _due(conn, event, recipient=recipient, template="family_wrote_again", channel="email")


async def on_notification_failed(conn: Conn, event: EventBase) -> None:
    assert isinstance(event, NotificationFailed)
    if event.payload.recipient != "coordinators":  # telling the coordinators that telling them failed loops
        await _due(conn, event, recipient="coordinators", template="notification_failed", channel="email")


async def on_erased(conn: Conn, event: EventBase) -> None:
    """Personal data erased: the sealed contact goes, and with it every message still due to the family."""
    await conn.execute("DELETE FROM case_keys WHERE case_id = $1", event.case_id)
    await conn.execute("DELETE FROM case_contacts WHERE case_id = $1", event.case_id)
    await conn.execute("DELETE FROM notifications_due WHERE case_id = $1 AND recipient = 'family'", event.case_id)
    await forget_callbacks(conn, event)  # and every reminder of a call to them
    # A referral's link not yet mailed would only open on "erased": withdrawn with the rest.
    await conn.execute("UPDATE notifications_due SET withdrawn_at = now() WHERE case_id = $1 AND template ="
                       " 'referral_sent' AND withdrawn_at IS NULL AND notification_id NOT IN (SELECT notification_id"
                       " FROM deliveries)", event.case_id)


HANDLERS: dict[str, EventHandler] = {
    "personal_data.erased": on_erased,
    "request.submitted": on_request_submitted,
    "request.recorded": on_request_recorded,
    "reply.sent": on_reply,
    "case.assigned": on_assigned,
    "case.handed_off": on_assigned,
    "deadline.warning": on_deadline_warning,
    "deadline.missed": on_deadline_missed,
    "family.message_added": on_family_message,
    "child_welfare.notification_due": on_child_welfare_due,
    "notification.failed": on_notification_failed,
    "referral.sent": on_referral_sent,
    "referral.declined": worker_handler("referral_declined", _present),
    "referral.overdue": worker_handler("referral_overdue", _present),
}


def _together(*tables: dict[str, EventHandler]) -> dict[str, EventHandler]:
    """Every table's handlers; where two handle one event type, both run, in the order given."""
    found: dict[str, list[EventHandler]] = {}
    for table in tables:
        for name, handler in table.items():
            found.setdefault(name, []).append(handler)

    def chain(handlers: list[EventHandler]) -> EventHandler:
        async def each(conn: Conn, event: EventBase) -> None:
            for handler in handlers:
                await handler(conn, event)
        return each

    return {name: hs[0] if len(hs) == 1 else chain(hs) for name, hs in found.items()}


def projection(runtime: ServiceRuntime[Any]) -> Projection:
    return Projection(name="notify", migrations=MIGRATIONS,
                      tables=["notifications_due", "case_contacts", "case_keys", "staff_directory", "case_callbacks",
                              "staff_resets", "directory_services", "agent_keys", "network_mail",
                              "referral_mail"],
                      event_handlers=_together(HANDLERS, callback_handlers(runtime.regions)),
                      record_handlers={**{t: on_case_key for t in runtime.keys_topics()},
                                       **{t: on_staff_topic for t in runtime.staff_topics()},
                                       **{feedback_topic(runtime.settings.topic_prefix, r.id): on_feedback_record
                                          for r in runtime.regions},
                                       **{directory_topic(runtime.settings.topic_prefix, r.id): directory_handler(r.id)
                                          for r in runtime.regions},
                                       **network_topics(runtime)})


def network_topics(runtime: ServiceRuntime[Any]) -> dict[str, RecordHandler]:
    """The change agents' network: its keys and its mail requests (nothing else of it is read here)."""
    prefix = runtime.settings.topic_prefix
    handlers: dict[str, RecordHandler] = {}
    for region in runtime.regions:
        handlers[network_keys_topic(prefix, region.id)] = on_network_key
        handlers[network_topic(prefix, region.id)] = on_network_record
    return handlers
