"""Staff search, the pure part: a term's kind decided by its shape, the date range, and what the log says."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime

import pytest

from services.routing.access_export import access_csv, search_label
from services.routing.search import (
    MAX_TERM,
    DatesRefused,
    Term,
    TermRefused,
    check_dates,
    classify,
    search_kind,
)
from services.routing.search_index import contact_of
from shared.references import is_reference, normalise_reference
from shared.regions import load_regions
from shared.settings import ROOT


@pytest.mark.parametrize("typed", ["K7M4-2Q9X", "k7m4 2q9x", "K7M42Q9X", " k7m4 - 2q9x ", "k7m4‐2q9x"])
def test_a_reference_however_typed(typed: str) -> None:
    assert classify(typed) == Term("reference", "K7M4-2Q9X")


@pytest.mark.parametrize(("typed", "number"), [
    ("040 123 4567", "+358401234567"), ("+358 40 123 4567", "+358401234567"), ("0401234567", "+358401234567"),
    ("(09) 310 1691", "+35893101691"), ("+46 70 123 45 67", "+46701234567"),
    ("040\u00a0918\u00a02736", "+358409182736"),
])
def test_a_phone_number_in_e164_read_as_the_regions_country(typed: str, number: str) -> None:
    assert classify(typed) == Term("phone", number)


def test_a_number_without_a_country_code_is_read_as_the_country_given() -> None:
    assert classify("070 123 45 67", "SE") == Term("phone", "+46701234567")
    assert classify("070 123 45 67", "FI").value != "+46701234567"


def test_an_address_lower_cased_and_trimmed() -> None:
    assert classify("  Maija.Meikalainen@Example.FI ") == Term("email", "maija.meikalainen@example.fi")


@pytest.mark.parametrize("typed", [
    "lapsi nukkuu huonosti", "Maija Meikäläinen", "", "   ", "12", "maija@", "maija@localhost", "K7M4-2Q9", "x" * 30,
    "1" * (MAX_TERM + 1), "040 123 4567 tai 050 765 4321 illalla",
])
def test_anything_else_is_refused_saying_what_can_be_searched_and_never_what_was_typed(typed: str) -> None:
    with pytest.raises(TermRefused) as refused:
        classify(typed)
    message = str(refused.value)
    assert "reference" in message or "address" in message or "phone" in message
    assert not typed.strip() or typed.strip() not in message


def test_the_reference_alphabet_decides_what_is_a_reference() -> None:
    assert is_reference("K7M4-2Q9X") and is_reference(normalise_reference("2345 6789"))
    # 0, 1, I, L, O and U are never in a reference: these are other things (a phone number, a word).
    assert not any(is_reference(normalise_reference(v)) for v in ("0401 2345", "K7M4-2Q9O", "LOUI-1234", "K7M4"))
    # So a Finnish number of eight digits is a phone number, not a reference.
    assert classify("0912 3456").kind == "phone"


def test_a_date_range_the_wrong_way_round_is_refused_and_one_day_is_a_range() -> None:
    check_dates(date(2026, 3, 1), date(2026, 3, 1))
    check_dates(None, date(2026, 3, 1))
    check_dates(date(2026, 3, 1), None)
    with pytest.raises(DatesRefused, match="received_from"):
        check_dates(date(2026, 3, 2), date(2026, 3, 1))


def test_the_log_records_the_kind_of_term_or_the_dates() -> None:
    assert search_kind(None) == "dates"
    assert search_kind(Term("phone", "+358401234567")) == "phone"


def test_a_search_row_in_the_log_in_words_and_in_the_csv_without_the_term() -> None:
    assert search_label("phone", 2, "fi") == "puhelinnumero, 2 osumaa"
    assert search_label("email", 1, "sv") == "e-postadress, 1 träff"
    assert search_label("reference", 0, "en") == "reference, 0 hits"
    assert search_label(None, None, "fi") == ""
    rows = [{"at": datetime(2026, 3, 2, 10, 0, tzinfo=UTC), "account_id": "koord", "display_name": "Koord",
             "role": "coordinator", "reference": None, "case_id": None, "action": "search", "term_kind": "email",
             "hits": 3},
            {"at": datetime(2026, 3, 2, 10, 1, tzinfo=UTC), "account_id": "koord", "display_name": "Koord",
             "role": "coordinator", "reference": "K7M4-2Q9X", "case_id": uuid.UUID(int=7), "action": "view",
             "term_kind": None, "hits": None}]
    lines = list(csv.reader(io.StringIO(access_csv(rows, "fi").decode("utf-8-sig")), delimiter=";"))
    assert lines[0][-2:] == ["Haun tyyppi", "Osumia"]
    assert lines[1][4:] == ["", "", "Haki yhteydenottoja", "sähköpostiosoite", "3"]
    assert lines[2][-2:] == ["", ""]


def test_the_contact_of_an_opened_request() -> None:
    opened = {"message": "…", "contact": {"method": "phone", "phone": "040 1", "email": "a@b.fi", "name": "N"}}
    assert contact_of(opened) == ("040 1", "a@b.fi")
    assert contact_of({"message": "…", "contact": {"method": "anonymous"}}) == (None, None)
    assert contact_of("not a request") == (None, None)


def test_every_region_says_its_country() -> None:
    assert {region.country for region in load_regions(ROOT / "deploy" / "regions")} == {"FI"}


def _form(lang: str, **context: object) -> str:
    from services.routing.i18n import t
    from services.routing.pages.render import TEMPLATES

    filters = {"municipality": "raisio", "topic": None, "team": None, "status": "all", "mine": True}
    return TEMPLATES.env.get_template("_search_form.html").render(
        t=lambda key, **values: t(key, lang, **values), lang=lang, filters=filters, **context)


def test_the_search_form_is_labelled_keeps_the_filters_and_marks_the_field_with_the_problem() -> None:
    from services.routing.pages.search_page import Asked, Searched

    empty = _form("sv", search=None)
    assert 'role="search"' in empty and '<label for="s-q">Referens, telefonnummer eller e-postadress</label>' in empty
    assert 'name="municipality" value="raisio"' in empty and 'name="mine" value="1"' in empty
    assert 'name="status"' not in empty  # a search from the open queue finds closed cases too
    assert "aria-invalid" not in empty and 'role="alert"' not in empty
    refused = _form("fi", search=Searched(Asked(q="lapsi <b>"), error="search_error_term", error_field="q"))
    assert 'aria-invalid="true" aria-describedby="s-q-hint search-error"' in refused
    assert 'value="lapsi &lt;b&gt;"' in refused and 'role="alert">Hae viitteellä' in refused
    dates = _form("en", search=Searched(Asked(received_from="2026-03-02", received_to="2026-03-01"),
                                        error="search_error_dates_order", error_field="received_from"))
    assert 'name="received_from" value="2026-03-02" aria-invalid="true"' in dates
    assert 'name="received_to" value="2026-03-01">' in dates and "The first day is after the last day" in dates
