"""Reporting counts contacts by how they came: the button, or by phone, in person or by letter (recorded by staff)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from services.reporting import cells
from services.reporting.cube import REGION, Builder, assemble
from services.reporting.projection import CHANGING, evolve_facts, facts_of_request
from services.reporting.suppression import exposed
from services.routing.recorded import RecordContact, recorded_events
from shared.events import new_event
from shared.regions import load_regions
from shared.sealing import Sealed
from shared.settings import ROOT
from tests.support import request_event

VS = load_regions(ROOT / "deploy" / "regions").by_id["varsinais-suomi"]
NOW = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)


def recorded(**overrides: object) -> object:
    command = RecordContact.model_validate({
        "recording_id": str(uuid.uuid4()), "channel": "letter", "municipality": "raisio", "requester_role": "parent",
        "message": "Kirje", "contact": {"method": "anonymous"}, **overrides})
    (cls, payload), = recorded_events(command, region=VS, municipality="raisio", reference="K7M4-2Q9X",
                                      recorded_by="maija", recorder_team=None,
                                      personal=Sealed(nonce="bm9uY2U=", ciphertext="eA=="), now=NOW)
    return new_event(cls, case_id=uuid.uuid4(), region=VS.id, municipality="raisio", actor="staff:maija",
                     payload=payload, occurred_at=NOW)


def test_a_recorded_contact_counts_under_its_channel_from_when_it_came() -> None:
    came = NOW - timedelta(days=2)  # Sunday 15 March, 14:00 in Helsinki
    facts = facts_of_request(recorded(contacted_at=came.isoformat()), b"k")  # type: ignore[arg-type]
    assert (facts["channel"], facts["received_at"], facts["local_date"], facts["time_of_contact"]) == (
        "letter", came, date(2026, 3, 15), "weekend")
    assert facts_of_request(request_event(), b"k")["channel"] == "button"


def test_one_answered_in_the_contact_is_answered_then_and_in_time() -> None:
    event = recorded(channel="phone", answered_in_contact=True)
    facts = {**facts_of_request(event, b"k"), **dict.fromkeys(c for c, _ in CHANGING)}  # type: ignore[arg-type]
    evolve_facts(facts, event)  # type: ignore[arg-type]
    assert (facts["first_response_at"], facts["first_response_kind"], facts["response_calendar_hours"]) == (
        NOW, "in_contact", 0.0)
    unanswered = recorded(channel="phone")
    facts = {**facts_of_request(unanswered, b"k"), **dict.fromkeys(c for c, _ in CHANGING)}  # type: ignore[arg-type]
    evolve_facts(facts, unanswered)  # type: ignore[arg-type]
    assert facts["first_response_at"] is None


def test_the_channel_is_a_dimension_of_the_rollup() -> None:
    assert cells.DIMENSIONS["channel"] == "channel"
    assert f"('channel', {cells.value_of('channel')})" in cells.cells_of("x")


def test_few_phone_contacts_are_hidden_and_no_line_gives_one_back() -> None:
    b = Builder()
    found: dict[str, set[str]] = {}
    for municipality, button, phone in (("turku", 40, 3), ("raisio", 20, 2), ("kaarina", 12, 6)):
        for dim, value, n in (("all", "", button + phone), ("channel", "button", button), ("channel", "phone", phone)):
            b.add(municipality, "2026-03", dim, value, n, 7 * n)
            found.setdefault(dim, set()).add(value)
    c = assemble(b, VS, 2026, date(2026, 3, 31), found)
    assert c.n[(REGION, "2026", "channel", "phone")] == 11
    assert {("turku", "2026-03", "channel", "phone"), ("raisio", "2026-03", "channel", "phone")} <= c.hidden
    assert ("kaarina", "2026-03", "channel", "phone") not in c.hidden or ("kaarina", "2026-03", "channel",
                                                                          "button") in c.hidden
    channel_lines = [line for line in c.lines if line.total[2] == "all" and line.parts
                     and all(p[2] == "channel" for p in line.parts)]
    assert channel_lines and all({p[3] for p in line.parts} >= {"button", "phone", "in_person", "letter"}
                                 for line in channel_lines)
    assert exposed(set(c.hidden), c.lines) == []
    # Only the channel was added here (no team, hour, …): its own lines, and those of the whole, hold.
    for line in c.lines:
        if all(k[2] in ("channel", "all") for k in line.cells):
            assert c.n.get(line.total, 0) == sum(c.n.get(p, 0) for p in line.parts), line
