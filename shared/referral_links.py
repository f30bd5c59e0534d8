"""The receiving service's link to a referral: signed, time-limited, naming the referral and nothing of the family.

notify signs it when it mails the service's referral mailbox; routing checks it when the link is opened. Both hold
the region's KEKs, so the signing key is derived from one of them (HKDF, its own label: the KEK itself keys only
data keys) and the token names the KEK it was signed under, so links mailed before a KEK rotation still open while
the old KEK is held. The token carries the referral, its case, the service and the expiry; an altered byte, another
service's id or a time past the expiry makes it refused, and a refusal says nothing of which check failed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.http import same_token
from shared.sealing import Keyring

_LABEL = b"apua referral-link v1"
MAX_TOKEN = 400  # a longer token is refused before any work


@dataclass(frozen=True)
class ReferralLink:
    referral_id: uuid.UUID
    case_id: uuid.UUID
    service_id: str
    expires_at: datetime


class LinkRefused(Exception):
    """The token is not one of ours, was altered, or has run out."""


def _key(kek: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(kek)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _body(link: ReferralLink) -> bytes:
    return b"|".join((link.referral_id.bytes, link.case_id.bytes, link.service_id.encode(),
                      str(int(link.expires_at.timestamp())).encode()))


def sign_link(keyring: Keyring, link: ReferralLink) -> str:
    """``<kek id>.<body>.<mac>``, URL-safe; signed under the current KEK."""
    body = _body(link)
    mac = hmac.new(_key(keyring.keks[keyring.current]), body, hashlib.sha256).digest()
    return ".".join((_b64(keyring.current.encode()), _b64(body), _b64(mac)))


def open_link(keyring: Keyring, token: str, *, now: datetime | None = None) -> ReferralLink:
    """The referral a token names, once its signature holds and it has not run out; LinkRefused otherwise."""
    parts = token.split(".", 3) if len(token) <= MAX_TOKEN else []
    if len(parts) != 3:
        raise LinkRefused("not a referral link")
    try:
        kek_part, body_part, mac_part = parts
        kek = keyring.keks.get(_unb64(kek_part).decode())
        body = _unb64(body_part)
    except (ValueError, UnicodeDecodeError):
        raise LinkRefused("not a referral link") from None
    if kek is None or not same_token(mac_part, _b64(hmac.new(_key(kek), body, hashlib.sha256).digest())):
        raise LinkRefused("not a referral link")
    # Signed by us, so the shape holds; the ids are 16 bytes each and cannot hold the separator's meaning.
    referral, case, rest = body[:16], body[17:33], body[34:]
    service, _, expires = rest.rpartition(b"|")
    link = ReferralLink(referral_id=uuid.UUID(bytes=referral), case_id=uuid.UUID(bytes=case),
                        service_id=service.decode(), expires_at=datetime.fromtimestamp(int(expires), UTC))
    if link.expires_at <= (now or datetime.now(UTC)):
        raise LinkRefused("the link has run out")
    return link
