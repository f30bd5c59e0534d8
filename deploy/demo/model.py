"""A region's demo year: who asked what, when, and what staff did about it, drawn as plans. Pure and deterministic.

``plan_year`` draws everything from the ``random.Random`` it is given, so one seed gives the same
year. A plan (:mod:`deploy.demo.plan`: a case and its staff steps) holds no ids the services make
(case ids, references); the driver (:mod:`deploy.demo.drive`) sends it through the real APIs, and a
benchmark can turn the same plans into events without HTTP. Shapes follow the pilots (Raisio, Rusko, Naantali; Oulu):
about 12 requests a year per 1,000 children, see :mod:`deploy.demo.calendar` for the times.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, TypeVar

from deploy.demo import calendar, texts
from deploy.demo.calendar import add_office_hours, office_closing, office_hours_between
from deploy.demo.plan import (
    COORDINATOR,
    Assignment,
    Attempt,
    Closing,
    Feedback,
    HandOff,
    PlannedCase,
    Reopening,
    Response,
    Triage,
    cut,
)
from shared.businessdays import HELSINKI, answer_due
from shared.callbacks import WEEKDAYS, CallWindow, window_values
from shared.events import AgeGroup, ContactMethod, Language, Outcome, RequesterRole, Topic
from shared.regions import Municipality, Region

K = TypeVar("K")
TOPICS: dict[Topic, float] = {"finding_services": 26, "family_change": 20, "parent_coping": 18,
                              "child_emotions": 17, "child_mental_wellbeing": 9, "other": 4}
NO_TOPIC = 0.06  # families who leave the topic empty
ROLES: dict[RequesterRole, float] = {"parent": 82, "relative": 6, "child": 7, "professional": 5}
AGES: dict[AgeGroup, float] = {"0-2": 18, "3-6": 24, "7-12": 30, "13-17": 22}
AGES_FITTING: dict[str, dict[AgeGroup, float]] = {  # the age hints of deploy.demo.texts
    "baby": {"0-2": 1}, "small": {"0-2": 1, "3-6": 1.3}, "school": {"7-12": 1.3, "13-17": 1}, "teen": {"13-17": 1},
    "any": AGES}
CONTACTS: dict[ContactMethod, float] = {"phone": 58, "sms": 8, "email": 14, "anonymous": 20}
CALL_WINDOWS_CHOSEN = 0.7  # of the families answered by phone or text message, those who tick call windows
WINDOW_BANDS = (3.0, 4.0, 5.0)  # how often each of the region's bands is the habit: mornings, afternoons, after work
OUTCOMES: dict[Outcome, float] = {"guidance_enough": 55, "referred": 25, "same_worker_continues": 10,
                                  "not_reached": 7.5, "not_a_request": 4}  # not_reached only with a contact
SCORES: dict[int, float] = {5: 50, 4: 30, 3: 12, 2: 5, 1: 3}
# Which kind of team and service fits a topic, matched against the ids in the region's configuration.
TEAM_FOR: dict[Topic, tuple[str, ...]] = {
    "finding_services": ("guidance",), "family_change": ("counselling", "guidance"),
    "parent_coping": ("work", "clinic", "guidance"), "child_emotions": ("counselling", "work"),
    "child_mental_wellbeing": ("counselling", "guidance"), "other": ("guidance",)}
SERVICE_FOR: dict[Topic, tuple[str, ...]] = {
    "finding_services": ("varhaiskasvatus", "neuvola", "kotipalvelu"), "family_change": ("perheneuvola", "perhetyo"),
    "parent_coping": ("kotipalvelu", "perhetyo", "neuvola"), "child_emotions": ("perheneuvola", "perhetyo"),
    "child_mental_wellbeing": ("perheneuvola",), "other": ("neuvola",)}
RELATED: dict[Topic, Topic] = {"finding_services": "parent_coping", "family_change": "child_emotions",
                               "parent_coping": "finding_services", "child_emotions": "child_mental_wellbeing",
                               "child_mental_wellbeing": "child_emotions", "other": "finding_services"}


def plan_year(region: Region, *, end: date, rng: random.Random, per_1000_children: float = 12.0,
              professionals: Mapping[str, Sequence[str]] | None = None) -> list[PlannedCase]:
    """The year of requests before ``end`` (Helsinki), with what staff did, ordered by arrival.

    ``professionals`` (team id -> usernames) are who cases can go to by name; teams without any
    are worked by the coordinator. Cases of the last business day before ``end`` (and some of the
    day before it) are still open, and nothing happens at or after the start of ``end``.
    """
    planner = _Planner(region, rng, professionals or {})
    children = sum(m.population.children_0_17 for m in region.municipalities if m.population)
    if children == 0:
        raise ValueError(f"{region.id} has no population figures; they weigh the municipalities")
    days = [end - timedelta(days=n) for n in range(365, 0, -1)]
    count = round(per_1000_children * children / 1000)
    chosen_days = rng.choices(days, weights=[calendar.day_weight(d) for d in days], k=count)
    municipalities = [m for m in region.municipalities if m.population and m.population.children_0_17]
    weights = [m.population.children_0_17 for m in municipalities if m.population]
    places = rng.choices(municipalities, weights=weights, k=count)
    stop = datetime.combine(end, time(), HELSINKI).astimezone(UTC)
    older, last = (datetime.combine(calendar.business_days_before(end, n), time(), HELSINKI).astimezone(UTC)
                   for n in (2, 1))
    plans = [planner.case(calendar.local_moment(day, rng), place, live_from=(older, last))
             for day, place in zip(sorted(chosen_days), places, strict=True)]
    return sorted((cut(p, stop) for p in plans), key=lambda p: p.received_at)


def _pick(rng: random.Random, weights: Mapping[K, float]) -> K:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class _Planner:
    def __init__(self, region: Region, rng: random.Random, professionals: Mapping[str, Sequence[str]]) -> None:
        self.region = region
        self.rng = rng
        self.professionals = {team: list(names) for team, names in professionals.items() if names}
        self.teams = [t.id for t in region.teams]

    def case(self, received_at: datetime, municipality: Municipality, *,
             live_from: tuple[datetime, datetime]) -> PlannedCase:
        """One request and its path; from ``live_from`` (the last two business days) some (then all) stay open."""
        rng = self.rng
        language = self._language(municipality)
        role = _pick(rng, ROLES)
        if role == "parent" or not texts.OTHERS[language].get(role):
            topic = _pick(rng, TOPICS)
            fits, message = rng.choice(texts.PARENT[language][topic])
        else:
            topic, message = rng.choice(texts.OTHERS[language][role])
            fits = "teen" if role == "child" and rng.random() < 0.85 else "school" if role == "child" else "any"
        group: AgeGroup = _pick(rng, AGES_FITTING[fits])
        age = group if rng.random() >= 0.06 else None
        method = _pick(rng, CONTACTS)
        if role == "child" and rng.random() < 0.4:
            method = "anonymous"
        outcome = _pick(rng, {k: v for k, v in OUTCOMES.items() if k != "not_reached" or method != "anonymous"})
        if outcome == "not_a_request":
            topic, message = "other", rng.choice(texts.NOT_A_REQUEST[language])
        plan = PlannedCase(
            received_at=received_at, region=self.region.id, municipality=municipality.id, language=language,
            requester_role=role, topic=None if rng.random() < NO_TOPIC else topic, child_age_group=age,
            contact=self._contact(method, language), message=message,
            # Drawn from the seed, and apart per region: two regions' years never share a submission.
            submission_id=uuid.uuid5(uuid.UUID(int=rng.getrandbits(128)), self.region.id),
            answer_due=answer_due(received_at, self.region.deadline.business_days))
        plan = self._staff_path(plan, topic, outcome)
        if received_at >= live_from[1] or received_at >= live_from[0] and rng.random() < 0.5:
            plan = self._still_open(plan)
        return plan

    def _language(self, municipality: Municipality) -> Language:
        rng, first = self.rng, municipality.languages[0]
        if rng.random() < 0.04:
            return "en"
        if len(municipality.languages) > 1 and rng.random() < (0.2 if first == "sv" else 0.06):
            return municipality.languages[1]
        return first

    def _contact(self, method: ContactMethod, language: Language) -> dict[str, Any]:
        rng = self.rng
        contact: dict[str, Any] = {"method": method}
        if method in ("phone", "sms"):
            contact["phone"] = f"+358 40 {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
            if rng.random() < CALL_WINDOWS_CHOSEN:
                contact["call_windows"] = self._call_windows()
            if rng.random() < 0.3:
                contact["call_times"] = rng.choice(texts.CALL_TIMES[language])
        elif method == "email":
            contact["email"] = f"perhe{rng.randint(1000, 9999)}@example.fi"
        return contact

    def _call_windows(self) -> list[str]:
        """A few of the form's windows: one habit (after work, say) on two to four weekdays, sometimes another."""
        rng, bands = self.rng, self.region.callbacks.bands
        start, end = _pick(rng, {band: WINDOW_BANDS[i] if i < len(WINDOW_BANDS) else 1.0
                                 for i, band in enumerate(bands)})
        days = sorted(rng.sample(range(len(WEEKDAYS)), rng.randint(2, 4)))
        windows = [CallWindow(weekday=WEEKDAYS[d], start=start, end=end) for d in days]
        if rng.random() < 0.25:
            other = rng.choice(bands)
            windows.append(CallWindow(weekday=rng.choice(WEEKDAYS), start=other[0], end=other[1]))
        return sorted({w.value for w in windows}, key=window_values(bands).index)

    def _staff_path(self, plan: PlannedCase, family_topic: Topic, outcome: Outcome) -> PlannedCase:
        rng = self.rng
        received = plan.received_at
        urgent = rng.random() < 0.04
        concern = rng.random() < (0.08 if plan.requester_role == "child" or family_topic == "child_mental_wellbeing"
                                  else 0.015)
        urgent = urgent or (concern and rng.random() < 0.7)
        delay = rng.uniform(0.05, 0.5) if urgent else rng.uniform(0.1, 1.5)
        triaged_at = add_office_hours(received + timedelta(minutes=rng.randint(5, 40)), delay)
        topic = family_topic if rng.random() > 0.1 else RELATED[family_topic]
        triage = Triage(triaged_at, topic, "urgent" if urgent else "normal", concern)
        plan = replace(plan, triage=triage)
        if outcome == "not_a_request":
            return self._not_a_request(plan)
        assignment = self._assign(triaged_at + timedelta(minutes=rng.randint(2, 25)), COORDINATOR, topic,
                                  plan.child_age_group)
        plan = replace(plan, assignment=assignment)
        holder, start = assignment.holder, assignment.at
        if rng.random() < 0.11:
            handed = self._assign(add_office_hours(start, rng.uniform(0.3, 3)), holder, topic, plan.child_age_group,
                                  away_from=assignment.team)
            note_language = "sv" if plan.language == "sv" else "fi"
            plan = replace(plan, hand_off=HandOff(handed, rng.choice(texts.HAND_OFF_NOTE[note_language])))
            holder, start = handed.holder, handed.at
        if outcome == "not_reached":
            return self._not_reached(plan, holder, start)
        plan, responded = self._first_response(plan, holder, start, urgent)
        at = responded
        if concern and rng.random() < 0.7:
            at = add_office_hours(at, rng.uniform(0.1, 2))
            plan = replace(plan, child_welfare_notified_at=at)
        referred_to = None
        if outcome == "referred":
            referred_to = self._service(topic, plan.child_age_group, plan.requester_role)
            at = add_office_hours(at, rng.uniform(0.05, 1))
            plan = replace(plan, referral=(at, referred_to))
        hours = rng.uniform(0.05, 1.5) if rng.random() < 0.7 else rng.uniform(8, 40)
        closing = Closing(add_office_hours(at, hours), holder, outcome, referred_to)
        plan = replace(plan, closing=closing)
        if rng.random() < 0.03:
            plan = self._reopen(plan, holder)
        return self._feedback(plan)

    def _assign(self, at: datetime, by: str, topic: Topic, age: AgeGroup | None, *,
                away_from: str | None = None) -> Assignment:
        """Mostly to service guidance; otherwise (and on a hand-off, away from the team that has it) by topic."""
        rng = self.rng
        preference = TEAM_FOR[topic] if away_from or rng.random() < 0.3 else ("guidance",)
        if topic == "parent_coping" and age in ("0-2", "3-6"):
            preference = ("clinic", *preference)
        candidates = [t for t in self.teams if t != away_from] or self.teams
        team = next((t for key in preference for t in candidates if key in t), None) or rng.choice(candidates)
        people = self.professionals.get(team, [])
        if people and rng.random() < 0.55:
            person = rng.choice(people)
            return Assignment(at, by, "professional", person, team, person)
        return Assignment(at, by, "team", team, team, rng.choice(people) if people else COORDINATOR)

    def _service(self, topic: Topic, age: AgeGroup | None, role: RequesterRole) -> str:
        rng = self.rng
        services = [s.id for s in self.region.local_services]
        wanted = list(SERVICE_FOR[topic])
        if role == "child" or age == "13-17" and topic in ("child_emotions", "child_mental_wellbeing"):
            wanted.insert(0, "mll")  # the helpline for children and young people themselves
        if age in ("0-2", "3-6") and topic != "child_mental_wellbeing":
            wanted.append("neuvola")
        matches = [s for key in wanted for s in services if key in s]
        return rng.choice(matches) if matches and rng.random() < 0.85 else rng.choice(services)

    def _first_response(self, plan: PlannedCase, holder: str, start: datetime,
                        urgent: bool) -> tuple[PlannedCase, datetime]:
        """A reply or a phone call, usually within the deadline, about 5 % late; failed calls before it."""
        rng = self.rng
        start = start + timedelta(minutes=rng.randint(5, 30))
        due_end = office_closing(plan.answer_due)
        window = max(office_hours_between(start, due_end), 0.25)
        if urgent:
            window = min(window, 3.0)
        offset = window * rng.random() ** 1.6 if rng.random() > 0.05 else window + rng.uniform(0.25, 12)
        answered = add_office_hours(start, offset)
        method = plan.contact_method
        calls = method == "phone" or method == "sms" and rng.random() < 0.5
        attempts: list[Attempt] = []
        if calls and rng.random() < 0.25:
            for share in sorted(rng.uniform(0, 0.9) for _ in range(rng.choice((1, 1, 2)))):
                attempts.append(Attempt(add_office_hours(start, offset * share), holder, "phone",
                                        rng.choice(("no_answer", "message_left"))))
        text = None if calls else rng.choice(texts.REPLY[plan.language])
        response = Response(answered, holder, "phone" if calls else "reply", text)
        return replace(plan, attempts=_spaced(attempts, answered), first_response=response), answered

    def _not_reached(self, plan: PlannedCase, holder: str, start: datetime) -> PlannedCase:
        """The region's number of attempts that reach nobody, a written word and the notice, closed days later."""
        rng = self.rng
        channel: Literal["phone", "sms", "email"] = "email" if plan.contact_method == "email" else "phone"
        attempts, at = [], start
        for _ in range(self.region.callbacks.attempts + rng.choice((0, 0, 1))):  # some try once more
            at = add_office_hours(at, rng.uniform(0.2, 3))
            attempts.append(Attempt(at, holder, channel, rng.choice(("no_answer", "message_left"))))
        reply = Response(add_office_hours(at, rng.uniform(0.05, 0.5)), holder, "reply",
                         texts.NOT_REACHED_REPLY[plan.language])
        notice = reply.at + timedelta(minutes=rng.randint(1, 5))
        closing = Closing(add_office_hours(notice, rng.uniform(8, 24)), holder, "not_reached")
        return replace(plan, attempts=tuple(attempts), first_response=reply, not_reached_notice=notice,
                       closing=closing)

    def _not_a_request(self, plan: PlannedCase) -> PlannedCase:
        rng = self.rng
        assert plan.triage is not None
        at = plan.triage.at + timedelta(minutes=rng.randint(1, 20))
        if plan.contact_method != "anonymous" or rng.random() < 0.5:
            reply = Response(at, COORDINATOR, "reply", texts.NOT_A_REQUEST_REPLY[plan.language])
            plan = replace(plan, first_response=reply)
            at += timedelta(minutes=rng.randint(1, 10))
        return replace(plan, closing=Closing(at, COORDINATOR, "not_a_request"))

    def _reopen(self, plan: PlannedCase, holder: str) -> PlannedCase:
        rng = self.rng
        assert plan.closing is not None
        reopened = add_office_hours(plan.closing.at, rng.uniform(8, 80))
        reply = Response(add_office_hours(reopened, rng.uniform(0.2, 6)), holder, "reply",
                         texts.FOLLOW_UP_REPLY[plan.language])
        closing = replace(plan.closing, at=add_office_hours(reply.at, rng.uniform(0.1, 16)))
        return replace(plan, reopening=Reopening(reopened, reply, closing))

    def _feedback(self, plan: PlannedCase) -> PlannedCase:
        rng = self.rng
        closing = plan.final_closing
        if closing is None or plan.contact_method == "anonymous" or rng.random() > 1 / 3:
            return plan
        score = _pick(rng, SCORES)
        comment = rng.choice(texts.FEEDBACK_COMMENT[plan.language]) if rng.random() < 0.2 else None
        at = closing.at + timedelta(hours=rng.uniform(0.5, 72))
        return replace(plan, feedback=Feedback(at, score, comment))

    def _still_open(self, plan: PlannedCase) -> PlannedCase:
        """A case of the last business days: new, triaged, or assigned, and not answered yet."""
        stage = self.rng.random()
        return replace(plan, triage=plan.triage if stage > 0.35 else None,
                       assignment=plan.assignment if stage > 0.55 else None, hand_off=None, attempts=(),
                       first_response=None, child_welfare_notified_at=None, referral=None, not_reached_notice=None,
                       closing=None,
                       reopening=None, feedback=None)


def _spaced(attempts: list[Attempt], before: datetime) -> tuple[Attempt, ...]:
    """Attempts in order, each at least a few minutes after the last and before the answer."""
    spaced: list[Attempt] = []
    for attempt in attempts:
        at = attempt.at if not spaced else max(attempt.at, spaced[-1].at + timedelta(minutes=10))
        if at < before - timedelta(minutes=5):
            spaced.append(replace(attempt, at=at))
    return tuple(spaced)
