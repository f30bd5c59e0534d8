"""Attacks on the family's pick-up code (issue 18, item 6), run against intake on the real PostgreSQL and Kafka.

Once, five wrong codes answered 429 for a real reference and 401 for a made-up one, which told which
references exist, and locked the reference for a quarter of an hour even against the right code, so anyone
who saw a reference could keep the family from their answer. Each test runs the attack and fails while it
works: the answers of real and made-up references compared byte for byte, the family's right code after
another client's guesses, and the guesser throttled per address and per reference.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support import APPS, request_body, running, settings_for

pytestmark = pytest.mark.integration

MADE_UP = "ZZZZ-2222"  # a reference made at random is this one once in 30**8 ≈ 6.6e11
WRONG = "22222-22222-22222-22222"
# The throttle's own limits as production has them (tests.support lifts them for every other test).
REAL_LIMITS = {"pickup_client_failures": 10, "pickup_client_window_s": 900.0, "pickup_reference_failures": 20,
               "pickup_reference_window_s": 3600.0}


class Clock:
    """The throttle's clock, held still so that a Retry-After is the same to the second for both references."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now


def intake_app(postgres: Any, kafka: Any, prefix: str, clock: Clock | None = None) -> FastAPI:
    settings = settings_for("intake", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap, **REAL_LIMITS)
    app = APPS["intake"](settings)
    if clock is not None:
        app.state.limiters.pickup.clock = clock
    return app


@asynccontextmanager
async def from_address(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose connection comes from ``address`` (as the server sees it)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def attempt(browser: httpx.AsyncClient, door: str, reference: str, code: str) -> httpx.Response:
    """One try of a reference and a code through one of the three doors that take them."""
    if door == "page":
        return await browser.post("/status", data={"reference": reference, "pickup_code": code, "lang": "sv"})
    if door == "receipt":
        return await browser.post("/m/raisio/receipt", data={"reference": reference, "pickup_code": code,
                                                             "lang": "en"})
    return await browser.post("/api/v1/status", json={"reference": reference, "pickup_code": code})


def answer(response: httpx.Response, typed: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, every header and the body, with the reference the client typed itself (the sign-in form keeps it
    in its box, the receipt's door in the link back to it) put back as a placeholder: nothing else may differ."""
    def blank(text: str) -> str:
        return text.replace(typed, "<typed>").replace(typed.replace("-", "%2D"), "<typed>")
    body = blank(response.content.decode()).encode()
    headers = sorted((k, blank(v)) for k, v in response.headers.items() if k != "content-length")
    return response.status_code, headers, body


DOORS = ("page", "api", "receipt")


async def test_a_made_up_reference_answers_as_a_real_one_with_a_wrong_code(postgres: Any, kafka: Any,
                                                                             prefix: str) -> None:
    clock = Clock()
    app = intake_app(postgres, kafka, prefix, clock)
    async with running(app) as intake:
        real = (await intake.post("/api/v1/requests", json=request_body())).json()["reference"]
        # Two guessers, one at the real reference, one at the made-up one, past the old lock and their own limit.
        seen: dict[str, list[Any]] = {real: [], MADE_UP: []}
        for reference, address in ((real, "198.51.100.1"), (MADE_UP, "198.51.100.2")):
            async with from_address(app, address) as guesser:
                for n in range(12):
                    response = await attempt(guesser, DOORS[n % 3], reference, WRONG)
                    seen[reference].append(answer(response, reference))
        assert seen[real] == seen[MADE_UP]
        statuses = [status for status, _, _ in seen[real]]
        assert statuses == [401, 401, 303] * 3 + [401, 429, 303], statuses  # 10 wrong codes, then the limit
        clock.now += 1
        for door in DOORS:
            limited = {}
            for reference, address in ((real, "198.51.100.1"), (MADE_UP, "198.51.100.2")):
                async with from_address(app, address) as guesser:
                    limited[reference] = answer(await attempt(guesser, door, reference, WRONG), reference)
            assert limited[real] == limited[MADE_UP], door
            if door != "receipt":  # the receipt's door leads to the sign-in either way
                assert limited[real][0] == 429 and ("retry-after", "899") in limited[real][1], limited[real][:2]

        # And in about the same time: the same read and the same keyed hash either way (medians, interleaved).
        took: dict[str, list[float]] = {real: [], MADE_UP: []}
        for n in range(40):
            for reference in took:
                async with from_address(app, f"203.0.113.{n + 1}") as prober:
                    start = time.perf_counter()
                    response = await attempt(prober, "api", reference, WRONG)
                    if n >= 5:  # the first few warm the connections and caches up
                        took[reference].append(time.perf_counter() - start)
                    assert response.status_code == 401
        fast, slow = sorted((statistics.median(took[real]), statistics.median(took[MADE_UP])))
        # A ratio on this shared machine, or a gap too small to measure over a network (a millisecond).
        assert slow / fast < 2 or slow - fast < 0.001, f"medians {fast * 1000:.1f} and {slow * 1000:.1f} ms"


async def test_the_right_code_opens_at_once_after_fifty_wrong_ones_from_elsewhere(postgres: Any, kafka: Any,
                                                                                 prefix: str) -> None:
    app = intake_app(postgres, kafka, prefix)
    async with running(app) as intake:
        receipt = (await intake.post("/api/v1/requests", json=request_body())).json()
        reference, code = receipt["reference"], receipt["pickup_code"]
        # Someone who saw the reference: fifty wrong codes from one address, then one each from fifty more.
        async with from_address(app, "198.51.100.66") as guesser:
            for n in range(50):
                assert (await attempt(guesser, DOORS[n % 3], reference, WRONG)).status_code in (401, 303, 429)
        for n in range(50):
            async with from_address(app, f"192.0.2.{n + 10}") as bot:
                assert (await attempt(bot, "api", reference, WRONG)).status_code == 401
        # The family, at their own phone: every door opens at once.
        async with from_address(app, "203.0.113.9") as family:
            opened = await attempt(family, "api", reference, code)
            assert opened.status_code == 200 and opened.json()["reference"] == reference
            again = await attempt(family, "receipt", reference, code)
            assert again.status_code == 200 and code in again.text
            signed_in = await attempt(family, "page", reference, code)
            assert signed_in.status_code == 303 and "apua_status" in signed_in.cookies
            page = await family.get("/status?lang=sv")
            assert page.status_code == 200 and reference in page.text


async def test_a_guessing_client_and_the_guessers_of_one_reference_are_throttled(postgres: Any, kafka: Any,
                                                                               prefix: str) -> None:
    clock = Clock()
    app = intake_app(postgres, kafka, prefix, clock)
    async with running(app) as intake:
        receipt = (await intake.post("/api/v1/requests", json=request_body())).json()
        reference, code = receipt["reference"], receipt["pickup_code"]
        # One address trying many references: ten wrong codes, then it waits, even with a right code.
        async with from_address(app, "198.51.100.5") as guesser:
            for n in range(10):
                assert (await attempt(guesser, "api", f"AB{n % 10}C-DEFG", WRONG)).status_code == 401
            clock.now += 60
            for door in ("api", "page"):
                refused = await attempt(guesser, door, reference, code)
                assert refused.status_code == 429 and refused.headers["retry-after"] == str(900 - 60), door
                assert "set-cookie" not in refused.headers
            assert (await attempt(guesser, "api", reference, code)).json()["error"] == "too_many_attempts"
            clock.now += 900 - 60
            assert (await attempt(guesser, "api", reference, code)).status_code == 200  # its wait is over
        # A botnet at one reference, real or made up: once twenty wrong codes fill the hour, each address that
        # guessed it waits for the hour to have room, the same for both references; a new address does not.
        for target, net in ((reference, "10.1"), (MADE_UP, "10.2")):
            for n in range(20):
                async with from_address(app, f"{net}.0.{n}") as bot:
                    assert (await attempt(bot, "api", target, WRONG)).status_code == 401
        clock.now += 5
        waits = {}
        for target, net in ((reference, "10.1"), (MADE_UP, "10.2")):
            async with from_address(app, f"{net}.0.7") as bot:
                refused = await attempt(bot, "api", target, WRONG)
                assert refused.status_code == 429
                waits[target] = refused.headers["retry-after"]
        assert waits[reference] == waits[MADE_UP] == str(3600 - 5)
        async with from_address(app, "203.0.113.10") as family:
            assert (await attempt(family, "api", reference, code)).status_code == 200
