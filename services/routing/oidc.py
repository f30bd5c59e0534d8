"""OpenID Connect sign-in for a region's own identity provider (Authlib), switched on by configuration.

The provider proves who the person is; what they may do still comes from the local account of the
same username (role, region, team), which an admin adds. Nobody gets in only by being known to the
provider.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware

from services.routing import service
from services.routing.i18n import t
from services.routing.pages.render import render
from services.routing.settings import RoutingSettings
from services.routing.web import set_session_cookie
from shared.app import ConnDep
from shared.i18n import pick_lang


def install_oidc(app: FastAPI, settings: RoutingSettings) -> None:
    """Add ``/login/oidc`` and its callback when ``APUA_OIDC_ISSUER`` is set; otherwise nothing."""
    if not settings.oidc_issuer:
        return
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    provider = oauth.register(
        "region", client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
        server_metadata_url=f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid profile"},
    )
    # Holds only the OIDC state and nonce during the round trip to the provider.
    app.add_middleware(SessionMiddleware, secret_key=settings.oidc_state_secret, session_cookie="apua_oidc",
                       same_site="lax", https_only=settings.cookie_secure, max_age=600)
    router = APIRouter(include_in_schema=False)

    @router.get("/login/oidc")
    async def oidc_start(request: Request) -> Response:
        redirect: Response = await provider.authorize_redirect(request, str(request.url_for("oidc_callback")))
        return redirect

    @router.get("/login/oidc/callback", name="oidc_callback")
    async def oidc_callback(request: Request, conn: ConnDep) -> Response:
        token = await provider.authorize_access_token(request)
        claims = token.get("userinfo") or {}
        username = str(claims.get(settings.oidc_username_claim, ""))
        session_token = await service.sign_in_as(conn=conn, username=username)
        if session_token is None:
            # Known to the provider, but no active account here (never added, or disabled).
            lang = pick_lang(request.query_params.get("lang"), [])
            return render(request, "message.html", None, 403, lang=lang, title=t("oidc_no_account", lang),
                          body=t("oidc_no_account_body", lang))
        response = RedirectResponse("/", status_code=303)
        set_session_cookie(response, session_token, settings)
        return response

    app.include_router(router)
