"""Control and direction characters in what people send: refused by one rule, named by field, in each language;
and file names that cannot break a header."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from services.intake.forms import FeedbackForm, MessageForm, RequestForm, parse_feedback, parse_message, parse_request
from services.intake.i18n import t as intake_t
from services.intake.models import NewRequest, StatusQuery
from services.routing.admin import build_parser
from services.routing.decisions import AddInternalNote, HandOffCase, SendReply
from services.routing.reply_templates import TemplateFields
from services.routing.service import command_from_form
from shared.downloads import ascii_filename, content_disposition
from shared.text import Text, TextLine, forbidden_character

# Each refused character, as an attacker would put it in a text.
REFUSED = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", *map(chr, range(0x202A, 0x202F)),
           *map(chr, range(0x2066, 0x206A))]


class Line(BaseModel):
    value: TextLine


class Lines(BaseModel):
    value: Text


@pytest.mark.parametrize("ch", REFUSED, ids=lambda ch: f"U+{ord(ch):04X}")
def test_every_control_and_bidi_character_is_refused_by_name(ch: str) -> None:
    for model in (Line, Lines):
        with pytest.raises(ValidationError) as caught:
            model(value=f"Maija{ch}Meikäläinen")
        [error] = caught.value.errors()
        assert error["type"] == "control_character" and error["loc"] == ("value",)
        assert f"U+{ord(ch):04X}" in error["msg"] and "Maija" not in error["msg"]  # the code point, not the text


def test_lines_keep_tabs_and_line_breaks_a_single_line_does_not() -> None:
    assert Lines(value="Hei,\r\n\tkiitos.\n").value == "Hei,\r\n\tkiitos.\n"
    for ch in "\t\n\r":
        assert forbidden_character(f"a{ch}b", multiline=False) == (1, ch)


def test_direction_marks_stay_beside_right_to_left_letters_only() -> None:
    assert Lines(value="\u200fשלום 2026").value == "\u200fשלום 2026"  # sets a number's direction in Hebrew
    assert Lines(value="مرحبا\u061c 12").value == "مرحبا\u061c 12"
    for mark in ("\u200e", "\u200f", "\u061c"):
        assert forbidden_character(f"Hei{mark} 12", multiline=True) == (3, mark)  # in Finnish text it only hides
    # An override is refused even beside right-to-left letters: it turns text around whatever the language.
    assert forbidden_character("שלום\u202e", multiline=True) == (4, "\u202e")
    assert forbidden_character("Sää, åäö, ß, 漢字, emoji 🙂", multiline=False) is None


def request(**fields: Any) -> dict[str, Any]:
    return {"submission_id": str(uuid.uuid4()), "municipality": "raisio", "requester_role": "parent",
            "message": "Apua", "contact": {"method": "anonymous"}, **fields}


@pytest.mark.parametrize(("body", "field"), [
    (request(message="Apua\x00"), ("message",)),
    (request(message="Lapsi \u202eon kunnossa"), ("message",)),
    (request(contact={"method": "email", "email": "a\u2066@b.fi"}), ("contact", "email")),
    (request(contact={"method": "sms", "phone": "+358401234567", "name": "Maija\u202e"}), ("contact", "name")),
    (request(contact={"method": "sms", "phone": "+358401234567", "call_times": "ilta\x1b"}),
     ("contact", "call_times")),
])
def test_the_api_names_the_field_that_holds_one(body: dict[str, Any], field: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        NewRequest.model_validate(body)
    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [("control_character", field)]


def test_a_reference_or_code_holding_one_is_refused_before_it_is_looked_up() -> None:
    with pytest.raises(ValidationError) as caught:
        StatusQuery(reference="K7M4-2Q9X\x00", pickup_code="7HQ2M-XK4PD\r\n9TRWA-3NVCE")
    assert {e["loc"] for e in caught.value.errors()} == {("reference",), ("pickup_code",)}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_family_s_forms_say_it_next_to_the_field_in_the_page_s_language(lang: str) -> None:
    said = intake_t("err_control_chars", lang)
    values = RequestForm(submission_id=str(uuid.uuid4()), requester_role="parent", message="Apua\u202e",
                         contact_method="sms", phone="+358401234567", name="Mai\x00ja", call_times="ilta\u2067",
                         consent="yes").values()
    _, errors = parse_request(values, municipality_id="raisio", lang=lang, website="")
    assert errors == {"message": said, "name": said, "call_times": said}
    assert parse_message(MessageForm(message="Kiitos\x00", message_id=str(uuid.uuid4())), lang) == (
        None, {"message": said})
    assert parse_feedback(FeedbackForm(score="4", comment="hyvä\u202d"), lang) == (None, {"comment": said})
    assert parse_feedback(FeedbackForm(score="", comment="hyvä"), lang)[1] == {"score": intake_t("err_required", lang)}
    assert len({intake_t("err_control_chars", other) for other in ("fi", "sv", "en")}) == 3


@pytest.mark.parametrize(("make", "field"), [
    (lambda: SendReply(text="Soitamme\u202e huomenna"), "text"),
    (lambda: AddInternalNote(text="muistio\x00"), "text"),
    (lambda: HandOffCase(assignee_kind="team", assignee_id="perhe\r\nneuvo", note="ok"), "assignee_id"),
    (lambda: HandOffCase(assignee_kind="team", assignee_id="perhe", note="\u2066x"), "note"),
    (lambda: TemplateFields(language="fi", title="Kiitos\nviestistä", text="Hei"), "title"),
    (lambda: TemplateFields(language="fi", title="Kiitos", text="Hei\x00"), "text"),
    (lambda: command_from_form("reply", {"text": "Hei\u202e"}), "text"),
])
def test_staff_commands_and_templates_refuse_them_by_field(make: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make()
    assert [(e["type"], e["loc"][-1]) for e in caught.value.errors()] == [("control_character", field)]
    assert SendReply(text="Hei,\r\n\tvastaus tässä.").text.startswith("Hei")


def test_the_admin_s_command_line_refuses_them_in_names(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["teams", "add", "--id", "perhe", "--region", "varsinais-suomi",
                                   "--name-fi", "Perhe\u202eneuvola"])
    assert "--name-fi" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["users", "add", "--username", "liisa", "--name", "Liisa\x00", "--role", "admin",
                                   "--region", "varsinais-suomi"])


@pytest.mark.parametrize("name", ["access-log-K7M4\r\nSet-Cookie: stolen=1.csv", 'Åbo "raport";.xlsx',
                                  "tiimi\u202egnp.exe.csv", "../../etc/passwd", "€", "\r\n", ""])
def test_a_file_name_makes_one_safe_header_whatever_it_holds(name: str) -> None:
    header = content_disposition(name)
    header.encode("latin-1")  # what a server can send at all
    assert "\r" not in header and "\n" not in header and header.startswith("attachment; filename=\"")
    plain = ascii_filename(name)
    assert plain and all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in plain)
    assert header.count('"') == 2 and "filename*=UTF-8''" in header and "/" not in header.split("filename*")[1]


def test_a_plain_name_stays_as_it_is_and_a_finnish_one_is_kept_in_utf_8() -> None:
    name = "pyyda-apua-topics-varsinais-suomi-2026-01-01-2026-12-31.csv"
    assert content_disposition(name) == f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    assert content_disposition("Åbo.csv") == "attachment; filename=\"Abo.csv\"; filename*=UTF-8''%C3%85bo.csv"
