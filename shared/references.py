"""A case's reference as people type it back: one normaliser for every place that takes one.

References are eight symbols shown as ``K7M4-2Q9X``; read from a letter or over the phone they come
back as ``k7m4 2q9x``, ``K7M42Q9X`` or ``k7m4 - 2q9x``. The status sign-in, the family's API and staff
search all call :func:`normalise_reference`, so one typing is never accepted in one place and refused
in another.
"""

from __future__ import annotations

import secrets

REFERENCE_GROUP = 4
REFERENCE_LENGTH = 2 * REFERENCE_GROUP
# No 0/O, 1/I/L, U: a reference read aloud over the phone stays unambiguous.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """A random reference such as ``K7M4-2Q9X``, for a case that did not come through intake (one staff recorded)."""
    raw = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"{raw[:REFERENCE_GROUP]}-{raw[REFERENCE_GROUP:]}"


def normalise_reference(typed: str) -> str:
    """``' k7m4 2q9x '`` → ``'K7M4-2Q9X'``: upper case, spaces and dashes dropped, the dash put back.

    Anything that is not eight letters and digits once spaces and dashes are gone is returned upper-cased
    and without them, so it simply matches no reference (the caller's wrong-code path, not an error).
    """
    raw = "".join(ch for ch in typed.upper() if not ch.isspace() and ch not in "-‐‑‒–—")
    if len(raw) == REFERENCE_LENGTH and raw.isalnum():
        return f"{raw[:REFERENCE_GROUP]}-{raw[REFERENCE_GROUP:]}"
    return raw


# The symbols a reference is made of (intake draws them): no 0, 1, I, L, O or U, nothing that reads as another.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def is_reference(normalised: str) -> bool:
    """Whether ``normalised`` (what :func:`normalise_reference` gave) has the shape of a reference: staff search
    tells a reference from a phone number by it (a Finnish number has a 0 or a 1, or starts with +)."""
    groups = normalised.split("-")
    return (len(groups) == 2 and all(len(g) == REFERENCE_GROUP for g in groups)
            and all(ch in REFERENCE_ALPHABET for g in groups for ch in g))
