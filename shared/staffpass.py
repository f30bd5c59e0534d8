"""The staff pass: how routing, which signs staff in, vouches for them to reporting.

Routing holds the accounts and sessions; reporting has no password of anyone. A signed-in
manager, coordinator or admin who opens the statistics gets a pass from routing: who they are,
their role and region, signed with a secret the two services share and valid for one minute.
Reporting checks the signature and the age, takes each pass only once, and opens a session of its
own. Revocation travels on the staff directory topic: a deactivated account's sessions end, and so do
those of a person who signed out of routing (the record's ``signed_out_at``). Reporting takes the role
and region from the directory, never from the pass, and refuses a pass whose region is not the account's.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import BaseModel, ConfigDict, ValidationError

# Known to everyone who reads this file: accepted only outside production.
DEVELOPMENT_PASS_SECRET = "pyyda-apua-development-only-staff-pass-secret"
PASS_MAX_AGE_S = 60
STATISTICS_ROLES = frozenset({"manager", "coordinator", "admin"})
_SALT = "apua.staff-pass.v1"


class StaffPass(BaseModel):
    model_config = ConfigDict(frozen=True)

    account_id: str
    role: str
    region: str
    language: str
    nonce: str
    # When the routing session that asked for this pass began: signing out of routing ends every
    # statistics session from a routing session that began before the sign-out.
    session_started: datetime


class InvalidPass(Exception):
    """The pass is forged, expired or malformed; the message says which."""


def issue_pass(secret: str, *, account_id: str, role: str, region: str, language: str,
               session_started: datetime) -> str:
    body = StaffPass(account_id=account_id, role=role, region=region, language=language,
                     nonce=secrets.token_urlsafe(16), session_started=session_started)
    return URLSafeTimedSerializer(secret, salt=_SALT).dumps(body.model_dump(mode="json"))


def read_pass(secret: str, token: str, max_age: int = PASS_MAX_AGE_S) -> StaffPass:
    try:
        data = URLSafeTimedSerializer(secret, salt=_SALT).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidPass("the pass has expired") from exc
    except BadSignature as exc:
        raise InvalidPass("the pass is not signed by routing") from exc
    try:
        return StaffPass.model_validate(data)
    except ValidationError as exc:
        raise InvalidPass("the pass is malformed") from exc
