"""The blind index: one digest per value however it is typed, none for what is no number or address."""

from __future__ import annotations

from shared.blind_index import current_digest, digest, digests, normalise_email, normalise_phone
from shared.sealing import Keyring


def test_a_number_typed_in_any_usual_way_is_one_e164_value() -> None:
    for typed in ("040 123 4567", "+358 40 123 4567", "+358401234567", "(040) 123-4567", "00358401234567"):
        assert normalise_phone(typed) == "+358401234567", typed
    assert normalise_phone("(((((") is None
    assert normalise_phone("12") is None


def test_an_address_is_compared_without_case_or_surrounding_spaces() -> None:
    assert normalise_email("  Maija.Meikalainen@Example.FI ") == "maija.meikalainen@example.fi"
    assert normalise_email("not an address") is None
    assert normalise_email("a@b") is None


def test_digests_are_keyed_and_kinds_never_match() -> None:
    one, other = b"1" * 32, b"2" * 32
    ring = Keyring(current="new", keks={"old": one, "new": other})
    kek_id, value = current_digest(ring, "phone", "+358401234567")
    assert kek_id == "new"
    found = digests(ring, "phone", "+358401234567")
    assert found["new"] == value and found["old"] != value
    assert "358401234567" not in value
    assert digest(one, "phone", "x") != digest(one, "email", "x")
