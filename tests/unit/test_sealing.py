"""Crypto-shredding: sealed data opens only with the case's key, bound to the case, the event type and the field;
wrapped keys open with the KEK they name, among the KEKs a service holds."""

from __future__ import annotations

import base64
import os
import typing
import uuid

import orjson
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import ValidationError

from shared import events
from shared.places import SEALED_FIELDS, sealed_place
from shared.sealing import (
    Keyring,
    KeyUnavailable,
    Place,
    Sealed,
    new_data_key,
    seal,
    unseal,
    unwrap_key,
    wrap_key,
)
from shared.settings import DEVELOPMENT_KEK, ServiceSettings

REPLY = Place("reply.sent", "text")
NOTE = Place("note.added", "note")


def test_seal_and_unseal() -> None:
    case_id, key = uuid.uuid4(), new_data_key()
    sealed = seal(key, case_id, {"message": "Hätä", "phone": "040"}, sealed_place("request.submitted"))
    assert "Hätä" not in sealed.model_dump_json()
    assert sealed.v == 2
    assert unseal(key, case_id, sealed, sealed_place("request.submitted")) == {"message": "Hätä", "phone": "040"}


def test_sealed_data_is_bound_to_its_case_and_key() -> None:
    case_id, key = uuid.uuid4(), new_data_key()
    sealed = seal(key, case_id, "x", REPLY)
    with pytest.raises(KeyUnavailable):
        unseal(key, uuid.uuid4(), sealed, REPLY)
    with pytest.raises(KeyUnavailable):
        unseal(new_data_key(), case_id, sealed, REPLY)


def test_a_sealed_field_opens_only_as_the_event_type_and_field_it_was_sealed_for() -> None:
    case_id, key = uuid.uuid4(), new_data_key()
    note = seal(key, case_id, "sisäinen muistiinpano", NOTE)
    assert unseal(key, case_id, note, NOTE) == "sisäinen muistiinpano"
    for elsewhere in (REPLY, Place("note.added", "text"), Place("case.handed_off", "note"), None):
        with pytest.raises(KeyUnavailable):
            unseal(key, case_id, note, elsewhere)
    # Claiming it is an old, unbound value does not help: the associated data it was sealed with differs.
    downgraded = Sealed.model_validate({**note.model_dump(), "v": 1})
    with pytest.raises(KeyUnavailable):
        unseal(key, case_id, downgraded, REPLY)


def test_a_value_sealed_before_the_binding_still_opens() -> None:
    """A stored v1 value (no ``v`` on the wire, the case id its only associated data) opens wherever it is."""
    case_id, key = uuid.uuid4(), new_data_key()
    nonce = os.urandom(12)
    old = {"alg": "A256GCM", "nonce": base64.b64encode(nonce).decode(),
           "ciphertext": base64.b64encode(AESGCM(key).encrypt(nonce, orjson.dumps("vanha"), case_id.bytes)).decode()}
    sealed = Sealed.model_validate_json(orjson.dumps(old))
    assert sealed.v == 1
    assert unseal(key, case_id, sealed, REPLY) == "vanha"
    assert unseal(key, case_id, sealed, None) == "vanha"
    with pytest.raises(KeyUnavailable):
        unseal(key, uuid.uuid4(), sealed, REPLY)


def test_the_places_name_every_sealed_field_of_every_event() -> None:
    found = {}
    for cls in vars(events).values():
        if isinstance(cls, type) and issubclass(cls, events.EventBase) and cls is not events.EventBase:
            payload = typing.get_type_hints(cls)["payload"]
            for name, info in payload.model_fields.items():
                if Sealed in (info.annotation, *typing.get_args(info.annotation)):
                    found[cls.model_fields["type"].default] = name
    assert found == SEALED_FIELDS


def test_wrapped_key_opens_with_the_kek_only() -> None:
    case_id, kek, key = uuid.uuid4(), new_data_key(), new_data_key()
    wrapped = wrap_key(kek, "k1", case_id, "varsinais-suomi", key)
    assert unwrap_key(kek, wrapped) == key
    with pytest.raises(KeyUnavailable):
        unwrap_key(new_data_key(), wrapped)


def test_the_keyring_chooses_the_kek_by_its_id_and_rewraps_under_the_current_one() -> None:
    a, b, case_id, key = new_data_key(), new_data_key(), uuid.uuid4(), new_data_key()
    under_a = Keyring(current="a", keks={"a": a}).wrap(case_id, "varsinais-suomi", key)
    assert under_a.kek_id == "a"
    both = Keyring(current="b", keks={"a": a, "b": b})
    assert both.unwrap(under_a) == key
    under_b = both.rewrap(under_a)
    assert under_b is not None and under_b.kek_id == "b" and both.rewrap(under_b) is None
    only_b = Keyring(current="b", keks={"b": b})
    assert only_b.unwrap(under_b) == key
    with pytest.raises(KeyUnavailable):
        only_b.unwrap(under_a)
    # The id chooses: a key claiming another KEK's id does not open with the wrong KEK.
    with pytest.raises(KeyUnavailable):
        both.unwrap(under_a.model_copy(update={"kek_id": "b"}))
    with pytest.raises(ValueError):
        Keyring(current="c", keks={"a": a})


def test_settings_hold_the_current_and_the_old_keks() -> None:
    old = base64.b64encode(b"an-old-kek-of-this-test-32-bytes").decode()
    settings = ServiceSettings(kek_id="dev-2", old_keks={"dev-1": old})
    assert settings.keyring.current == "dev-2"
    assert set(settings.keyring.keks) == {"dev-1", "dev-2"}
    with pytest.raises(ValidationError):
        ServiceSettings(kek_id="dev-1", old_keks={"dev-1": old})
    with pytest.raises(ValidationError):
        ServiceSettings(old_keks={"x": "bm90IDMyIGJ5dGVz"})
    with pytest.raises(ValidationError):
        ServiceSettings(environment="production", kek=old, kek_id="p2", old_keks={"p1": DEVELOPMENT_KEK})


def test_intake_tells_the_type_of_a_row_projected_before_it_was_kept() -> None:
    from services.intake.queries import _sealed_in

    rows = [{"sealed_in": None, "from_staff": False}, {"sealed_in": None, "from_staff": True},
            {"sealed_in": None, "from_staff": False}, {"sealed_in": "reply.sent", "from_staff": True},
            {"sealed_in": "family.message_added", "from_staff": False}]
    assert _sealed_in(rows) == ["request.submitted", "reply.sent", "family.message_added", "reply.sent",
                                "family.message_added"]
