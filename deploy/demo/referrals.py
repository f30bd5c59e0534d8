"""The demo year's referrals answered, as the receiving services would have answered them.

A service with a referral mailbox answers behind its signed link (routing's ``/referral/<token>`` page, the same use
case its workers use): it opens the referral, accepts it within a few business days (now and then later than the
region's limit) and reports it done some weeks on, or declines it with a reason, after which the worker refers the
family elsewhere and closes the case again. Some services phone the worker instead, who records the answer on the
case; so are some answers of the services that take referrals by hand (no link). A referral of the last days that is
past the region's limit stays unanswered, so that routing raises ``referral.overdue`` for it; one still within the
limit is answered only if the answer falls before the year's end. (Every one of those weeks is left so: an answer
sent while routing's sweep looks at the referral could race it and raise an alert the plan did not have.)

Drawn after the year and its other contacts, from a generator of their own, so the rest of a seed's year stays the
same. Every time is in office hours, counted in business days (deploy.demo.calendar).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from deploy.demo.calendar import add_office_hours
from deploy.demo.plan import REFERRAL_NOTE, PlannedCase, Step
from services.routing.deadlines import REFERRAL_DEMO_HISTORY
from shared.events_referrals import CompletedOutcome, DeclineReason
from shared.regions import Region

LINK_ANSWER = "referral_link_answer"  # a step the driver sends as the service's worker, behind the signed link
RECORD = "record_referral_answer"  # a staff command; the driver names the referral by its service
# Referrals of the year's last weeks stay unanswered when past the limit. Routing raises referral.overdue only for
# referrals sent within its demo history (services/routing/deadlines.py); a day less keeps the count the same
# whenever on the day after the year's end the load runs.
OVERDUE_WINDOW = REFERRAL_DEMO_HISTORY - timedelta(days=1)

BY_PHONE = 0.08  # of the answers of a service with a link, those it phoned to the worker, who recorded them
BY_HAND_RECORDED = 0.3  # of the referrals to a service without a link, those whose answer the worker recorded
DECLINED = 0.12  # of the referrals a service answers, those it declines
LATE = 0.1  # of the acceptances, those later than the region's limit
DONE = 0.85  # of the accepted referrals, those reported done (when that falls before the year's end)
REASONS: dict[DeclineReason, float] = {"no_capacity": 45, "not_our_service": 25, "better_elsewhere": 30}
OUTCOMES: dict[CompletedOutcome, float] = {"service_given": 80, "family_did_not_come": 8, "family_declined": 6,
                                           "moved_elsewhere": 6}
HELPLINES = ("mll",)  # a helpline the family calls themselves: nobody there answers a referral
READERS = ("Pirjo Perheneuvoja", "Sanna Sosiaaliohjaaja", "Mikko Palveluohjaaja", "Anna Lindqvist", "Leena Koskinen",
           "Johanna Björk", "Tiina Terveydenhoitaja", "Erik Sundström")


def _pick(rng: random.Random, weights: Mapping[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def with_referral_answers(plans: Sequence[PlannedCase], rng: random.Random, region: Region,
                          stop: datetime) -> list[PlannedCase]:
    """``plans`` with their services' answers (and a declined family's next referral) up to ``stop``."""
    answerer = _Answers(rng, region, stop)
    return [answerer.plan(p) if p.referral is not None else p for p in plans]


class _Answers:
    def __init__(self, rng: random.Random, region: Region, stop: datetime) -> None:
        self.rng, self.region, self.stop = rng, region, stop
        self.services = {s.id: s for s in region.local_services}

    def by_link(self, service_id: str) -> bool:
        service = self.services.get(service_id)
        return service is not None and service.electronic_referrals and service.referral_mailbox is not None

    def plan(self, plan: PlannedCase) -> PlannedCase:
        assert plan.referral is not None
        sent_at, service_id = plan.referral
        rng = self.rng
        answer_by = self.region.referrals.answer_by(sent_at, self.region.working_day)
        if self.by_link(service_id) and sent_at >= self.stop - OVERDUE_WINDOW and answer_by <= self.stop:
            return plan  # unanswered past the limit: routing raises referral.overdue
        if not self.by_link(service_id) and (any(h in service_id for h in HELPLINES)
                                             or rng.random() >= BY_HAND_RECORDED):
            return plan  # told by hand, and no word back recorded
        if self.by_link(service_id) and self._may_decline(plan, answer_by) and rng.random() < DECLINED:
            return self._declined(plan, sent_at, service_id)
        return replace(plan, referral_steps=tuple(self._accepted(plan.holder, sent_at, service_id)))

    def _may_decline(self, plan: PlannedCase, answer_by: datetime) -> bool:
        """A decline reopens a closed case and the worker refers again: only in a case whose path ends with its
        closing (no reopening, second request or feedback after it), well before the year's end."""
        closing = plan.final_closing
        return (closing is not None and plan.reopening is None and plan.again is None and plan.feedback is None
                and answer_by < self.stop - timedelta(days=30))

    def _how(self, service_id: str) -> str:
        return LINK_ANSWER if self.by_link(service_id) and self.rng.random() >= BY_PHONE else RECORD

    def _answer(self, how: str, at: datetime, by: str, service_id: str, **fields: str) -> Step:
        arguments = {"service_id": service_id, **fields}
        if how == LINK_ANSWER:
            arguments["reader"] = self.rng.choice(READERS)
        return Step(at, by, how, arguments)

    def _accepted(self, holder: str, sent_at: datetime, service_id: str) -> list[Step]:
        rng = self.rng
        how = self._how(service_id)
        hours = rng.uniform(24, 48) if rng.random() < LATE else rng.uniform(0.3, 20)
        accepted = add_office_hours(sent_at, hours)
        if accepted >= self.stop:
            return []
        steps = [self._answer(how, accepted, holder, service_id, answer="accept")]
        done = add_office_hours(accepted, rng.uniform(16, 100))
        if rng.random() < DONE and done < self.stop:
            # Past the link's days the service tells the worker by phone, who records it.
            expires = sent_at + timedelta(days=self.region.referrals.link_days) - timedelta(hours=1)
            how = how if how == RECORD or done < expires else RECORD
            steps.append(self._answer(how, done, holder, service_id, answer="complete",
                                      outcome=_pick(rng, OUTCOMES)))
        return steps

    def _declined(self, plan: PlannedCase, sent_at: datetime, service_id: str) -> PlannedCase:
        """Declined after the case was closed: it is back in the worker's queue, who refers the family to the
        better service named (or another that fits) and closes the case again."""
        rng, holder = self.rng, plan.holder
        closing = plan.final_closing
        assert closing is not None
        reason: DeclineReason = _pick(rng, REASONS)
        others = [s for s in self.services if s != service_id and not any(h in s for h in HELPLINES)]
        other = rng.choice(others)
        fields = {"answer": "decline", "reason": reason}
        if reason == "better_elsewhere":
            fields["better_service_id"] = other
        declined = add_office_hours(max(sent_at, closing.at), rng.uniform(0.3, 12))
        steps = [self._answer(LINK_ANSWER, declined, holder, service_id, **fields)]
        referred = add_office_hours(declined, rng.uniform(0.5, 8))
        closed = add_office_hours(referred, rng.uniform(0.05, 1))
        if closed < self.stop:
            steps += [Step(referred, holder, "refer", {"service_id": other, "consent": "spoken",
                                                       "note": REFERRAL_NOTE}),
                      Step(closed, holder, "close", {"outcome": "referred", "referred_to": other})]
            if self.by_link(other) or rng.random() < BY_HAND_RECORDED:
                steps += self._accepted(holder, referred, other)
        return replace(plan, referral_steps=tuple(sorted(steps, key=lambda s: s.at)))
