"""News pages: the coordinators broadcast and list it (404 for anyone else); an agent reads theirs by the link
mailed to them and may unsubscribe there."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from services.network import news
from services.network.coordinators import CoordinatorDep
from services.network.deps import NetworkRuntimeDep
from services.network.i18n import pick_lang, t
from services.network.web import WRITES_GUARDED, render
from shared.app import ConnDep, unit_of_work
from shared.collation import sort_key
from shared.errors import NotFound
from shared.network_events import SECTORS, THEMES, Segment

router = APIRouter(include_in_schema=False, dependencies=WRITES_GUARDED)
NEWS_FIELDS = {"title_fi": "err_title", "title_sv": "err_title", "body_fi": "err_brief", "body_sv": "err_brief"}


class NewsForm(BaseModel):
    lang: str = ""
    title_fi: str = ""
    title_sv: str = ""
    body_fi: str = ""
    body_sv: str = ""
    municipalities: list[str] = []
    sectors: list[str] = []
    themes: list[str] = []
    languages: list[str] = []


async def _page(request: Request, runtime: Any, conn: Any, region_id: str, lang: str, values: dict[str, Any],
                errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    region = runtime.regions.by_id[region_id]
    key = sort_key(lang)
    municipalities = sorted(((m.id, m.name.get(lang)) for m in region.municipalities), key=lambda i: key(i[1]))
    return render(request, "news.html", lang, status, region=region, values=values, errors=errors or {},
                  items=await news.listing(conn, region_id), municipalities=municipalities,
                  sector_items=[(s, t(f"sector_{s}", lang)) for s in SECTORS],
                  theme_items=[(th, t(f"theme_{th}", lang)) for th in THEMES],
                  language_items=[(c, t(f"language_{c}", lang)) for c in ("fi", "sv", "en")])


@router.get("/news")
async def news_list(request: Request, who: CoordinatorDep, conn: ConnDep, runtime: NetworkRuntimeDep,
                    lang: str | None = None) -> HTMLResponse:
    return await _page(request, runtime, conn, who.region, pick_lang(lang, [who.language]), NewsForm().model_dump())


@router.post("/news")
async def news_publish(request: Request, who: CoordinatorDep, runtime: NetworkRuntimeDep,
                       form: Annotated[NewsForm, Form()]) -> Response:
    lang = pick_lang(form.lang, [who.language])
    known = {m.id for m in runtime.regions.by_id[who.region].municipalities}
    try:
        body = news.NewNews.model_validate({
            "title_fi": form.title_fi, "title_sv": form.title_sv, "body_fi": form.body_fi, "body_sv": form.body_sv,
            "segment": Segment.model_validate({"municipalities": [m for m in form.municipalities if m in known],
                                               "sectors": form.sectors, "themes": form.themes,
                                               "languages": form.languages})})
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "title_fi"
            errors.setdefault(field, t(NEWS_FIELDS.get(field, "err_invalid"), lang))
        async with runtime.db().acquire() as conn:
            return await _page(request, runtime, conn, who.region, lang, form.model_dump(), errors, status=422)
    async with unit_of_work(runtime) as uow:
        await news.publish(uow=uow, settings=runtime.settings, region=who.region, by=who.account_id, news=body)
    return RedirectResponse(f"/news?lang={lang}", status_code=303)


@router.get("/n/{token}")
async def agent_news(request: Request, token: str, conn: ConnDep, lang: str | None = None) -> HTMLResponse:
    chosen = pick_lang(lang, [])
    try:
        item = await news.agent_news(conn, token)
    except NotFound:
        return render(request, "info.html", chosen, 404, title=t("link_invalid_title", chosen),
                      paragraphs=[t("news_link_invalid", chosen)])
    return render(request, "agent_news.html", chosen, token=token, item=item)


@router.post("/n/{token}")
async def agent_unsubscribe(request: Request, token: str, runtime: NetworkRuntimeDep,
                            lang: Annotated[str, Form()] = "") -> Response:
    chosen = pick_lang(lang, [])
    async with unit_of_work(runtime) as uow:
        try:
            await news.unsubscribe(uow=uow, settings=runtime.settings, token=token)
        except NotFound:
            return render(request, "info.html", chosen, 404, title=t("link_invalid_title", chosen),
                          paragraphs=[t("news_link_invalid", chosen)])
    return RedirectResponse(f"/n/{token}?lang={chosen}", status_code=303)
