"""The case page's forms and the API's arguments become the same command, checked by the same model."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import ValidationError

from services.routing.decisions import (
    COMMANDS,
    AssignCase,
    CloseCase,
    CommandName,
    HandOffCase,
    RecordContactAttempt,
    TriageCase,
    is_command_name,
)
from services.routing.service import command_from, command_from_form

FORM_FIELDS = {"csrf": "x", "lang": "fi", "expected_version": "3"}  # what every action's form sends besides


def test_every_command_has_a_name_the_api_accepts() -> None:
    assert set(get_args(CommandName)) == set(COMMANDS)
    assert is_command_name("triage") and not is_command_name("delete_everything")


def test_an_empty_field_is_its_default_and_a_ticked_box_is_one() -> None:
    plain = command_from_form("triage", {**FORM_FIELDS, "command": "triage", "topic": "", "urgency": ""})
    assert plain == TriageCase(topic=None, urgency="normal", child_welfare_concern=False)
    ticked = command_from_form("triage", {**FORM_FIELDS, "topic": "child_emotions", "urgency": "urgent",
                                          "child_welfare_concern": "1"})
    assert ticked == TriageCase(topic="child_emotions", urgency="urgent", child_welfare_concern=True)
    assert command_from_form("close", {"outcome": "guidance_enough", "referred_to": ""}) == CloseCase(
        outcome="guidance_enough")


def test_an_assignee_is_one_choice_of_kind_and_id() -> None:
    form = {**FORM_FIELDS, "assignee": "team:family-work", "note": "Perhetyö jatkaa"}
    assert command_from_form("assign", form) == AssignCase(assignee_kind="team", assignee_id="family-work")
    assert command_from_form("hand_off", form) == HandOffCase(assignee_kind="team", assignee_id="family-work",
                                                              note="Perhetyö jatkaa")


@pytest.mark.parametrize("name,form,fields", [
    ("hand_off", {"assignee": "professional:pekka", "note": ""}, ["note"]),
    ("assign", {}, ["assignee_kind", "assignee_id"]),
    ("record_contact", {"channel": "phone"}, ["result"]),
    ("reply", {"text": ""}, ["text"]),
    ("triage", {"urgency": "whenever"}, ["urgency"]),
])
def test_what_is_missing_or_wrong_is_named_as_the_api_names_it(name: CommandName, form: dict[str, str],
                                                                 fields: list[str]) -> None:
    with pytest.raises(ValidationError) as from_form:
        command_from_form(name, {**FORM_FIELDS, **form})
    assert [str(e["loc"][-1]) for e in from_form.value.errors()] == fields


def test_the_form_and_the_api_make_the_same_command() -> None:
    arguments = {"channel": "sms", "result": "reached"}
    assert command_from_form("record_contact", {**FORM_FIELDS, **arguments}) == command_from(
        "record_contact", arguments) == RecordContactAttempt(channel="sms", result="reached")
    with pytest.raises(ValidationError):
        command_from("reply", {"text": "Hei", "unexpected": 1})  # the API's arguments allow nothing more
