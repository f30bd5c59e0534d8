"""OpenID Connect sign-in against a real (small) OpenID provider served on loopback.

The provider below speaks discovery, authorization code, token and JWKS, and signs RS256 ID
tokens with joserfc; it signs in whoever it is told to, as a region's identity provider would
after its own authentication.
"""

from __future__ import annotations

import secrets
import time
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey

from deploy.local.infra import free_port
from tests.support import APPS, LiveServer, running, settings_for, staff

pytestmark = pytest.mark.integration
CLIENT_ID, CLIENT_SECRET = "pyyda-apua-routing", "test-client-secret"


def identity_provider(port: int, username: str) -> FastAPI:
    issuer = f"http://127.0.0.1:{port}"
    key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
    codes: dict[str, dict[str, str]] = {}
    idp = FastAPI()

    @idp.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, object]:
        return {"issuer": issuer, "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token", "jwks_uri": f"{issuer}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"]}

    @idp.get("/jwks")
    async def jwks() -> dict[str, object]:
        return {"keys": [key.as_dict(private=False)]}

    @idp.get("/authorize")
    async def authorize(request: Request) -> RedirectResponse:
        q = request.query_params
        assert q["client_id"] == CLIENT_ID and q["response_type"] == "code"
        code = secrets.token_urlsafe(16)
        codes[code] = {"nonce": q.get("nonce", ""), "redirect_uri": q["redirect_uri"]}
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}")

    @idp.post("/token")
    async def token(request: Request, code: str = Form(), redirect_uri: str = Form()) -> dict[str, object]:
        grant = codes.pop(code)
        assert grant["redirect_uri"] == redirect_uri
        now = int(time.time())
        claims = {"iss": issuer, "aud": CLIENT_ID, "sub": f"sub-{username}", "preferred_username": username,
                  "iat": now, "exp": now + 300, "nonce": grant["nonce"]}
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)
        return {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                "id_token": id_token}

    return idp


async def sign_in_through(routing: httpx.AsyncClient) -> httpx.Response:
    start = await routing.get("/login/oidc")
    assert start.status_code == 302
    async with httpx.AsyncClient() as browser:
        at_provider = await browser.get(start.headers["location"])
    assert at_provider.status_code == 307
    back = urlparse(at_provider.headers["location"])
    return await routing.get(f"{back.path}?{back.query}")


async def test_sign_in_with_the_regions_identity_provider(postgres, kafka, prefix):
    port = free_port()
    async with LiveServer(identity_provider(port, "tuula"), port):
        settings = settings_for("routing", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap,
                                oidc_issuer=f"http://127.0.0.1:{port}", oidc_client_id=CLIENT_ID,
                                oidc_client_secret=CLIENT_SECRET)
        app = APPS["routing"](settings)
        async with running(app) as routing:
            login = await routing.get("/login")
            assert 'href="/login/oidc"' in login.text
            refused = await sign_in_through(routing)
            assert refused.status_code == 403  # known to the provider, but no account here
            await staff(routing, app, username="tuula")
            routing.cookies.clear()
            done = await sign_in_through(routing)
            assert done.status_code == 303 and "apua_staff" in done.cookies
            assert (await routing.get("/api/v1/cases")).status_code == 200
            assert parse_qs(urlparse(str(done.headers["location"])).query) == {}
            # A disabled account: the provider still vouches for the person, routing refuses them.
            from services.routing.account_admin import Directory, set_active

            async with app.state.runtime.pool.acquire() as conn:
                await set_active(conn, account_id="tuula", region="varsinais-suomi", active=False, by="admin",
                                 directory=Directory(keyring=settings.keyring, topic_prefix=settings.topic_prefix))
            assert (await routing.get("/api/v1/cases")).status_code == 401
            routing.cookies.clear()
            assert (await sign_in_through(routing)).status_code == 403


async def test_without_an_issuer_there_is_no_oidc(postgres, kafka, prefix):
    app = APPS["routing"](settings_for("routing", prefix=prefix, dsn=postgres.dsn, bootstrap=kafka.bootstrap))
    async with running(app) as routing:
        assert (await routing.get("/login/oidc")).status_code == 404
        assert "/login/oidc" not in (await routing.get("/login")).text
