"""Crypto-shredding: personal data is sealed with a per-case data key (AES-256-GCM).

The data key is wrapped with the region's key-encryption key (KEK) and travels on the
compacted key topic, never on the case stream. Erasing a case deletes its key; every sealed
field of that case then stays unreadable wherever the stream reaches.
"""

from __future__ import annotations

import base64
import os
import uuid
from typing import Literal

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict

NONCE_BYTES = 12


class Sealed(BaseModel):
    """A JSON value sealed with a case's data key; bound to the case id as associated data."""

    model_config = ConfigDict(frozen=True)

    alg: Literal["A256GCM"] = "A256GCM"
    nonce: str
    ciphertext: str


class WrappedKey(BaseModel):
    """A case's data key wrapped with the KEK, as stored on the key topic and in key tables."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    case_id: uuid.UUID
    region: str
    kek_id: str
    nonce: str
    wrapped: str


class KeyUnavailable(Exception):
    """The case's key is erased (or not yet known): its personal data cannot be read."""


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(data_key: bytes, case_id: uuid.UUID, value: object) -> Sealed:
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, orjson.dumps(value), case_id.bytes)
    return Sealed(nonce=_b64(nonce), ciphertext=_b64(ciphertext))


def unseal(data_key: bytes, case_id: uuid.UUID, sealed: Sealed) -> object:
    try:
        plain = AESGCM(data_key).decrypt(_unb64(sealed.nonce), _unb64(sealed.ciphertext), case_id.bytes)
    except InvalidTag as exc:
        raise KeyUnavailable(f"sealed data of case {case_id} does not open with this key") from exc
    return orjson.loads(plain)


def wrap_key(kek: bytes, kek_id: str, case_id: uuid.UUID, region: str, data_key: bytes) -> WrappedKey:
    nonce = os.urandom(NONCE_BYTES)
    wrapped = AESGCM(kek).encrypt(nonce, data_key, case_id.bytes)
    return WrappedKey(case_id=case_id, region=region, kek_id=kek_id, nonce=_b64(nonce), wrapped=_b64(wrapped))


def unwrap_key(kek: bytes, key: WrappedKey) -> bytes:
    try:
        return AESGCM(kek).decrypt(_unb64(key.nonce), _unb64(key.wrapped), key.case_id.bytes)
    except InvalidTag as exc:
        raise KeyUnavailable(f"the key of case {key.case_id} does not open with KEK {key.kek_id}") from exc


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)
