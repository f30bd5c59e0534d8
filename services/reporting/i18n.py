"""What the region's dashboards say, from reporting's catalogs (locale/<lang>/LC_MESSAGES/reporting.po)."""

from __future__ import annotations

from pathlib import Path

from services.reporting.referral_facts import ACCEPT_TIMES, ANSWERS
from shared.events import ContactMethod, Outcome, RequesterRole, Topic
from shared.events_referrals import DECLINE_REASONS
from shared.i18n import Catalog, keys

PAGES = ("overview", "topics", "response", "outcomes", "report")

CATALOG = Catalog(
    "reporting", Path(__file__).resolve().parent / "locale",
    counts={"n_municipalities": "n", "report_contacts": "n", "report_contacts_no_rate": "n"},
    run_time=(
        # Row and column labels tables.py builds from a value ("month_" + str(month), "col_" + key).
        *keys("month_", range(1, 13)), *keys("weekday_", range(1, 8)), *keys("score_", range(1, 6)),
        *keys("time_", ("office", "evening", "night", "weekend", "holiday")),
        *keys("channel_", ("button", "phone", "in_person", "letter")),
        *keys("role_", RequesterRole), *keys("method_", ContactMethod), *keys("topic_", Topic), "topic_none",
        *keys("outcome_", Outcome), *keys("kind_", ("municipal", "county", "third_sector")),
        # The referral tables' rows (outcomes.py, referral_facts.py).
        *keys("referral_answer_", ANSWERS), *keys("decline_reason_", DECLINE_REASONS),
        *keys("accept_time_", ACCEPT_TIMES),
        *keys("col_", ("contacts", "answered", "met", "missed", "followups", "followups_met", "followups_missed")),
        "fig_handed_off", "fig_referred", "fig_reopened", "fig_child_welfare", "fig_feedback_given",
        # The pages' names and introductions ("page_" ~ page), and the viewer's role in base.html.
        *keys("page_", PAGES), *keys("intro_", PAGES), *keys("nav_", PAGES),
        "nav_network",  # the menu's link to the network page (pages.PAGE_ORDER), which has no filters
        *keys("role_", ("manager", "coordinator", "admin")),
        # The network page's sectors (network_figures.py: "network_sector_" + sector).
        *keys("network_sector_", ("municipality", "county", "school", "ngo", "parish", "business", "family", "other")),
        # What was wrong with a page's filters (filters.parse_filters' "problem"), and the way back to the page.
        *keys("filter_problem_", ("not_a_period", "period_out_of_range", "use_period", "topic_gone",
                                  "one_municipality", "invalid", "unknown", "other_region")),
        *keys("error_retry_", PAGES),
        # What a chart's value axis counts, by the kind of its columns (present.chart_data).
        *keys("axis_", ("count", "percent", "rate", "hours", "score", "number")),
        # Inside an f-string in pages.py, where extraction does not look.
        "list_and",
        # A browser's error pages, by status (errors_page.py: ERROR_TEXTS).
        "page_not_found", "page_not_found_body", "error_title", "method_not_allowed_body", "error_body",
    ),
    notes={
        "report_contacts": "{rate} is shown with one decimal (12,3), which takes the plural form in all three "
                           "languages.",
        "report_in_time": "{met} is a percentage and {hours} is shown with one decimal (7,5), which takes the plural "
                          "form in all three languages.",
        "list_and": "Joins the last two of the most common topics in the report's sentence.",
        "time_office": "{opens} and {closes} are the region's office hours ('8', '8.30', '16').",
        "note_response": "{hours} is the region's office hours, e.g. '8–16'.",
    },
)
t = CATALOG.t
