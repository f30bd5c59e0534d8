"""A case's referral in its facts: how the service answered its latest referral, why it declined, how soon it
accepted. The dimensions over them (cells.py) feed the referral tables (outcomes.py) under the same disclosure
control as every table.

A case counts once, by its latest referral sent with a link or by hand (referral.sent): the question a region's
pilot report asks is whether the family got where they were sent. A case referred before referrals were answered
(case.referred) counts among the referrals per service, not here: nobody answered it.
"""

from __future__ import annotations

from typing import Any

from shared.businessdays import WorkingDay
from shared.events import EventBase, ReferralAccepted, ReferralCompleted, ReferralDeclined, ReferralSent

COLUMNS = (("referral_answer", "text"), ("referral_sent_at", "timestamptz"), ("referral_accept_hours", "real"),
           ("referral_decline", "text"))
ANSWERS = ("waiting", "accepted", "declined", "completed")
# Working hours from sending to acceptance, in groups: within a working day, within three, later; or not accepted.
ACCEPT_TIMES = ("1", "3", "later", "none")


def evolve_referral(facts: dict[str, Any], event: EventBase, day: WorkingDay) -> bool:
    """Change ``facts`` by a referral event (True), or leave them for the other events (False)."""
    if isinstance(event, ReferralSent):
        p = event.payload
        facts.update(referrals=facts["referrals"] + 1, referred_service=p.service_id, referred_kind=p.service_kind,
                     referral_answer="waiting", referral_sent_at=event.occurred_at, referral_accept_hours=None,
                     referral_decline=None)
    elif isinstance(event, ReferralAccepted) and facts["referral_sent_at"] is not None:
        facts.update(referral_answer="accepted",
                     referral_accept_hours=round(day.hours_between(facts["referral_sent_at"], event.occurred_at), 2))
    elif isinstance(event, ReferralDeclined):
        facts.update(referral_answer="declined", referral_decline=event.payload.reason)
    elif isinstance(event, ReferralCompleted):
        facts.update(referral_answer="completed")
    else:
        return False
    return True


# The dimensions of cells.py, as SQL over a facts row.
DIMENSIONS = {
    "referral_answer": "referral_answer",
    "referral_decline": "CASE WHEN referral_answer = 'declined' THEN referral_decline END",
    "referral_accept_time": ("CASE WHEN referral_answer IS NOT NULL THEN CASE WHEN referral_accept_hours IS NULL"
                             " THEN 'none' WHEN referral_accept_hours <= 8 THEN '1' WHEN referral_accept_hours <= 24"
                             " THEN '3' ELSE 'later' END END"),
}
