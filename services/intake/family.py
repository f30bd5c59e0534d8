"""The family's way back to their case: pick-up codes and short sessions of the status page.

A pick-up code is shown once; only a keyed hash of it is kept (HMAC-SHA-256 under a key derived
from the region's key-encryption key, which is not in the database). The code is 20 symbols
drawn by ``secrets`` from 30, about 98 bits: a slow password hash protects secrets people choose,
which can be guessed offline; a random 98-bit code cannot be, and without the key a stolen table
does not even allow trying. A slow hash here cost 0.2 s of CPU and 64 MiB per request, which
capped intake at a few requests a second (docs/benchmarks.md). Hashes stored as argon2id before
still verify, and are replaced by the keyed hash when the right code is typed. A wrong code is not counted
here: the guesser is slowed per client and per reference by :mod:`services.intake.pickup_throttle`, and a
reference is never locked.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.db import Conn
from shared.errors import Unauthorized
from shared.references import normalise_reference
from shared.sessions import token_digest

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # 30 symbols, nothing that reads as another
CODE_GROUPS, CODE_GROUP_LEN = 4, 5  # 30**20 ≈ 2**98
SESSION_MINUTES = 30
KEYED = "hmac-sha256$"
_ARGON2 = PasswordHasher()  # verifies codes stored before keyed hashes


class WrongCode(Unauthorized):
    code = "wrong_reference_or_code"


def wait_minutes(retry_after_s: int) -> int:
    """The minutes to tell a family to wait: whole minutes up, so a wait of 15 minutes just begun reads 15, not 16."""
    return max(1, math.ceil(retry_after_s / 60))


def random_symbols(alphabet: str, count: int) -> str:
    """``count`` symbols of ``alphabet``, uniformly and independently at random (one draw from ``secrets``)."""
    number, out = secrets.randbelow(len(alphabet) ** count), []
    for _ in range(count):
        number, digit = divmod(number, len(alphabet))
        out.append(alphabet[digit])
    return "".join(out)


def new_pickup_code() -> str:
    raw = random_symbols(CODE_ALPHABET, CODE_GROUPS * CODE_GROUP_LEN)
    return "-".join(raw[i:i + CODE_GROUP_LEN] for i in range(0, len(raw), CODE_GROUP_LEN))


def normalise(code: str) -> str:
    """Forgive case, spaces and missing dashes when a code is typed back."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(raw[i:i + CODE_GROUP_LEN] for i in range(0, len(raw), CODE_GROUP_LEN))


@functools.lru_cache(maxsize=4)
def pickup_key(kek: bytes) -> bytes:
    """The pick-up codes' hashing key, derived from the key-encryption key for this one use."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"apua pickup-code v1").derive(kek)


def hash_code(code: str, key: bytes) -> str:
    return KEYED + hmac.new(key, normalise(code).encode(), hashlib.sha256).hexdigest()


async def verify_pickup(conn: Conn, reference: str, code: str, *, key: bytes) -> uuid.UUID:
    """The case for ``reference`` if ``code`` is right; WrongCode otherwise, the same for an unknown reference.

    Both ways do the same work (one read, one keyed hash) and write nothing, so neither the answer nor its
    time tells whether the reference exists.
    """
    row = await conn.fetchrow("SELECT p.case_id, p.code_hash FROM pickup_codes p JOIN requests r USING (case_id)"
                              " WHERE r.reference = $1", normalise_reference(reference))
    if row is None:
        hash_code(code, key)  # the work of a wrong code: no probing by time
        raise WrongCode("the reference or the pick-up code does not match")
    if not await _code_matches(row["code_hash"], code, key):
        raise WrongCode("the reference or the pick-up code does not match")
    case_id: uuid.UUID = row["case_id"]
    if not row["code_hash"].startswith(KEYED):  # an argon2id hash of old: keep the keyed hash from now on
        await conn.execute("UPDATE pickup_codes SET code_hash = $2 WHERE case_id = $1", case_id, hash_code(code, key))
    return case_id


async def _code_matches(code_hash: str, code: str, key: bytes) -> bool:
    if code_hash.startswith(KEYED):
        return hmac.compare_digest(code_hash, hash_code(code, key))
    return await asyncio.to_thread(_argon2_matches, code_hash, code)  # slow: off the event loop


def _argon2_matches(code_hash: str, code: str) -> bool:
    try:
        return _ARGON2.verify(code_hash, normalise(code))
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class FamilySession:
    case_id: uuid.UUID
    csrf: str


async def open_session(conn: Conn, case_id: uuid.UUID) -> tuple[str, FamilySession]:
    """A fresh random token for the cookie (only its hash is stored) and a CSRF token for forms."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    await conn.execute("DELETE FROM family_sessions WHERE expires_at < now()")
    await conn.execute(
        "INSERT INTO family_sessions (token_hash, case_id, csrf, expires_at) VALUES ($1, $2, $3, $4)",
        token_digest(token), case_id, csrf, datetime.now(UTC) + timedelta(minutes=SESSION_MINUTES))
    return token, FamilySession(case_id=case_id, csrf=csrf)


async def find_session(conn: Conn, token: str | None) -> FamilySession | None:
    if not token:
        return None
    row = await conn.fetchrow(
        "SELECT case_id, csrf FROM family_sessions WHERE token_hash = $1 AND expires_at > now()", token_digest(token))
    return FamilySession(case_id=row["case_id"], csrf=row["csrf"]) if row else None


async def close_session(conn: Conn, token: str | None) -> None:
    if token:
        await conn.execute("DELETE FROM family_sessions WHERE token_hash = $1", token_digest(token))
