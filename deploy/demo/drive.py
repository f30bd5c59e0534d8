"""Send a planned year through the real APIs, each call carrying its planned time in X-Apua-Demo-Time.

The family's request goes to intake; the staff's commands to routing, signed in as the demo
coordinator and professionals; feedback through intake's status API with the pick-up code. The
services must run with ``APUA_DEMO_CLOCK=true`` (development only). A plan sent again resumes:
intake answers a known ``submission_id`` with the same case, and only the commands routing has
not seen yet (its ``command_version`` counts them) are sent.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx

from deploy.demo.contacts import with_other_contacts
from deploy.demo.model import plan_year
from deploy.demo.plan import AGAIN, COORDINATOR, PlannedCase, Step
from deploy.demo.referral_answers import ServiceWorker
from deploy.demo.referrals import LINK_ANSWER, RECORD, with_referral_answers
from deploy.demo.signin import sign_in
from shared.businessdays import HELSINKI
from shared.democlock import DEMO_TIME_HEADER
from shared.regions import Region
from shared.sealing import Keyring

Account = tuple[str, str, str, str, str | None]  # username, name, role, region, team (deploy/local/run.py)
ARRIVAL_TIMEOUT_S = 30.0  # a new case reaches routing (and a closing reaches intake) well within this
# Idle connections are dropped before the server's keep-alive (uvicorn: 5 s) could close one under a request.
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=2.0)


class DemoLoadFailed(RuntimeError):
    """A call the plan needs did not succeed; the message names the case's submission id and the call."""


@dataclass(frozen=True)
class Loaded:
    cases: int
    new: int  # cases intake had not seen before (the rest were resumed)
    commands: int
    feedback: int
    seconds: float
    case_ids: dict[uuid.UUID, uuid.UUID]  # submission id -> case id
    referral_answers: int = 0  # answers the services gave behind their links (staff's recorded ones are commands)


def staff_of(accounts: Iterable[Account], region: str) -> tuple[str, dict[str, list[str]]]:
    """The region's first coordinator and its professionals by team, from ``(username, name, role, region, team)``."""
    coordinators = [a[0] for a in accounts if a[2] == "coordinator" and a[3] == region]
    if not coordinators:
        raise ValueError(f"no coordinator account for {region}")
    teams: dict[str, list[str]] = {}
    for username, _, role, account_region, team in accounts:
        if role == "professional" and account_region == region and team:
            teams.setdefault(team, []).append(username)
    return coordinators[0], teams


def at(moment: datetime) -> dict[str, str]:
    return {DEMO_TIME_HEADER: moment.isoformat()}


def request_body(plan: PlannedCase) -> dict[str, Any]:
    body: dict[str, Any] = {"submission_id": str(plan.submission_id), "municipality": plan.municipality,
                            "language": plan.language, "requester_role": plan.requester_role,
                            "message": plan.message, "contact": dict(plan.contact)}
    if plan.topic is not None:
        body["topic"] = plan.topic
    if plan.child_age_group is not None:
        body["child_age_group"] = plan.child_age_group
    return body


def recorded_body(plan: PlannedCase) -> dict[str, Any]:
    """The contact as the coordinator records it: the family's words and number as written down."""
    body: dict[str, Any] = {"recording_id": str(plan.submission_id), "channel": plan.channel,
                            "contacted_at": plan.received_at.isoformat(), "municipality": plan.municipality,
                            "language": plan.language, "requester_role": plan.requester_role,
                            "message": plan.message, "contact": dict(plan.contact),
                            "answered_in_contact": plan.answered_in_contact}
    if plan.topic is not None:
        body["topic"] = plan.topic
    if plan.child_age_group is not None:
        body["child_age_group"] = plan.child_age_group
    return body


class Driver:
    """One intake client and one routing client per staff account (each with its own session cookie)."""

    def __init__(self, *, intake: str, routing: str, coordinator: str, password: str, timeout: float = 30,
                 keyring: Keyring | None = None, link_days: int = 30) -> None:
        self.routing_url = routing
        self.coordinator = coordinator
        self.password = password
        self.timeout = timeout
        self.intake = httpx.AsyncClient(base_url=intake, timeout=timeout, limits=LIMITS)
        self.staff: dict[str, httpx.AsyncClient] = {}
        self._signing_in: dict[str, asyncio.Lock] = {}
        self.commands = 0
        self.feedback = 0
        # The receiving services' workers, behind the links notify would have mailed them (deploy/demo/referrals.py).
        self.services = ServiceWorker(routing, keyring, link_days, timeout=timeout, limits=LIMITS)

    async def close(self) -> None:
        await self.intake.aclose()
        await self.services.close()
        for client in self.staff.values():
            await client.aclose()

    async def as_staff(self, who: str) -> httpx.AsyncClient:
        username = self.coordinator if who == COORDINATOR else who
        async with self._signing_in.setdefault(username, asyncio.Lock()):
            if username not in self.staff:
                client = httpx.AsyncClient(base_url=self.routing_url, timeout=self.timeout, limits=LIMITS)
                response = await sign_in(client, username, self.password)
                if response.status_code != 200:
                    await client.aclose()
                    raise DemoLoadFailed(f"could not sign in to routing as {username}: {response.text}")
                client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
                self.staff[username] = client
        return self.staff[username]

    async def case(self, plan: PlannedCase) -> tuple[uuid.UUID, bool]:
        """Send one case from its request to its feedback; its id, and True if intake had not seen it before."""
        if plan.channel == "button":
            response = await self._post(self.intake, "/api/v1/requests", request_body(plan), at(plan.received_at),
                                        plan, what="the request")
            if (municipality := response.json()["municipality"]) != plan.municipality:
                raise DemoLoadFailed(f"submission {plan.submission_id} is another case of {municipality}")
        else:
            response = await self._post(await self.as_staff(COORDINATOR), "/api/v1/contacts", recorded_body(plan),
                                        at(plan.received_at), plan, what="the recorded contact")
        receipt = response.json()
        case_id = uuid.UUID(receipt["case_id"])
        created = response.status_code == 201
        steps = plan.steps()
        version = 0 if created else await self._version(case_id, plan)
        for step in steps[version:]:
            if step.command == AGAIN:
                await self._again(case_id, receipt["reference"], step, plan)
                version += 1  # the kept case's side of the link
            elif step.command == LINK_ANSWER:
                await self._link_answer(case_id, step, plan)
                version += 1  # an answer is decided on the case like a command
            elif step.command == RECORD:
                referral = await self._referral(case_id, str(step.arguments["service_id"]), plan)
                arguments = {k: v for k, v in step.arguments.items() if k != "service_id"}
                version = await self._command(case_id, Step(step.at, step.by, step.command,
                                                            {**arguments, "referral_id": referral["referral_id"]}),
                                              version, plan)
            else:
                version = await self._command(case_id, step, version, plan)
        if plan.feedback and created and plan.final_closing is not None:
            await self._feedback(plan, receipt["reference"], receipt["pickup_code"])
        return case_id, created

    async def _command(self, case_id: uuid.UUID, step: Step, version: int, plan: PlannedCase) -> int:
        client = await self.as_staff(step.by)
        body = {"command": step.command, "expected_version": version, "arguments": dict(step.arguments)}
        # A brand-new case takes a moment to reach routing: 404 (not there yet) and 503 (its key) are retried.
        response = await self._post(client, f"/api/v1/cases/{case_id}/commands", body, at(step.at), plan,
                                    what=f"{step.command} by {step.by}", retry=(404, 503) if version == 0 else (503,))
        self.commands += 1
        result = response.json()
        new_version: int = result["command_version"] if response.is_success else result["current_version"]
        return new_version

    async def _again(self, first: uuid.UUID, reference: str, step: Step, plan: PlannedCase) -> None:
        """The family's second request, linked by the coordinator to the first as a duplicate."""
        again = plan.again
        assert again is not None
        # The link finds the first case by its reference in routing's cases: one written again right after it was
        # sent may not be there yet (its reference would be "no case that you may open").
        await self._version(first, plan)
        body = {**request_body(plan), "submission_id": str(again.submission_id), "message": again.message}
        response = await self._post(self.intake, "/api/v1/requests", body, at(again.received_at), plan,
                                    what="the second request")
        duplicate = uuid.UUID(response.json()["case_id"])
        if response.status_code != 201 and await self._version(duplicate, plan) > 0:
            return  # a resumed load: linked before
        link = {"command": "link", "expected_version": 0,
                "arguments": {"kind": "duplicate", "other_reference": reference}}
        await self._post(await self.as_staff(step.by), f"/api/v1/cases/{duplicate}/commands", link, at(step.at),
                         plan, what="linking the second request", retry=(404, 503))
        self.commands += 1

    async def _referral(self, case_id: uuid.UUID, service_id: str, plan: PlannedCase) -> dict[str, Any]:
        """The case's latest referral to ``service_id``, as routing's API shows it."""
        client = await self.as_staff(COORDINATOR)
        response = await client.get(f"/api/v1/cases/{case_id}")
        found = [r for r in response.json().get("referrals", []) if r["service_id"] == service_id] \
            if response.status_code == 200 else []
        if not found:
            raise DemoLoadFailed(f"case of submission {plan.submission_id}: no referral to {service_id} "
                                 f"({response.status_code})")
        referral: dict[str, Any] = found[-1]
        return referral

    async def _link_answer(self, case_id: uuid.UUID, step: Step, plan: PlannedCase) -> None:
        """The service's worker answers behind the signed link, at the step's time."""
        referral = await self._referral(case_id, str(step.arguments["service_id"]), plan)
        problem = await self.services.answer(case_id, referral, step, at(step.at))
        if problem is not None:
            raise DemoLoadFailed(f"the answer to the referral of submission {plan.submission_id}: {problem}")

    async def _version(self, case_id: uuid.UUID, plan: PlannedCase) -> int:
        """How many of the plan's commands routing already has (a resumed load)."""
        client = await self.as_staff(COORDINATOR)
        deadline = time.monotonic() + ARRIVAL_TIMEOUT_S
        while True:
            response = await client.get(f"/api/v1/cases/{case_id}")
            if response.status_code == 200:
                version: int = response.json()["command_version"]
                return version
            if response.status_code not in (404, 503) or time.monotonic() > deadline:
                raise DemoLoadFailed(f"case of submission {plan.submission_id}: routing answered "
                                     f"{response.status_code} {response.text}")
            await asyncio.sleep(0.05)

    async def _feedback(self, plan: PlannedCase, reference: str, pickup_code: str) -> None:
        assert plan.feedback is not None
        body = {"reference": reference, "pickup_code": pickup_code, "score": plan.feedback.score}
        if plan.feedback.comment:
            body["comment"] = plan.feedback.comment
        deadline = time.monotonic() + ARRIVAL_TIMEOUT_S
        while True:
            response = await self.intake.post("/api/v1/status/feedback", json=body, headers=at(plan.feedback.at))
            if response.status_code == 201 or "already" in response.text:
                self.feedback += response.status_code == 201
                return
            # 409 until intake's projection has seen the closing; 429 when its status limit is low.
            if response.status_code not in (409, 429) or time.monotonic() > deadline:
                raise DemoLoadFailed(f"feedback of submission {plan.submission_id}: intake answered "
                                     f"{response.status_code} {response.text}")
            await asyncio.sleep(_retry_after(response, 0.05))

    async def _post(self, client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str],
                    plan: PlannedCase, *, what: str, retry: Sequence[int] = (503,)) -> httpx.Response:
        """POST, retrying what is transient (and 429 as Retry-After says) until ARRIVAL_TIMEOUT_S."""
        deadline = time.monotonic() + ARRIVAL_TIMEOUT_S
        resent = False
        while True:
            try:
                response = await client.post(path, json=body, headers=headers)
            except httpx.TransportError as exc:
                if time.monotonic() > deadline:
                    raise DemoLoadFailed(f"{what} of submission {plan.submission_id}: {exc!r}") from exc
                resent = True
                await asyncio.sleep(0.1)
                continue
            if response.is_success or resent and _applied_before(response, body):
                return response
            waiting = response.status_code in (*retry, 429) and time.monotonic() < deadline
            if not waiting:
                hint = " (raise APUA_SUBMIT_LIMIT for the load)" if response.status_code == 429 else ""
                raise DemoLoadFailed(f"{what} of submission {plan.submission_id}: {response.status_code} "
                                     f"{response.text}{hint}")
            # A case is usually in routing within tens of milliseconds: ask often rather than back off.
            await asyncio.sleep(_retry_after(response, 0.03))


def _applied_before(response: httpx.Response, body: dict[str, Any]) -> bool:
    """A command resent after a lost connection that had gone through: the case is one version on, by us."""
    if response.status_code != 409 or "expected_version" not in body:
        return False
    current = response.json().get("current_version")
    return isinstance(current, int) and current == body["expected_version"] + 1


def _retry_after(response: httpx.Response, default: float) -> float:
    if response.status_code == 429:
        return min(float(response.headers.get("retry-after", "1")), 5.0)
    return default


async def drive(plans: Sequence[PlannedCase], *, intake: str, routing: str, coordinator: str, password: str,
                concurrency: int = 8, progress: Callable[[int, PlannedCase], None] | None = None,
                keyring: Keyring | None = None, link_days: int = 30) -> Loaded:
    """Send ``plans`` in order of arrival, ``concurrency`` cases at a time; ``progress`` hears of each one done.
    ``keyring`` signs the receiving services' links as notify does (the deployment's KEKs)."""
    started = time.monotonic()
    driver = Driver(intake=intake, routing=routing, coordinator=coordinator, password=password, keyring=keyring,
                    link_days=link_days)
    queue: asyncio.Queue[PlannedCase] = asyncio.Queue()
    for plan in sorted(plans, key=lambda p: p.received_at):
        queue.put_nowait(plan)
    case_ids: dict[uuid.UUID, uuid.UUID] = {}
    new = 0

    async def worker() -> None:
        nonlocal new
        while not queue.empty():
            plan = queue.get_nowait()
            case_ids[plan.submission_id], created = await driver.case(plan)
            new += created
            if progress is not None:
                progress(len(case_ids), plan)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, concurrency)):
                group.create_task(worker())
    except* Exception as failures:
        raise failures.exceptions[0] from None  # the first failure says what went wrong; the rest follow from it
    finally:
        await driver.close()
    return Loaded(cases=len(case_ids), new=new, commands=driver.commands, feedback=driver.feedback,
                  seconds=time.monotonic() - started, case_ids=case_ids, referral_answers=driver.services.answers)


def plan_demo_year(region: Region, *, end: date, seed: int, teams: dict[str, list[str]],
                   per_1000_children: float = 12.0) -> list[PlannedCase]:
    """``region``'s year before ``end`` from ``seed``: the button's requests and the staff's work, the contacts that
    came another way, and the services' answers to the referrals."""
    rng = random.Random(seed)
    stop = datetime.combine(end, datetime.min.time(), HELSINKI)
    plans = plan_year(region, end=end, rng=rng, per_1000_children=per_1000_children, professionals=teams)
    plans = with_other_contacts(plans, random.Random(rng.getrandbits(64)), stop)
    return with_referral_answers(plans, random.Random(rng.getrandbits(64)), region, stop)


async def load_year(region: Region, *, end: date, seed: int, intake: str, routing: str, accounts: Iterable[Account],
                    password: str, per_1000_children: float = 12.0, concurrency: int = 8,
                    report: Callable[[str], None] | None = None, keyring: Keyring | None = None) -> Loaded:
    """Plan ``region``'s year before ``end`` from ``seed`` and send it, reporting every tenth of the way."""
    coordinator, teams = staff_of(accounts, region.id)
    plans = plan_demo_year(region, end=end, seed=seed, teams=teams, per_1000_children=per_1000_children)
    step = max(1, len(plans) // 10)

    def progress(done: int, plan: PlannedCase) -> None:
        if report is not None and (done % step == 0 or done == len(plans)):
            day = plan.received_at.astimezone(HELSINKI).date()
            report(f"{region.id}: {done}/{len(plans)} requests, up to {day.isoformat()}")

    return await drive(plans, intake=intake, routing=routing, coordinator=coordinator, password=password,
                       concurrency=concurrency, progress=progress, keyring=keyring,
                       link_days=region.referrals.link_days)
