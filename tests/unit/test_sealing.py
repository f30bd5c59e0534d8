"""Crypto-shredding: sealed data opens only with the case's key, bound to the case."""

from __future__ import annotations

import uuid

import pytest

from shared.sealing import KeyUnavailable, new_data_key, seal, unseal, unwrap_key, wrap_key


def test_seal_and_unseal() -> None:
    case_id, key = uuid.uuid4(), new_data_key()
    sealed = seal(key, case_id, {"message": "Hätä", "phone": "040"})
    assert "Hätä" not in sealed.model_dump_json()
    assert unseal(key, case_id, sealed) == {"message": "Hätä", "phone": "040"}


def test_sealed_data_is_bound_to_its_case_and_key() -> None:
    case_id, key = uuid.uuid4(), new_data_key()
    sealed = seal(key, case_id, "x")
    with pytest.raises(KeyUnavailable):
        unseal(key, uuid.uuid4(), sealed)
    with pytest.raises(KeyUnavailable):
        unseal(new_data_key(), case_id, sealed)


def test_wrapped_key_opens_with_the_kek_only() -> None:
    case_id, kek, key = uuid.uuid4(), new_data_key(), new_data_key()
    wrapped = wrap_key(kek, "k1", case_id, "varsinais-suomi", key)
    assert unwrap_key(kek, wrapped) == key
    with pytest.raises(KeyUnavailable):
        unwrap_key(new_data_key(), wrapped)
