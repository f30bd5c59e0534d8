"""What staff read, from routing's catalogs (locale/<lang>/LC_MESSAGES/routing.po)."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from services.routing.callback_plan import ERROR_KEYS, CallbackStatus
from services.routing.links import REFUSALS
from services.routing.permissions import WorkloadView
from services.routing.referral_domain import ReferralStatus
from services.routing.search import SEARCH_KINDS
from services.routing.workload import SORT_KEYS
from shared.callbacks import WEEKDAYS
from shared.directory import WEEKDAYS as DIRECTORY_DAYS
from shared.events import EVENT_TYPES, CaseOutcome, Channel, ContactMethod, RequesterRole, Topic, Urgency
from shared.events_referrals import COMPLETED_OUTCOMES, DECLINE_REASONS, Consent
from shared.i18n import Catalog, keys
from shared.notifications import MESSAGE_NAMES

CATALOG = Catalog(
    "routing", Path(__file__).resolve().parent / "locale",
    counts={"account_locked": "minutes", "search_found": "count", "access_search_line": "count"},
    run_time=(
        # Labels the templates build from a value ("state_" ~ c.status); the values are accounts.Role,
        # domain.Status, queries.Risk and the events' own fields.
        *keys("role_", ("coordinator", "professional", "manager", "admin", "network_coordinator",
                        "receiving_service")),
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
        *keys("access_action_", ("view", "api_view", "erase", "view_denied", "api_view_denied", "feedback_view",
                                  "search", "referral_disclosed", "referral_accept", "referral_decline",
                                  "referral_complete")),
        # A search's kind of term, in the access log and its CSV (search.SEARCH_KINDS).
        *keys("search_kind_", SEARCH_KINDS),
        # The search box's problems, shown beside their field (pages/search_page.py).
        *keys("search_error_", ("term", "date", "dates_order")),
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
        # A text message notify refused by the region's rule for numbers (render.FAILURES).
        *keys("failure_", ("number_invalid", "number_not_mobile", "number_country", "number_service_number",
                           "daily_cap")),
        *keys("contact_field_", ("name", "phone", "email", "call_times")),
        # An account's page: what was done (pages/accounts.py ACTIONS) and each change of its history.
        *keys("account_done_", ("disable", "enable", "role", "team", "language", "reset")),
        *keys("account_problem_", ("disable", "enable", "role", "team", "language", "reset")),
        *keys("account_change_", ("disabled", "enabled", "role", "team", "language", "password_reset_sent",
                                  "password_set", "password_changed")),
        "account_unknown_action", "password_link_invalid", "password_old_wrong", "password_too_short",
        *keys("absence_done_", ("recorded", "cancelled")),
        *keys("feedback_status_", ("open", "at_risk", "overdue", "answered")),
        *keys("absence_problem_", ("dates", "ends", "starts", "substitute", "other")),
        "assignee_absent_confirm", "assignee_absent_handoff", "absent_until",
        # The child-welfare marks, chosen in the templates by whether the region's limit passed.
        "cw_badge", "cw_badge_late", "cw_limit", "cw_limit_passed",
        # A recorded contact: how it came ("channel_" ~ channel), and the fields its form names when it refuses one
        # (pages/contacts.py: LABELS).
        *keys("channel_", Channel), *keys("rec_field_", ("channel", "when", "day", "time", "language", "age", "message",
                                                         "method", "receipt", "answered", "form")),
        # Linked cases (links.py, link_queries.py): a refusal's reason, a link's relation and a stream's end of it.
        *keys("link_refused_", REFUSALS), *keys("link_relation_", ("duplicate_of", "duplicate", "related")),
        *keys("link_side_", ("duplicate", "kept", "related")),
        # A browser's error pages, by status (pages/errors.py: ERROR_TEXTS).
        "page_not_found", "page_not_found_body", "error_title", "method_not_allowed_body", "error_body",
        # The team's workload (workload.html): the people table's sortable columns and each view's intro.
        *keys("wl_col_", SORT_KEYS), *keys("wl_intro_", get_args(WorkloadView)),
        # The directory's opening hours name their days (directory_view.hours_line).
        *keys("dir_day_", DIRECTORY_DAYS),
        # The family's language in the picker's hint ("joita saa ruotsiksi"): _service_picker.html.
        *keys("dir_in_", ("fi", "sv", "en")),
        # Referrals (referral_domain.py, the service's page pages/referral.py): states, reasons, outcomes, the
        # saved answer's sentence, a refused field's sentence and the family's contact details by name.
        *keys("referral_status_", get_args(ReferralStatus)), *keys("referral_reason_", DECLINE_REASONS),
        *keys("referral_outcome_", COMPLETED_OUTCOMES), *keys("consent_", get_args(Consent)),
        *keys("referral_saved_", ("accepted", "declined", "completed")),
        *keys("referral_field_", ("name", "answer", "reason", "better_service_id", "outcome")),
        *keys("referral_contact_", ("name", "phone", "email", "call_times")),
        "referral_erased", "referral_erased_title", "referral_link_not_valid", "referral_link_not_valid_title",
    ),
    notes={"hours_left": "{hours} is the working hours left, with one decimal; h is the unit's abbreviation."},
)
t = CATALOG.t
