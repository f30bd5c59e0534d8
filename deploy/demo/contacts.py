"""The contacts of a demo year that did not come through the button once: phone calls, visits and letters the
coordinator recorded, and families who wrote a second time about the same matter.

Both are drawn after the year is planned, from a generator of their own, so the button's year stays the same
for a seed. A recorded contact comes in office hours (the team's phone and door are open then) and is answered
by phone, never on the status page (a recorded case has no pick-up code, so no feedback either). A second
request comes within hours of the first, and the coordinator links it as a duplicate while both are open.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Literal

from deploy.demo.calendar import after_hours
from deploy.demo.plan import Again, PlannedCase
from shared.events import Language

RECORDED = 0.3  # of the requests that came in office hours with a phone number, those that came another way
CHANNELS: dict[Literal["phone", "in_person", "letter"], float] = {"phone": 75, "in_person": 18, "letter": 7}
ANSWERED_IN_CONTACT = 0.4  # of the calls and visits, those answered then and there
AGAIN_SHARE = 0.03  # families who write a second time before their first request is closed
AGAIN_FIRST: dict[Language, str] = {
    "fi": "Lähetin jo aiemmin viestin, mutta en tiedä menikö se perille, joten kirjoitan uudelleen.",
    "sv": "Jag skickade redan ett meddelande men vet inte om det kom fram, så jag skriver igen.",
    "en": "I already sent a message but I am not sure it arrived, so I am writing again.",
}


def with_other_contacts(plans: Sequence[PlannedCase], rng: random.Random, stop: datetime) -> list[PlannedCase]:
    """``plans`` with some turned into recorded contacts and some followed by a second request (before ``stop``)."""
    out: list[PlannedCase] = []
    for plan in plans:
        if recordable(plan) and rng.random() < RECORDED:
            channel = rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0]
            plan = as_recorded(plan, channel, answered=channel != "letter" and rng.random() < ANSWERED_IN_CONTACT)
        elif plan.channel == "button" and rng.random() < AGAIN_SHARE:
            plan = written_again(plan, rng, stop)
        out.append(plan)
    return out


def as_recorded(plan: PlannedCase, channel: Literal["phone", "in_person", "letter"], *,
                answered: bool) -> PlannedCase:
    """The same contact come by ``channel``: the number as written down (no call windows: the family said when
    to call in the call itself), and no feedback, which is given with a pick-up code."""
    return replace(plan, channel=channel, feedback=None, answered_in_contact=answered,
                   contact={k: v for k, v in plan.contact.items() if k in ("method", "phone")})


def recordable(plan: PlannedCase) -> bool:
    """A contact that could have come by phone, visit or letter: in office hours, from someone with a phone
    number, and answered by phone (a recorded case has no status page to read a written reply on)."""
    return (plan.contact_method == "phone" and not after_hours(plan.received_at)
            and all(step.command != "reply" for step in plan.steps()))


def written_again(plan: PlannedCase, rng: random.Random, stop: datetime) -> PlannedCase:
    """The family's second request some hours after the first, linked a while later if the first is open then."""
    received = plan.received_at + timedelta(minutes=rng.randint(20, 8 * 60))
    linked = received + timedelta(minutes=rng.randint(10, 120))
    open_until = plan.closing.at if plan.closing is not None else stop
    if linked >= open_until or linked >= stop:
        return plan
    again = Again(received_at=received, submission_id=uuid.uuid5(plan.submission_id, "again"),
                  message=f"{AGAIN_FIRST[plan.language]}\n\n{plan.message}", linked_at=linked)
    return replace(plan, again=again)
