"""The agent's own pages behind their personal link (no password): the profile, pausing, coming back, leaving.

The link is the key: it is in the path, the pages are never cached and send no referrer (shared/http.py), and an
unknown link and one of an agent who left answer alike.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from services.network import agent_service
from services.network.deps import NetworkRuntime, NetworkRuntimeDep
from services.network.forms import FIELD_ERROR_KEYS
from services.network.i18n import pick_lang, t
from services.network.models import Profile
from services.network.service import InvalidApplication
from services.network.web import WRITES_GUARDED, render
from shared.app import ConnDep, unit_of_work
from shared.collation import sort_key
from shared.db import Conn
from shared.errors import Conflict, NotFound
from shared.network_events import SECTORS, THEMES

router = APIRouter(include_in_schema=False, dependencies=WRITES_GUARDED)
FLASH_KEYS = {"saved": "me_saved", "paused": "me_paused_flash", "back": "me_back_flash"}


class ProfileForm(BaseModel):
    """The profile form as the browser posts it."""

    lang: str = ""
    municipality: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""
    organisation: str = ""
    sector: str = ""
    themes: list[str] = []
    languages: list[str] = []


def _invalid(request: Request, lang: str) -> HTMLResponse:
    return render(request, "info.html", lang, 404, title=t("link_invalid_title", lang),
                  paragraphs=[t("me_link_invalid", lang)])


async def _page(request: Request, runtime: NetworkRuntime, conn: Conn, token: str, lang: str, *,
                errors: dict[str, str] | None = None, values: dict[str, Any] | None = None, status: int = 200,
                flash: str | None = None) -> HTMLResponse:
    agent = await agent_service.view(conn=conn, settings=runtime.settings, token=token)
    region = runtime.regions.by_id[agent.region]
    key = sort_key(lang)
    municipalities = sorted(((m.id, m.name.get(lang)) for m in region.municipalities), key=lambda i: key(i[1]))
    return render(request, "me.html", lang, status, region=region, token=token, status_now=agent.status,
                  values=values or agent.profile, errors=errors or {}, sectors=SECTORS, themes=THEMES,
                  municipalities=municipalities, flash=flash)


@router.get("/me/{token}")
async def me(request: Request, token: str, runtime: NetworkRuntimeDep, conn: ConnDep, lang: str | None = None,
             done: str = "") -> Response:
    chosen = pick_lang(lang, [])
    try:
        return await _page(request, runtime, conn, token, chosen,
                           flash=t(FLASH_KEYS[done], chosen) if done in FLASH_KEYS else None)
    except NotFound:
        return _invalid(request, chosen)


@router.get("/me/{token}/leave")
async def leave_page(request: Request, token: str, runtime: NetworkRuntimeDep, conn: ConnDep,
                     lang: str | None = None) -> HTMLResponse:
    chosen = pick_lang(lang, [])
    try:
        await agent_service.view(conn=conn, settings=runtime.settings, token=token)
    except NotFound:
        return _invalid(request, chosen)
    return render(request, "leave.html", chosen, token=token)


@router.get("/me/{token}/profile")
async def profile_again(token: str, lang: str | None = None) -> RedirectResponse:
    """The language links of a profile form shown with its errors lead back to the profile."""
    return RedirectResponse(f"/me/{token}?lang={pick_lang(lang, [])}", status_code=303)


@router.post("/me/{token}/profile")
async def save_profile(request: Request, token: str, form: Annotated[ProfileForm, Form()],
                       runtime: NetworkRuntimeDep) -> Response:
    lang = pick_lang(form.lang, [])
    values = form.model_dump()
    try:
        profile = Profile.model_validate({**{k: v for k, v in values.items() if k != "lang"}, "language": lang,
                                          "phone": form.phone.strip() or None, "sector": form.sector or None})
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "name"
            errors.setdefault(field, t(FIELD_ERROR_KEYS.get(field, "err_invalid"), lang))
        async with runtime.db().acquire() as conn:
            try:
                return await _page(request, runtime, conn, token, lang, errors=errors, values=values, status=422)
            except NotFound:
                return _invalid(request, lang)
    async with unit_of_work(runtime) as uow:
        try:
            await agent_service.change_profile(uow=uow, settings=runtime.settings, regions=runtime.regions,
                                               token=token, profile=profile)
        except NotFound:
            return _invalid(request, lang)
        except InvalidApplication:  # a municipality of no region here, or of another region
            try:
                return await _page(request, runtime, uow.conn, token, lang, values=values, status=422,
                                   errors={"municipality": t("err_municipality", lang)})
            except NotFound:
                return _invalid(request, lang)
    return RedirectResponse(f"/me/{token}?lang={lang}&done=saved", status_code=303)


@router.post("/me/{token}/status")
async def change_status(request: Request, token: str, runtime: NetworkRuntimeDep,
                        action: Annotated[str, Form()] = "", lang: Annotated[str, Form()] = "") -> Response:
    """``pause``, ``back`` or ``leave`` (the last after the page asked again: ``leave-confirmed``)."""
    chosen = pick_lang(lang, [])
    if action == "leave":  # asked again on a page of its own, which its language links can reach
        return RedirectResponse(f"/me/{token}/leave?lang={chosen}", status_code=303)
    status = {"pause": "paused", "back": "confirmed", "leave-confirmed": "left"}.get(action)
    if status is None:
        return _invalid(request, chosen)
    async with unit_of_work(runtime) as uow:
        try:
            await agent_service.change_status(uow=uow, settings=runtime.settings, token=token,
                                              status=status)  # type: ignore[arg-type]
        except NotFound:
            return _invalid(request, chosen)
        except Conflict:
            return RedirectResponse(f"/me/{token}?lang={chosen}", status_code=303)
    if status == "left":
        return render(request, "info.html", chosen, title=t("left_title", chosen), paragraphs=[t("left_body", chosen)])
    done = "paused" if status == "paused" else "back"
    return RedirectResponse(f"/me/{token}?lang={chosen}&done={done}", status_code=303)
