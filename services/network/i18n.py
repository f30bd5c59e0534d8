"""Everything an applicant or agent reads, from the network's catalogs (locale/<lang>/LC_MESSAGES/network.po)."""

from __future__ import annotations

from pathlib import Path

from shared.i18n import LANG_NAMES, LANGS, Catalog, keys, long_date, pick_lang
from shared.network_events import SECTORS, THEMES

__all__ = ["CATALOG", "LANGS", "LANG_NAMES", "long_date", "pick_lang", "t"]

CATALOG = Catalog(
    "network", Path(__file__).resolve().parent / "locale",
    run_time=(
        # The form's choices: "sector_" ~ sector and the like in join.html.
        *keys("sector_", SECTORS), *keys("theme_", THEMES), *keys("language_", LANGS),
        # Chosen by forms.py (FIELD_ERROR_KEYS) and web.py (FIELD_LABEL_KEYS) for the field in error.
        "err_name", "err_email", "err_phone", "err_organisation", "err_sector", "err_themes", "err_languages",
        "err_why", "err_consent", "err_municipality", "err_invalid", "err_honeypot", "err_control_chars",
        "name_label", "email_label", "phone_label", "organisation_label", "sector_label", "themes_legend",
        "languages_legend", "why_label", "consent_label", "municipality_label", "language_label",
        "honeypot_label",
        # The agent's page: their status ("me_status_" ~ status), what a redirect after a change says.
        *keys("me_status_", ("applied", "confirmed", "active", "paused")), "me_saved", "me_paused_flash",
        "me_back_flash",
        # The tasks' fields in error (task_pages.py: TASK_FIELDS, REPORT_ERROR_KEYS).
        "err_title", "err_brief", "err_due", "err_reached", "err_note",
        # The task's and the news' text fields per language ("task_title_" ~ code and the like).
        *keys("task_title_", ("fi", "sv")), *keys("task_brief_", ("fi", "sv")), *keys("news_body_", ("fi", "sv")),
        # Surveys: the kinds of question, the per-language fields.
        *keys("survey_kind_", ("single", "multiple", "scale", "number", "text")),
        *keys("survey_question_text_", ("fi", "sv")), *keys("survey_options_", ("fi", "sv")), "err_questions",
        "err_answer",
        # The registry's statuses ("status_" ~ status).
        *keys("status_", ("applied", "confirmed", "active", "paused", "left")),
        # A browser's error pages, by status (web.py: ERROR_TEXTS).
        "not_found_title", "page_not_found_body", "error_title", "method_not_allowed_body", "error_body",
        # A refused write's page (web.py: REFUSED_TEXTS).
        "form_refused_title", "form_refused_body", "cross_site_body",
    ),
    notes={
        "closes_on": "{day} is a long date, 'tiistai 3. helmikuuta 2026', in the page's language.",
        "closed_body": "{day} is a long date, the last day applications were taken.",
        "opens_on": "{day} is a long date, the first day applications are taken.",
        "consent_version": "{version} is the consent text's version, '2026-01'.",
        "registry_without_agent": "{count} and {total} are numbers of municipalities; {count} may be 0 or 1.",
        "registry_agents_caption": "{count} is how many agents the table lists, 0 or more.",
        "survey_reminded": "{count} is how many agents were reminded, 0 or more.",
        "survey_answered_count": "{count} is a number, or 'x' when it is too small to show.",
    },
)
t = CATALOG.t
