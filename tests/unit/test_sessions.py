"""The session helpers every service uses: the stored digest of a token and the cookie's flags."""

from __future__ import annotations

import hashlib

from starlette.responses import Response

from shared.sessions import clear_session_cookie, set_session_cookie, token_digest


def test_only_the_sha256_of_a_token_is_stored() -> None:
    assert token_digest("abc") == hashlib.sha256(b"abc").digest()
    assert token_digest("abc") != token_digest("abd") and len(token_digest("x")) == 32


def test_the_session_cookie_is_httponly_with_the_chosen_samesite_and_secure() -> None:
    response = Response()
    set_session_cookie(response, "apua_x", "tok", max_age_s=3600, secure=True)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("apua_x=tok;")
    assert {"HttpOnly", "Max-Age=3600", "Path=/", "SameSite=lax", "Secure"} <= {p.strip() for p in cookie.split(";")}

    family = Response()
    set_session_cookie(family, "apua_status", "t2", max_age_s=900, secure=False, samesite="strict", path="/status")
    parts = {p.strip() for p in family.headers["set-cookie"].split(";")}
    assert {"HttpOnly", "Max-Age=900", "Path=/status", "SameSite=strict"} <= parts and "Secure" not in parts


def test_clearing_expires_the_cookie_on_its_path() -> None:
    response = Response()
    clear_session_cookie(response, "apua_status", path="/status")
    parts = {p.strip() for p in response.headers["set-cookie"].split(";")}
    assert "apua_status=\"\"" in parts and "Max-Age=0" in parts and "Path=/status" in parts
