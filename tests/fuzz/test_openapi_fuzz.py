"""Property-based tests of every service's OpenAPI document, against the running services.

Schemathesis reads each service's OpenAPI document (what ``/openapi.json`` serves) and generates
requests for every operation: valid ones, invalid ones and boundary values. The four services run
in-process with their real lifespan (pool, relay, consumer) on the Kafka and PostgreSQL the tests
start, in one event loop of their own (an anyio portal), and each request goes through httpx over
ASGI in that loop.

Staff operations are sent twice: signed in (routing: a coordinator's session cookie and its
X-CSRF-Token; an admin's for erasure; reporting: a manager's session opened with routing's
pass) and without a session. Valid requests sometimes name things that exist: a real case, a
real request's reference and pick-up code, a real table. Every response must be no 5xx, have a
documented status code, content type, headers and a body matching its documented schema, and
invalid data must be refused with a 4xx.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.generation import GenerationMode

from deploy.local.infra import free_port
from services.reporting.tables import TABLES
from tests.integration.test_reporting import signed_in_reporting
from tests.support import APPS, eventually, request_body, running, settings_for, staff

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies:hypothesis.errors.HypothesisDeprecationWarning")]

Case = schemathesis.Case[Any]
SERVICES = ("intake", "routing", "notify", "reporting")
REGION = "varsinais-suomi"  # the staff's region, and the requests'
MAX_EXAMPLES = 50  # per operation, in the fuzzing phase; the coverage and examples phases add their own
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection, unsupported_method, allow_header_conformance]


def openapi(service: str) -> schemathesis.BaseSchema:
    """The service's document as the running service serves it (the app is only built, not started)."""
    app = APPS[service](settings_for(service, prefix="doc", dsn="postgresql://x@127.0.0.1:1/x",
                                     bootstrap="127.0.0.1:1"))
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none",
                                    modes=list(GenerationMode))
    return schema


SCHEMAS = {service: openapi(service) for service in SERVICES}


@dataclass
class Stack:
    """The four services running in the portal's event loop, with a client per kind of caller."""

    portal: BlockingPortal
    apps: dict[str, FastAPI]
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    services: dict[str, str] = field(default_factory=dict)  # caller -> the service it calls
    known: dict[str, str] = field(default_factory=dict)
    # (operation, caller) -> how many answers had each status
    answers: dict[tuple[str, str], Counter[int]] = field(default_factory=lambda: defaultdict(Counter))

    def new_client(self, service: str, name: str) -> httpx.AsyncClient:
        # An exception the app does not handle becomes the 500 a server would send, for the checks to see.
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.apps[service], raise_app_exceptions=False),
                                   base_url="http://testserver")
        self.clients[name] = client
        self.services[name] = service
        return client

    def send(self, caller: str, case: Case) -> httpx.Response:
        """Send the case as ``caller`` in the services' own loop and return the answer."""
        kwargs = case.as_transport_kwargs(base_url="http://testserver")
        request: dict[str, Any] = {"method": kwargs["method"], "url": kwargs["url"],
                                   "headers": kwargs.get("headers") or {}, "params": kwargs.get("params") or None}
        if "json" in kwargs:
            request["json"] = kwargs["json"]
        elif kwargs.get("data") is not None:
            data = kwargs["data"]
            request["content" if isinstance(data, bytes | str) else "data"] = data
        if kwargs.get("cookies"):
            request["headers"] = {**request["headers"],
                                  "Cookie": "; ".join(f"{k}={v}" for k, v in kwargs["cookies"].items())}
        client = self.clients[caller]
        response: httpx.Response = self.portal.call(lambda: client.request(**request))
        self.answers[(f"{self.services[caller]} {case.operation.label}", caller)][response.status_code] += 1
        return response

    def command_version(self, case_id: str) -> int:
        client = self.clients["coordinator"]
        response: httpx.Response = self.portal.call(lambda: client.get(f"/api/v1/cases/{case_id}"))
        assert response.status_code == 200, response.text
        version: int = response.json()["command_version"]
        return version

    def summary(self) -> list[str]:
        """What the fuzzing did: how many answers of each status every operation gave each caller."""
        lines = [f"  {label} as {caller}: " + ", ".join(f"{n}×{status}" for status, n in sorted(counts.items()))
                 for (label, caller), counts in sorted(self.answers.items())]
        operations = len({label for label, _ in self.answers})
        total = sum(sum(c.values()) for c in self.answers.values())
        return [f"fuzzed {operations} operations with {total} requests (-v: the statuses of each)", *lines]


async def prepare(stack: Stack) -> None:
    """Sign the callers in and make a case to aim at: a request the family sent, seen by routing."""
    intake, coordinator, admin = stack.clients["family"], stack.clients["coordinator"], stack.clients["admin"]
    await staff(coordinator, stack.apps["routing"], role="coordinator")
    await staff(admin, stack.apps["routing"], role="admin")
    await signed_in_reporting(stack.clients["routing-for-manager"], stack.clients["manager"],
                              stack.apps["routing"], role="manager")
    for name in ("case", "erasable", "other"):
        accepted = await intake.post("/api/v1/requests", json=request_body())
        assert accepted.status_code == 201, accepted.text
        body = accepted.json()
        stack.known[name] = body["case_id"]
        if name == "case":
            stack.known["reference"], stack.known["pickup_code"] = body["reference"], body["pickup_code"]
        if name == "other":  # what the link commands name: linked as a duplicate, as related, unlinked
            stack.known["other_reference"] = body["reference"]

        async def projected(case_id: str = body["case_id"]) -> bool:
            return (await coordinator.get(f"/api/v1/cases/{case_id}")).status_code == 200

        await eventually(projected, what="the case in routing")


@pytest.fixture(scope="module")
def stack(postgres: Any, kafka: Any, request: pytest.FixtureRequest) -> Iterator[Stack]:
    prefix = f"f{uuid.uuid4().hex[:10]}"
    env = {"prefix": prefix, "dsn": postgres.dsn, "bootstrap": kafka.bootstrap}
    extras: dict[str, dict[str, Any]] = {
        "intake": {}, "routing": {"deadline_check_s": 3600},
        # Nowhere to deliver: notifications stay due (or fail) and nothing leaves the machine.
        "notify": {"smtp_port": free_port(), "sms_url": None, "retry_base_s": 60.0},
        "reporting": {}}
    apps = {service: APPS[service](settings_for(service, **env, **extras[service])) for service in SERVICES}
    with start_blocking_portal() as portal, ExitStack() as running_apps:
        built = Stack(portal=portal, apps=apps)
        for app in apps.values():
            running_apps.enter_context(portal.wrap_async_context_manager(running(app)))
        for service, name in (("intake", "family"), ("notify", "notify"), ("routing", "coordinator"),
                              ("routing", "admin"), ("routing", "anonymous"), ("routing", "routing-for-manager"),
                              ("reporting", "manager"), ("reporting", "anonymous-reporting")):
            built.new_client(service, name)
        try:
            portal.call(prepare, built)
            yield built
        finally:
            for client in built.clients.values():
                portal.call(client.aclose)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        lines = built.summary()
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for line in lines if reporter.verbosity > 0 else lines[:1]:  # each operation's statuses with -v
                reporter.write_line(line)


# Arguments that fit each command (the document says only "an object"): aimed commands use them, so the
# fuzzer walks the real case through the domain's states in an order of its own.
ARGUMENTS: dict[str, list[dict[str, Any]]] = {
    "triage": [{"topic": "child_emotions", "urgency": "urgent", "child_welfare_concern": True},
               {"topic": None, "urgency": "normal", "child_welfare_concern": False}],
    "assign": [{"assignee_kind": "team", "assignee_id": "family-guidance"},
               {"assignee_kind": "professional", "assignee_id": "nobody-of-that-name"}],
    "hand_off": [{"assignee_kind": "team", "assignee_id": "family-work", "note": "Perhetyö jatkaa"}],
    "refer": [{"service_id": "lapsiperheiden-kotipalvelu", "consent": "spoken", "note": "Kotipalvelu iltaisin"},
              {"service_id": "no-such-service", "consent": "written", "note": "Ei tällaista palvelua"},
              {"service_id": "lapsiperheiden-kotipalvelu", "note": "Ilman suostumusta"}],
    "record_referral_answer": [{"referral_id": "00000000-0000-4000-8000-000000000000", "answer": "accept"},
                               {"referral_id": "00000000-0000-4000-8000-000000000000", "answer": "decline"}],
    "record_contact": [{"channel": "phone", "result": "no_answer"}, {"channel": "sms", "result": "reached"}],
    "reply": [{"text": "Hei, perhetyöntekijä soittaa teille torstaina."}],
    "add_note": [{"text": "Sovittu kotikäynti"}],
    "close": [{"outcome": "guidance_enough"}, {"outcome": "referred", "referred_to": "lapsiperheiden-kotipalvelu"},
              {"outcome": "referred"}],
    "reopen": [{}],
    "record_child_welfare_notification": [{"how": "contacted_together"}, {"how": "notification_made"}],
}


def link_arguments(command: str, reference: str, digest: bytes) -> dict[str, Any]:
    """A link's or an unlink's arguments: the other case's reference as typed (exactly, in lower case with a
    space for the dash, or one that names no case), and for a link its kind."""
    typed = (reference, reference.lower().replace("-", " "), "ZZZZ-9999")[digest[3] % 3]
    kind = {"kind": ("duplicate", "related")[digest[5] % 2]} if command == "link" else {}
    return {"other_reference": typed, **kind}


def positive(case: Case) -> bool:
    meta = case.meta
    return meta is None or meta.generation.mode == GenerationMode.POSITIVE


def aim(case: Case, stack: Stack, *, case_id: str = "case") -> None:
    """Three in four valid requests name something that exists instead of a random id.

    Which ones follows from the generated values themselves (not a counter), so a failing case
    shrinks and replays the same.
    """
    digest = hashlib.sha256(repr((case.path_parameters, case.query, case.body)).encode()).digest()
    if not positive(case) or digest[0] % 4 == 0:
        return
    if case.path_parameters and "case_id" in case.path_parameters:
        case.path_parameters["case_id"] = stack.known[case_id]
    if case.path_parameters and "table_id" in case.path_parameters:
        tables = sorted(TABLES)
        case.path_parameters["table_id"] = tables[digest[1] % len(tables)]
    if case.query and "case_id" in case.query:
        case.query["case_id"] = stack.known[case_id]
    if case.query and "region" in case.query:
        case.query["region"] = REGION
    if case.query and case.query.get("municipality"):
        case.query["municipality"] = ["raisio", "turku"][: 1 + digest[2] % 2]
    if case.query and case.query.get("team"):  # a team of the region: the queue's filter, the workload's
        case.query["team"] = ["family-work", "family-guidance"][digest[5] % 2]
    if case.query and case.query.get("q"):
        # The queue's search: the real case's reference as typed over the phone, its number as written on a
        # note (both found), and an address nobody gave (nothing found, still a 200).
        reference = stack.known["reference"]
        case.query["q"] = [reference.lower().replace("-", " "), "040 765 4321", "ei.kukaan@example.fi"][digest[5] % 3]
    if case.query and case.query.get("received_from") and case.query.get("received_to") and digest[6] % 2:
        # Mostly a range the right way round (the other way is a 422 naming received_from).
        low, high = sorted((str(case.query["received_from"]), str(case.query["received_to"])))
        case.query["received_from"], case.query["received_to"] = low, high
    body = case.body
    if not isinstance(body, dict):
        return
    if "reference" in body and "pickup_code" in body:
        body["reference"], body["pickup_code"] = stack.known["reference"], stack.known["pickup_code"]
    if "recording_id" in body and "municipality" in body:  # a recorded contact: of the staff's region, now
        body["municipality"] = ["raisio", "turku"][digest[2] % 2]
        body.pop("contacted_at", None)
        if digest[5] % 2:  # a generated phone number is seldom one
            body["contact"], body["receipt"] = {"method": "anonymous"}, False
    command = body.get("command")
    if isinstance(command, str) and command in ("link", "unlink"):
        body["arguments"] = link_arguments(command, stack.known["other_reference"], digest)
    elif isinstance(command, str) and command in ARGUMENTS:
        choices = ARGUMENTS[command]
        body["arguments"] = choices[digest[3] % len(choices)]
    if isinstance(command, str) and (command in ARGUMENTS or command in ("link", "unlink")):
        if digest[4] % 4:  # mostly the version the person saw; otherwise whatever was generated (409)
            body["expected_version"] = stack.command_version(stack.known[case_id])


def check(stack: Stack, caller: str, case: Case) -> None:
    response = stack.send(caller, case)
    case.validate_response(response, checks=CHECKS)


@SCHEMAS["intake"].parametrize()
def test_intake(case: Case, stack: Stack) -> None:
    aim(case, stack)
    check(stack, "family", case)


@SCHEMAS["routing"].parametrize()
def test_routing(case: Case, stack: Stack) -> None:
    check(stack, "anonymous", case)
    if case.path.endswith("/erase"):
        aim(case, stack, case_id="erasable")
        check(stack, "admin", case)
    else:
        aim(case, stack)
    check(stack, "coordinator", case)


@SCHEMAS["notify"].parametrize()
def test_notify(case: Case, stack: Stack) -> None:
    aim(case, stack)
    check(stack, "notify", case)


@SCHEMAS["reporting"].parametrize()
def test_reporting(case: Case, stack: Stack) -> None:
    check(stack, "anonymous-reporting", case)
    aim(case, stack)
    check(stack, "manager", case)
