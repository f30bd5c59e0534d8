"""What staff read, from routing's catalogs (locale/<lang>/LC_MESSAGES/routing.po)."""

from __future__ import annotations

from pathlib import Path

from services.routing.callback_plan import ERROR_KEYS, CallbackStatus
from services.routing.links import REFUSALS
from shared.callbacks import WEEKDAYS
from shared.events import EVENT_TYPES, CaseOutcome, ContactMethod, RequesterRole, Topic, Urgency
from shared.i18n import Catalog, keys
from shared.notifications import MESSAGE_NAMES

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
        *keys("urgency_", Urgency), *keys("outcome_", CaseOutcome),
        *keys("result_", ("reached", "no_answer", "message_left")),
        *keys("how_", ("notification_made", "contacted_together")),
        *keys("ev_", EVENT_TYPES),
        # The access log's actions (access_export.ACCESS_ACTIONS) and the queue's heading per status filter.
        # What a person's role may not see (web.NotForYourRole's "what"), on the page that says so.
        *keys("forbidden_title_", ("statistics",)), *keys("forbidden_why_", ("statistics",)),
        # Marks for a case written in another language than Finnish.
        *keys("written_in_", ("sv", "en")),
        *keys("access_action_", ("view", "api_view", "erase", "view_denied", "api_view_denied")),
        *keys("queue_heading_", ("open", "closed", "new", "triaged", "assigned", "all")),
        # The queue's status filter names its labels in a list in queue.html.
        "status_open", "status_closed_filter", "all",
        # The reply templates: a language's name ("language_" ~ code), the notice after a change and
        # each field's problem (pages/templates.py).
        *keys("language_", ("fi", "sv", "en")), *keys("template_", ("created", "saved", "removed")),
        *keys("template_problem_", ("language", "title", "text", "topic")),
        # Calls to families: a window's weekday, a call's status, and the rules' refusals (callback_plan).
        *keys("weekday_", WEEKDAYS), *keys("cb_status_", CallbackStatus), *ERROR_KEYS,
        # A notification in a case's timeline (pages/render.notification_line): the message, who it went to,
        # and why it failed; and the family's contact details by name.
        *keys("message_", MESSAGE_NAMES), *keys("recipient_", ("family", "coordinators")),
        *keys("failure_", ("family", "configuration", "staff", "delivery", "other")),
        *keys("contact_field_", ("name", "phone", "email", "call_times")),
        # Linked cases (links.py, link_queries.py): a refusal's reason, a link's relation and a stream's end of it.
        *keys("link_refused_", REFUSALS), *keys("link_relation_", ("duplicate_of", "duplicate", "related")),
        *keys("link_side_", ("duplicate", "kept", "related")),
        # A browser's error pages, by status (pages/errors.py: ERROR_TEXTS).
        "page_not_found", "page_not_found_body", "error_title", "method_not_allowed_body", "error_body",
    ),
    notes={"hours_left": "{hours} is the working hours left, with one decimal; h is the unit's abbreviation."},
)
t = CATALOG.t
