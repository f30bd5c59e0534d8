"""A planned case as the events the services would have made of it, without HTTP.

The request becomes the ``RequestSubmitted`` intake makes (the family's words and contact sealed
with a key of the case's own), and every staff step goes through routing's own ``decide`` and
``evolve``, so the events are exactly what the commands would give. For the dashboard test and
the replay and dashboard benchmarks, where a year (or a country's decade) has to exist in seconds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping

from pydantic import TypeAdapter

from deploy.demo.plan import COORDINATOR, PlannedCase
from services.routing.decisions import COMMANDS, decide
from services.routing.domain import evolve, initial_state
from shared.events import (
    EventBase,
    FeedbackGiven,
    FeedbackGivenPayload,
    RequestSubmitted,
    RequestSubmittedPayload,
    new_event,
)
from shared.places import sealed_place
from shared.regions import Region
from shared.sealing import Place, new_data_key, seal

DEMO_CASES = uuid.UUID("0e5b7c2a-9d41-4f7e-8a3c-5d2f1b6e9a70")
_ADAPTERS = {name: TypeAdapter(model) for name, model in COMMANDS.items()}


def case_id_of(plan: PlannedCase) -> uuid.UUID:
    return uuid.uuid5(DEMO_CASES, str(plan.submission_id))


def events_of(plan: PlannedCase, region: Region, *, team_of: Mapping[str, str],
              coordinator: str = "koordinaattori") -> list[EventBase]:
    """The case's events in order; ``team_of`` maps each professional's account id to their team."""
    if plan.channel != "button" or plan.again is not None:
        raise ValueError("recorded contacts and second requests are made through the APIs only (deploy.demo.drive)")
    case_id = case_id_of(plan)
    key = new_data_key()
    submitted = new_event(
        RequestSubmitted, case_id=case_id, region=plan.region, municipality=plan.municipality, actor="family",
        occurred_at=plan.received_at,
        payload=RequestSubmittedPayload(
            submission_id=plan.submission_id, reference=case_id.hex[:4].upper() + "-" + case_id.hex[4:8].upper(),
            language=plan.language, requester_role=plan.requester_role, topic=plan.topic,
            child_age_group=plan.child_age_group, contact_method=plan.contact_method, answer_due=plan.answer_due,
            deadline_business_days=region.deadline.business_days,
            personal=seal(key, case_id, {"message": plan.message, "contact": dict(plan.contact)},
                          sealed_place("request.submitted"))))
    events: list[EventBase] = [submitted]
    state = initial_state(submitted)
    teams = {t.id for t in region.teams}
    for step in plan.steps():
        command = _ADAPTERS[step.command].validate_python(dict(step.arguments))
        actor = coordinator if step.by == COORDINATOR else step.by
        decision = decide(state, command, region=region, teams=teams,
                          seal=lambda text, kind, field: seal(key, case_id, text, Place(kind, field)),
                          team_of=team_of.get)
        for cls, payload in decision:
            event = new_event(cls, case_id=case_id, region=plan.region, municipality=plan.municipality,
                              actor=f"staff:{actor}", payload=payload, occurred_at=step.at)
            state = evolve(state, event)
            events.append(event)
    if plan.feedback is not None:
        events.append(new_event(FeedbackGiven, case_id=case_id, region=plan.region, municipality=plan.municipality,
                                actor="family", occurred_at=plan.feedback.at,
                                payload=FeedbackGivenPayload(score=plan.feedback.score)))
    return events


def year_of_events(plans: list[PlannedCase], region: Region, *, team_of: Mapping[str, str]) -> Iterator[EventBase]:
    for plan in plans:
        yield from events_of(plan, region, team_of=team_of)
