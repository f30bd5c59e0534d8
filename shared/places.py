"""Which payload field of which event holds sealed personal data: the place each sealed value is bound to."""

from __future__ import annotations

from shared.sealing import Place

# Event type -> the payload field sealed with the case key (one per event type at most).
SEALED_FIELDS = {"request.submitted": "personal", "request.recorded": "personal", "family.message_added": "message",
                 "reply.sent": "text", "case.handed_off": "note", "note.added": "note", "feedback.given": "comment",
                 "referral.sent": "note"}

# A staff member's address on the staff directory, sealed with the account's own key.
STAFF_EMAIL = Place("staff.record", "email")
# An accessibility feedback's text and contact, and the admin's answer, sealed with the feedback's own key.
FEEDBACK_CONTENT = Place("accessibility.feedback", "content")
FEEDBACK_ANSWER = Place("accessibility.feedback", "answer")
# A password reset's one-time token on the staff directory, sealed with a key of the reset's own.
STAFF_RESET_TOKEN = Place("staff.password_reset", "token")


def place_of(event_type: str) -> Place | None:
    """Where a sealed value read from an event of ``event_type`` belongs; None for an event that seals nothing."""
    field = SEALED_FIELDS.get(event_type)
    return Place(event_type, field) if field is not None else None


def sealed_place(event_type: str) -> Place:
    """The place of the one sealed field of ``event_type`` (KeyError for an event that seals nothing)."""
    return Place(event_type, SEALED_FIELDS[event_type])
