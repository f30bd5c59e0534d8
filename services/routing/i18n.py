"""What staff read, from routing's catalogs (locale/<lang>/LC_MESSAGES/routing.po)."""

from __future__ import annotations

from pathlib import Path

from shared.events import EVENT_TYPES, ContactMethod, Outcome, RequesterRole, Topic, Urgency
from shared.i18n import Catalog, keys

CATALOG = Catalog(
    "routing", Path(__file__).resolve().parent / "locale",
    counts={"account_locked": "minutes"},
    run_time=(
        # Labels the templates build from a value ("state_" ~ c.status); the values are accounts.Role,
        # domain.Status, queries.Risk and the events' own fields.
        *keys("role_", ("coordinator", "professional", "manager", "admin")),
        *keys("state_", ("new", "triaged", "assigned", "closed")),
        *keys("risk_", ("ok", "at_risk", "overdue", "answered", "closed")),
        *keys("requester_", RequesterRole), *keys("topic_", Topic), *keys("contact_", ContactMethod),
        *keys("urgency_", Urgency), *keys("outcome_", Outcome),
        *keys("result_", ("reached", "no_answer", "message_left")),
        *keys("how_", ("notification_made", "contacted_together")),
        *keys("ev_", EVENT_TYPES),
        # The queue's status filter names its labels in a list in queue.html.
        "status_open", "status_closed_filter", "all",
        # The reply templates: a language's name ("language_" ~ code), the notice after a change and
        # each field's problem (pages/templates.py).
        *keys("language_", ("fi", "sv", "en")), *keys("template_", ("created", "saved", "removed")),
        *keys("template_problem_", ("language", "title", "text", "topic")),
        # A browser's error pages, by status (pages/errors.py: ERROR_TEXTS).
        "page_not_found", "page_not_found_body", "error_title", "method_not_allowed_body", "error_body",
    ),
    notes={"hours_left": "{hours} is the working hours left, with one decimal; h is the unit's abbreviation."},
)
t = CATALOG.t
