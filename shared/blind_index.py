"""A blind index: find a case by a family's phone number or e-mail address without storing either.

The value is normalised (E.164 for a phone number, the lower-cased address for an e-mail) and then keyed
with an HMAC under a key derived from a KEK: equal values give equal digests, and a digest tells nothing
without the KEK, so a table or topic of digests gives no number back even to a reader who guesses
("+35840…" has too few possibilities for an unkeyed hash). Every KEK the service holds gives its own digest,
so a search after a KEK rotation tries each of them (``digests``); stored rows name the KEK that made them.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from typing import Literal

import phonenumbers
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.sealing import Keyring

Kind = Literal["phone", "email"]
DEFAULT_COUNTRY = "FI"


def blind_key(kek: bytes) -> bytes:
    """The index's own key: derived, so that the KEK itself never keys anything but data keys."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"apua blind-index v1").derive(kek)


def normalise_phone(value: str, default_country: str = DEFAULT_COUNTRY) -> str | None:
    """The number in E.164 ('+358401234567'), or None when it is no possible number at all.

    A number written without a country code is read as the region's own country's ('040 123 4567')."""
    try:
        number = phonenumbers.parse(value, default_country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str | None:
    """The address as it is compared: NFKC, no surrounding spaces, lower case; None when it is no address."""
    address = unicodedata.normalize("NFKC", value).strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in address):
        return None
    return address


def normalise(kind: Kind, value: str, default_country: str = DEFAULT_COUNTRY) -> str | None:
    return normalise_phone(value, default_country) if kind == "phone" else normalise_email(value)


def digest(key: bytes, kind: Kind, normalised: str) -> str:
    """The hex HMAC-SHA256 of one normalised value; the kind is inside, so a phone never matches an e-mail."""
    return hmac.new(key, f"{kind}\x00{normalised}".encode(), hashlib.sha256).hexdigest()


def current_digest(keyring: Keyring, kind: Kind, normalised: str) -> tuple[str, str]:
    """(KEK id, digest) under the current KEK: what is stored beside a case."""
    return keyring.current, digest(blind_key(keyring.keks[keyring.current]), kind, normalised)


def digests(keyring: Keyring, kind: Kind, normalised: str) -> dict[str, str]:
    """The digest under every KEK held, by KEK id: what a search looks for."""
    return {kek_id: digest(blind_key(kek), kind, normalised) for kek_id, kek in keyring.keks.items()}
