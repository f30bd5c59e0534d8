"""Every table the dashboards show, by id and by page: built once and rendered as a page, JSON, CSV or XLSX alike.

A table is built for one set of filters and one language; every count in it has passed through
:func:`services.reporting.privacy.protect` before it leaves its builder, so no rendering can show
a number that should be hidden.
"""

from __future__ import annotations

from services.reporting import contacts, counts, followups, outcomes, response
from services.reporting.filters import Filters
from services.reporting.model import Builder, Table
from shared.db import Conn

TABLES: dict[str, Builder] = {
    "key_figures": counts.key_figures,
    "per_month": counts.per_month,
    "per_week": counts.per_week,
    "by_municipality": counts.by_municipality,
    "by_time": counts.by_time,
    "by_hour": counts.by_hour,
    "by_weekday": counts.by_weekday,
    "by_role": counts.by_role,
    "by_method": counts.by_method,
    "by_channel": counts.by_channel,
    "topics": counts.topics,
    "topics_by_month": counts.topics_by_month,
    "response_by_municipality": response.response_by_municipality,
    "response_by_team": response.response_by_team,
    "response_by_month": response.response_by_month,
    "followups_by_month": followups.followups_by_month,
    "outcomes": outcomes.outcomes,
    "not_reached_by_method": contacts.not_reached_by_method,
    "attempts_to_reach": contacts.attempts_to_reach,
    "referrals": outcomes.referrals,
    "referral_answers": outcomes.referral_answers,
    "referral_declines": outcomes.referral_declines,
    "referral_acceptance_time": outcomes.referral_acceptance_time,
    "follow_up": outcomes.follow_up,
    "feedback": outcomes.feedback,
}
# Each page's tables, in the order it shows them (the pilot report picks from every page).
PAGES: dict[str, tuple[str, ...]] = {
    "overview": ("key_figures", "per_month", "per_week", "by_municipality", "by_time", "by_hour", "by_weekday",
                 "by_role", "by_method", "by_channel"),
    "report": ("key_figures", "by_municipality", "by_channel", "by_role", "by_method", "topics",
               "response_by_municipality", "outcomes", "referrals", "referral_answers", "referral_declines",
               "referral_acceptance_time", "follow_up", "feedback"),
    "topics": ("topics", "topics_by_month"),
    "response": ("response_by_municipality", "response_by_team", "response_by_month", "followups_by_month"),
    "outcomes": ("outcomes", "not_reached_by_method", "attempts_to_reach", "referrals", "referral_answers",
                 "referral_declines", "referral_acceptance_time", "follow_up", "feedback"),
}


async def build(conn: Conn, table_id: str, filters: Filters, lang: str) -> Table:
    """Table ``table_id`` under the filters, in ``lang``."""
    return await TABLES[table_id](conn, filters, lang)
