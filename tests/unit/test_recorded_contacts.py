"""Contacts recorded by staff (phone, in person, letter): the command's checks, the events, the state they open."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.routing.decisions import SendReply, decide
from services.routing.domain import initial_state
from services.routing.pages.contacts import WhenInvalid, _field_of, recording_from_form
from services.routing.recorded import (
    ContactTimeRefused,
    RecordContact,
    contact_time,
    recorded_events,
    sealed_contents,
)
from shared.codec import decode, encode
from shared.errors import InvalidCommand
from shared.events import CaseAssigned, RequestRecorded, new_event
from shared.places import place_of, sealed_place
from shared.regions import load_regions
from shared.sealing import KeyUnavailable, Sealed, new_data_key, seal, unseal
from shared.settings import ROOT

REGIONS = load_regions(ROOT / "deploy" / "regions")
VS, PP = REGIONS.by_id["varsinais-suomi"], REGIONS.by_id["pohjois-pohjanmaa"]
# Thursday 2 April 2026 at 10:00 in Helsinki: Good Friday and Easter Monday follow.
NOW = datetime(2026, 4, 2, 7, 0, tzinfo=UTC)
SEALED = Sealed(nonce="bm9uY2U=", ciphertext="eA==")


def body(**overrides: Any) -> dict[str, Any]:
    return {"recording_id": str(uuid.uuid4()), "channel": "phone", "municipality": "raisio",
            "requester_role": "parent", "message": "Lapsi ei mene kouluun.",
            "contact": {"method": "phone", "name": "Aino", "phone": "040 123 4567"}, **overrides}


def opening(command: RecordContact, *, team: str | None = None, region: Any = VS) -> list[Any]:
    return [new_event(cls, case_id=uuid.uuid4(), region=region.id, municipality=command.municipality,
                      actor="staff:maija", payload=payload, occurred_at=NOW)
            for cls, payload in recorded_events(command, region=region, municipality=command.municipality,
                                                reference="K7M4-2Q9X", recorded_by="maija", recorder_team=team,
                                                personal=SEALED, now=NOW)]


def fields_of(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.errors()}


def test_a_phone_contact_opens_a_case_with_the_regions_day_counted_from_the_contact() -> None:
    earlier = NOW - timedelta(days=3)  # Monday 30 March, 10:00
    event, = opening(RecordContact.model_validate(body(contacted_at=earlier.isoformat())))
    assert isinstance(event, RequestRecorded)
    p = event.payload
    assert (p.channel, p.recorded_by, p.contacted_at, p.answered_in_contact) == ("phone", "maija", earlier, False)
    assert p.answer_due == date(2026, 3, 31)  # the next business day from the contact, not from the recording
    state = initial_state(event)
    assert (state.received_at, state.answer_due, state.channel, state.first_response_at) == (
        earlier, date(2026, 3, 31), "phone", None)


def test_the_region_rule_and_holidays_count_as_for_the_button() -> None:
    event, = opening(RecordContact.model_validate(body(municipality="oulu")), region=PP)
    assert event.payload.answer_due == date(2026, 4, 9)  # three business days over Easter


def test_answered_in_the_contact_is_answered_at_that_moment_and_stays_open() -> None:
    event, = opening(RecordContact.model_validate(body(answered_in_contact=True)))
    state = initial_state(event)
    assert state.first_response_at == NOW and state.status == "new" and not state.closed


def test_a_professionals_recording_is_assigned_to_them_a_coordinators_is_not() -> None:
    command = RecordContact.model_validate(body())
    recorded, assigned = opening(command, team="family-guidance")
    assert isinstance(assigned, CaseAssigned)
    assert (assigned.payload.assignee_id, assigned.payload.team_id) == ("maija", "family-guidance")
    assert len(opening(command)) == 1


@pytest.mark.parametrize(("shift", "refused"), [(timedelta(hours=1), True), (timedelta(minutes=4), False),
                                               (-timedelta(days=30), False), (-timedelta(days=32), True)])
def test_the_contacts_time_is_neither_ahead_nor_over_a_month_old(shift: timedelta, refused: bool) -> None:
    command = RecordContact.model_validate(body(contacted_at=(NOW + shift).isoformat()))
    if refused:
        with pytest.raises(ContactTimeRefused) as caught:
            contact_time(command, NOW)
        assert caught.value.context["field"] == "contacted_at" and caught.value.status_code == 422
    else:
        assert contact_time(command, NOW) == NOW + shift
    assert contact_time(RecordContact.model_validate(body()), NOW) == NOW


@pytest.mark.parametrize(("overrides", "field"), [
    ({"receipt": True, "contact": {"method": "anonymous"}}, "receipt"),
    ({"contact": {"method": "sms"}}, "contact"),
    ({"contact": {"method": "phone", "phone": "12"}}, "contact.phone"),
    ({"contact": {"method": "email", "email": "no address"}}, "contact.email"),
    ({"contact": {"method": "anonymous", "name": "Aino"}}, "contact"),
    ({"message": "   \n "}, "message"),
    ({"channel": "fax"}, "channel"),
    ({"contacted_at": "2026-04-02T10:00:00"}, "contacted_at"),  # no offset: which 10 o'clock?
    ({"surname": "x"}, "surname"),
])
def test_bad_input_names_its_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RecordContact.model_validate(body(**overrides))
    assert field in fields_of(caught.value)


def test_sealed_as_intake_seals_a_request_and_only_as_this_events_field() -> None:
    command = RecordContact.model_validate(body())
    key, case_id = new_data_key(), uuid.uuid4()
    region = REGIONS.by_id["varsinais-suomi"]
    sealed = seal(key, case_id, sealed_contents(command, region), sealed_place("request.recorded"))
    opened = unseal(key, case_id, sealed, place_of("request.recorded"))
    # The number as the region keeps numbers: E.164, as the family's form would seal it.
    assert opened == {"message": "Lapsi ei mene kouluun.",
                      "contact": {"method": "phone", "name": "Aino", "phone": "+358401234567"}}
    with pytest.raises(KeyUnavailable):  # moved to another event, it does not open
        unseal(key, case_id, sealed, sealed_place("request.submitted"))


def test_the_event_round_trips_the_wire() -> None:
    event, = opening(RecordContact.model_validate(body(channel="letter", receipt=True)))
    again = decode(encode(event))
    assert again == event and again.type == "request.recorded" and again.schema_version == 1


def test_no_written_reply_to_a_recorded_contact() -> None:
    event, = opening(RecordContact.model_validate(body()))
    with pytest.raises(InvalidCommand, match="no status page"):
        decide(initial_state(event), SendReply(text="Hei"), region=VS, teams=set(), seal=lambda *a: SEALED,
               team_of=lambda _: None, now=NOW)


def form(**overrides: str) -> dict[str, str]:
    return {"recording_id": str(uuid.uuid4()), "channel": "in_person", "day": "2026-04-01", "at": "14:30",
            "municipality": "turku", "language": "sv", "requester_role": "relative", "topic": "", "method": "email",
            "email": " mormor@example.fi ", "phone": "", "name": "", "message": "  Orolig för barnbarnet. ",
            "receipt": "1", **overrides}


def test_the_staff_form_reads_into_the_same_model() -> None:
    command = recording_from_form(form())
    assert command.contacted_at == datetime(2026, 4, 1, 11, 30, tzinfo=UTC)  # 14:30 in Helsinki (EEST)
    assert (command.channel, command.language, command.topic, command.receipt, command.answered_in_contact) == (
        "in_person", "sv", None, True, False)
    assert command.contact.model_dump(exclude_none=True) == {"method": "email", "email": "mormor@example.fi"}
    assert command.message == "  Orolig för barnbarnet. "  # the family's words as they were written down
    assert recording_from_form(form(day="", at="")).contacted_at is None  # now


@pytest.mark.parametrize(("overrides", "field"), [({"day": "2026-02-30"}, "day"), ({"at": "25:00"}, "at")])
def test_a_form_day_or_time_off_the_calendar_is_named(overrides: dict[str, str], field: str) -> None:
    with pytest.raises(WhenInvalid) as caught:
        recording_from_form(form(**overrides))
    assert caught.value.field == field


def test_a_refused_form_field_is_named_by_its_innermost_name() -> None:
    with pytest.raises(ValidationError) as caught:
        recording_from_form(form(method="phone", phone="abc", requester_role=""))
    assert {_field_of(e["loc"]) for e in caught.value.errors()} == {"phone", "requester_role"}
    assert _field_of(()) == "form"


def test_a_number_the_region_does_not_call_is_refused_naming_the_field() -> None:
    from shared.errors import InvalidCommand

    phone = {"method": "phone", "name": "Aino", "phone": "+1 900 555 0100"}
    command = RecordContact.model_validate(body(contact=phone))
    with pytest.raises(InvalidCommand) as refused:
        sealed_contents(command, REGIONS.by_id["varsinais-suomi"])
    assert refused.value.context["field"] == "contact.phone"
