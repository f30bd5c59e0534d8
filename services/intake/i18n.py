"""Everything a family reads, from intake's catalogs (locale/<lang>/LC_MESSAGES/intake.po); dates in the page's
language (Babel)."""

from __future__ import annotations

from pathlib import Path

from shared.callbacks import Weekday
from shared.events import AgeGroup, CaseOutcome, ContactMethod, RequesterRole, Topic
from shared.i18n import LANG_NAMES, LANGS, Catalog, keys, long_date, pick_lang

__all__ = ["CATALOG", "LANGS", "LANG_NAMES", "long_date", "pick_lang", "t"]

CATALOG = Catalog(
    "intake", Path(__file__).resolve().parent / "locale",
    counts={"err_too_many": "minutes"},
    run_time=(
        # The form's choices: "role_" ~ role and the like in form.html.
        *keys("role_", RequesterRole), *keys("topic_", Topic), *keys("age_", AgeGroup),
        *keys("method_", ContactMethod), *keys("weekday_", Weekday),
        # Chosen by forms.py (FIELD_ERROR_KEYS) and web.py (FIELD_LABEL_KEYS) for the field in error.
        "err_requester_role", "err_message", "err_phone", "err_email", "err_contact_method", "err_consent",
        "err_honeypot", "err_invalid", "err_call_windows", "err_control_chars", "call_windows_legend",
        # Why the region will not use a number (forms.py: "err_phone_" + shared.phones' problem).
        "err_phone_invalid", "err_phone_not_mobile", "err_phone_country", "err_phone_service_number",
        "who_legend", "message_label", "phone_label", "email_label", "answer_legend", "privacy_link", "name_label",
        "honeypot_label", "topic_label", "age_label",
        "receipt_reference", "status_code_label", "feedback_title", "call_times_label", "feedback_comment",
        "a11y_feedback_label", "a11y_feedback_contact", "a11y_feedback_municipality",
        # How a closed case ended (status_pages.py: "closed_" + outcome) and what a redirect after a send says.
        *keys("closed_", CaseOutcome), "add_message_sent", "feedback_thanks",
        # Where the family was referred and how far it is (status_case.html: "referral_family_" ~ status).
        *keys("referral_family_", ("sent", "accepted", "declined", "completed")),
        # How a referred service is reached and when it is open (service_channels.py).
        "ways_closed", "ways_always_open",
        # The two information pages, named by their route.
        "privacy_title", "privacy_body", "a11y_title", "a11y_body",
        # A browser's error pages, by status (web.py: ERROR_TEXTS).
        "not_found_title", "page_not_found_body", "error_title", "method_not_allowed_body", "error_body",
    ),
    notes={
        "send_failed_retrying": "form.js fills in {seconds} from its delays of 2 to 30 seconds, so the number is "
                                "never 1 and the text has no singular form.",
        "counter": "{used} is how many characters are written so far; the noun goes with the 4 000 after it.",
        "err_phone_country": "{codes} is the allowed countries' calling codes, '+358' or '+358, +46'.",
        "band": "A checkbox's label under a weekday's name: {start} and {end} are whole hours (8, 12, 16, 18).",
        "callback_scheduled": "{day} is a short weekday and date ('ti 8.12.', 'tis 8 dec.', 'Tue 8 Dec'); {start} "
                              "and {end} are hours, '16' or '16.30', Helsinki time.",
    },
)
t = CATALOG.t
