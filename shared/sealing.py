"""Crypto-shredding: personal data is sealed with a per-case data key (AES-256-GCM).

The data key is wrapped with the region's key-encryption key (KEK) and travels on the
compacted key topic, never on the case stream. Erasing a case deletes its key; every sealed
field of that case then stays unreadable wherever the stream reaches.

A sealed field is bound (as AES-GCM associated data) to its case, the type of the event that
carries it and the field's name, so a writer to the stream cannot move ciphertext from one event
to another (an internal note republished as a reply) and have it open. Fields sealed before
this binding (``v`` 1) are bound to their case only and still open as such; the binding holds
for what is sealed from version 2 on.
"""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass, field
from typing import Literal

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict

NONCE_BYTES = 12
SEAL_VERSION = 2
_V2_CONTEXT = b"apua sealed v2\x00"


class Sealed(BaseModel):
    """A JSON value sealed with a case's data key. ``v`` 1: bound to the case id only (sealed before
    the binding existed); ``v`` 2: bound to the case id, the event type and the field name."""

    model_config = ConfigDict(frozen=True)

    alg: Literal["A256GCM"] = "A256GCM"
    v: Literal[1, 2] = 1
    nonce: str
    ciphertext: str


@dataclass(frozen=True)
class Place:
    """Where a sealed value belongs: the event type that carries it and the payload field that holds it."""

    event_type: str
    field: str


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


@dataclass(frozen=True)
class Keyring:
    """The KEKs a service holds, by id: ``current`` wraps new keys; the others still open what they wrapped
    until ``keys rewrap`` has moved every key to the current one."""

    current: str
    keks: dict[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        if self.current not in self.keks:
            raise ValueError(f"the current KEK {self.current!r} is not among the configured KEKs")

    def wrap(self, case_id: uuid.UUID, region: str, data_key: bytes) -> WrappedKey:
        return wrap_key(self.keks[self.current], self.current, case_id, region, data_key)

    def unwrap(self, key: WrappedKey) -> bytes:
        """The data key, opened with the KEK the wrapped key names (KeyUnavailable when it is not held)."""
        kek = self.keks.get(key.kek_id)
        if kek is None:
            raise KeyUnavailable(f"the key of case {key.case_id} is wrapped with KEK {key.kek_id}, not configured")
        return unwrap_key(kek, key)

    def rewrap(self, key: WrappedKey) -> WrappedKey | None:
        """The key wrapped with the current KEK, or None when it already is."""
        if key.kek_id == self.current:
            return None
        return self.wrap(key.case_id, key.region, self.unwrap(key))


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _associated(case_id: uuid.UUID, version: int, place: Place | None) -> bytes:
    if version == 1:
        return case_id.bytes
    if place is None:
        # Where a reader cannot say which event a bound value came from, it does not open.
        raise KeyUnavailable(f"a bound sealed value of case {case_id} was read without its place")
    return b"".join((_V2_CONTEXT, case_id.bytes, place.event_type.encode(), b"\x00", place.field.encode()))


def seal_bound(data_key: bytes, value: object, associated: bytes, version: int = SEAL_VERSION) -> Sealed:
    """``value`` sealed so that it opens only with ``associated``, the bytes that say whose it is and where it
    belongs (a case's, an agent's or a survey's id and the event's type and field)."""
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, orjson.dumps(value), associated)
    return Sealed(v=version, nonce=_b64(nonce), ciphertext=_b64(ciphertext))


def unseal_bound(data_key: bytes, sealed: Sealed, associated: bytes, refusal: str) -> object:
    """The value of ``sealed`` if it was sealed with ``associated``; KeyUnavailable(``refusal``) otherwise."""
    try:
        plain = AESGCM(data_key).decrypt(_unb64(sealed.nonce), _unb64(sealed.ciphertext), associated)
    except InvalidTag as exc:
        raise KeyUnavailable(refusal) from exc
    return orjson.loads(plain)


def seal(data_key: bytes, case_id: uuid.UUID, value: object, place: Place) -> Sealed:
    return seal_bound(data_key, value, _associated(case_id, SEAL_VERSION, place))


def unseal(data_key: bytes, case_id: uuid.UUID, sealed: Sealed, place: Place | None) -> object:
    """The value, if it was sealed for this case and (from version 2) this event type and field.

    ``place`` None: the reader does not know where the value came from; only version 1 opens then."""
    return unseal_bound(data_key, sealed, _associated(case_id, sealed.v, place),
                        f"sealed data of case {case_id} does not open here with this key")


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
