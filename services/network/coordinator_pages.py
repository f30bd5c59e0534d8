"""The network coordinators' pages and API: in through routing's pass, then the registry. Without a coordinator's
session every one of them answers 404: case staff, and anyone else, find nothing here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.network import queries
from services.network.coordinators import (
    COOKIE,
    CSRF_FIELD,
    Coordinator,
    CoordinatorDep,
    FormRefused,
    accept_pass,
    end_session,
    find_coordinator,
)
from services.network.deps import NetworkRuntimeDep
from services.network.i18n import pick_lang, t
from services.network.web import WRITES_GUARDED, render
from shared.app import ConnDep
from shared.collation import sort_key
from shared.http import same_token
from shared.network_events import SECTORS, THEMES
from shared.sessions import clear_session_cookie, set_session_cookie

router = APIRouter(dependencies=WRITES_GUARDED)


@router.get("/auth/pass", include_in_schema=False)
async def take_pass(request: Request, runtime: NetworkRuntimeDep, conn: ConnDep, token: str = "") -> Response:
    """Where routing sends a network coordinator with their pass. A pass opened from another site's page is refused
    (login CSRF: an attacker's own pass would sign the browser in as the attacker); routing's redirect comes from
    the staff pages of the same site."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        shown = pick_lang(request.query_params.get("lang"), [])
        return render(request, "info.html", shown, 403, title=t("form_refused_title", shown),
                      paragraphs=[t("pass_cross_site_body", shown)])
    session, lang = await accept_pass(conn, secret=runtime.settings.staff_pass_secret, token=token,
                                      hours=runtime.settings.session_hours, regions=set(runtime.regions.by_id))
    response = RedirectResponse(f"/registry?lang={pick_lang(lang, [])}", status_code=303)
    set_session_cookie(response, COOKIE, session, max_age_s=runtime.settings.session_hours * 3600,
                       secure=runtime.settings.cookie_secure)
    return response


@router.post("/auth/logout", include_in_schema=False)
async def logout(request: Request, conn: ConnDep) -> RedirectResponse:
    """Ends the session; with a live session only from its own page (the form's token), so no other site's form
    signs a coordinator out."""
    token = request.cookies.get(COOKIE)
    who = await find_coordinator(conn, token)
    if who is not None:
        form = await request.form()
        sent = form.get(CSRF_FIELD)
        if not same_token(sent if isinstance(sent, str) else None, who.csrf):
            raise FormRefused("the form did not carry this session's token", language=who.language)
    await end_session(conn, token)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, COOKIE)
    return response


def _filters(status: str, municipality: str, sector: str, theme: str, language: str) -> queries.Filters:
    """Only known values filter; anything else is 'all' (the form offers nothing else)."""
    return queries.Filters(status=status if status in queries.STATUSES else None,
                           municipality=municipality or None, sector=sector if sector in SECTORS else None,
                           theme=theme if theme in THEMES else None,
                           language=language if language in ("fi", "sv", "en") else None)


async def _registry(runtime: Any, conn: Any, who: Coordinator, filters: queries.Filters) -> queries.Registry:
    region = runtime.regions.by_id[who.region]
    return await queries.registry(conn, region=region.id, municipalities=[m.id for m in region.municipalities],
                                  filters=filters, keyring=runtime.settings.keyring)


@router.get("/registry", include_in_schema=False)
async def registry_page(request: Request, who: CoordinatorDep, runtime: NetworkRuntimeDep, conn: ConnDep,
                        lang: str | None = None, status: str = "", municipality: str = "", sector: str = "",
                        theme: str = "", language: str = "") -> HTMLResponse:
    chosen = pick_lang(lang, [who.language])
    filters = _filters(status, municipality, sector, theme, language)
    found = await _registry(runtime, conn, who, filters)
    region = runtime.regions.by_id[who.region]
    key = sort_key(chosen)
    names = {m.id: m.name.get(chosen) for m in region.municipalities}
    municipalities = sorted(names.items(), key=lambda item: key(item[1]))
    return render(request, "registry.html", chosen, region=region, found=found, filters=filters,
                  municipalities=municipalities, names=names, statuses=queries.STATUSES, sectors=SECTORS,
                  themes=THEMES)


@router.get("/api/v1/registry", tags=["network"], summary="The region's agents: counts, and the chosen agents")
async def registry_api(who: CoordinatorDep, runtime: NetworkRuntimeDep, conn: ConnDep, status: str = "",
                       municipality: str = "", sector: str = "", theme: str = "",
                       language: str = "") -> dict[str, Any]:
    found = await _registry(runtime, conn, who, _filters(status, municipality, sector, theme, language))
    return {"region": who.region, "by_status": found.by_status, "by_municipality": found.by_municipality,
            "by_sector": found.by_sector, "by_theme": found.by_theme, "by_language": found.by_language,
            "municipalities_without_agent": found.without_agent,
            "agents": [{**a, "agent_id": str(a["agent_id"])} for a in found.agents]}
