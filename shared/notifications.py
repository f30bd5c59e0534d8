"""The messages notify sends, by name: the name travels in ``notification.sent`` / ``notification.failed``,
and routing shows it in a case's timeline in words, so both read the one list."""

from __future__ import annotations

MESSAGE_NAMES: tuple[str, ...] = (
    "request_receipt", "reply_waiting", "staff_new_case", "staff_assigned", "deadline_warning", "deadline_missed",
    "notification_failed", "family_wrote_again", "child_welfare_due",
    # Calls to the family: to them, only the time and the reference; to the caller, a reminder.
    "callback_scheduled", "callback_changed", "callback_cancelled", "not_reached_notice", "callback_reminder",
    # A contact staff recorded (phone, in person, letter): the reference and the promised day, or the reference
    # alone when the family was answered in the contact itself.
    "contact_receipt", "contact_receipt_answered",
    # Referrals: the receiving service's link (never the note or the family's contact), and to the worker a
    # decline or a referral left unanswered past the region's limit.
    "referral_sent", "referral_declined", "referral_overdue")

# The change agents' network's mail (services/network): to one agent, never of a case.
NETWORK_MESSAGES: tuple[str, ...] = ("network_confirm", "network_welcome", "network_task", "network_news",
                                     "network_survey", "network_survey_reminder")

# Messages about a staff account or an accessibility feedback, not about a case: no case event records them.
NOT_OF_A_CASE: tuple[str, ...] = ("password_reset", "accessibility_feedback", *NETWORK_MESSAGES)
