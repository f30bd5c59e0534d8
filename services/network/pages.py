"""The recruitment's pages: the button, the form, the answer after sending, the closed page, the confirmation.

Server-rendered and complete without JavaScript.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from services.network import service
from services.network.deps import NetworkRuntime, NetworkRuntimeDep
from services.network.domain import Recruitment
from services.network.forms import JoinForm, parse_join
from services.network.i18n import long_date, pick_lang, t
from services.network.service import Recruiting, RecruitmentClosed, RecruitmentNotOpen
from services.network.web import HERE, WRITES_GUARDED, render
from shared.app import ConnDep, unit_of_work
from shared.businessdays import HELSINKI
from shared.collation import sort_key
from shared.errors import NotFound
from shared.http import framed_by_municipality
from shared.network_events import SECTORS, THEMES
from shared.regions import Municipality, Region

router = APIRouter(include_in_schema=False, dependencies=WRITES_GUARDED)


@router.get("/")
async def index(request: Request, runtime: NetworkRuntimeDep, lang: str | None = None) -> HTMLResponse:
    chosen = pick_lang(lang, [])
    key = sort_key(chosen)
    regions = [(r, sorted(((m.id, m.name.get(chosen)) for m in r.municipalities), key=lambda item: key(item[1])))
               for r in sorted(runtime.regions, key=lambda r: key(r.name.get(chosen)))]
    return render(request, "index.html", chosen, regions=regions)


@router.get("/join")
async def join_chosen(m: str = "", lang: str = "fi") -> RedirectResponse:
    """The index's choice of a municipality (a plain GET form, no JavaScript) leads to its form."""
    target = m if m.replace("-", "").isalnum() and len(m) <= 64 else ""
    return RedirectResponse(f"/join/{target}?lang={pick_lang(lang, [])}" if target else f"/?lang={lang[:2]}",
                            status_code=303)


@router.get("/button.js")
async def button_js() -> FileResponse:
    return FileResponse(HERE / "static" / "button.js", media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"})


def _place(runtime: NetworkRuntime, municipality_id: str) -> tuple[Region, Municipality]:
    return runtime.regions.find(municipality_id)


def _closed(request: Request, region: Region, municipality: Municipality, lang: str,
            closed_at: datetime) -> HTMLResponse:
    # The closing moment is the midnight after the last day.
    last_day = (closed_at.astimezone(HELSINKI) - timedelta(seconds=1)).date()
    page = render(request, "closed.html", lang, 410, region=region, municipality=municipality,
                  day=long_date(last_day, lang))
    return framed_by_municipality(page, municipality)


def _not_open(request: Request, region: Region, municipality: Municipality, lang: str,
              recruiting: Recruiting | None) -> HTMLResponse:
    opens = (long_date(recruiting.campaign.opens_at.astimezone(HELSINKI).date(), lang)
             if recruiting is not None else None)
    page = render(request, "info.html", lang, 409, region=region, municipality=municipality,
                  title=t("not_open_title", lang),
                  paragraphs=[t("opens_on", lang, day=opens) if opens else t("not_open_body", lang)])
    return framed_by_municipality(page, municipality)


def _form(request: Request, region: Region, municipality: Municipality, lang: str, recruiting: Recruiting,
          values: dict[str, object], consent_version: str, errors: dict[str, str] | None = None,
          status: int = 200) -> HTMLResponse:
    key = sort_key(lang)
    municipalities = sorted(((m.id, m.name.get(lang)) for m in region.municipalities), key=lambda i: key(i[1]))
    page = render(request, "join.html", lang, status, region=region, municipality=municipality, values=values,
                  errors=errors or {}, sectors=SECTORS, themes=THEMES, municipalities=municipalities,
                  closes=long_date(recruiting.closing_day, lang),
                  consent_version=consent_version)
    return framed_by_municipality(page, municipality)


@router.get("/join/{municipality_id}")
async def join_page(request: Request, municipality_id: str, runtime: NetworkRuntimeDep, conn: ConnDep,
                    lang: str | None = None) -> Response:
    region, municipality = _place(runtime, municipality_id)
    if municipality_id != municipality.id:
        return RedirectResponse(f"/join/{municipality.id}?lang={pick_lang(lang, municipality.languages)}", 301)
    chosen = pick_lang(lang, municipality.languages)
    recruiting = await service.recruiting(conn=conn, region=region.id, at=datetime.now(UTC))
    if recruiting is None or recruiting.state is Recruitment.NOT_YET:
        return _not_open(request, region, municipality, chosen, recruiting)
    if recruiting.state is Recruitment.CLOSED:
        return _closed(request, region, municipality, chosen, recruiting.campaign.closes_at)
    values = JoinForm(municipality=municipality.id).values()
    return _form(request, region, municipality, chosen, recruiting, values, runtime.settings.consent_version)


@router.post("/join/{municipality_id}")
async def join_submit(request: Request, municipality_id: str, form: Annotated[JoinForm, Form()],
                      runtime: NetworkRuntimeDep) -> Response:
    region, municipality = _place(runtime, municipality_id)
    lang = pick_lang(form.lang, municipality.languages)
    async with unit_of_work(runtime) as uow:
        recruiting = await service.recruiting(conn=uow.conn, region=region.id, at=datetime.now(UTC))
        if recruiting is None or recruiting.state is Recruitment.NOT_YET:
            return _not_open(request, region, municipality, lang, recruiting)
        application, errors = parse_join(form, lang)
        if application is None:
            return _form(request, region, municipality, lang, recruiting, form.values(),
                         runtime.settings.consent_version, errors, status=422)
        try:
            applied, created = await service.apply(uow=uow, application=application, settings=runtime.settings,
                                                   regions=runtime.regions)
        except RecruitmentClosed:
            # The moment that counts is the one the application was stored at, in its own transaction.
            return _closed(request, region, municipality, lang, recruiting.campaign.closes_at)
        except RecruitmentNotOpen:
            return _not_open(request, region, municipality, lang, recruiting)
        except service.InvalidApplication:
            return _form(request, region, municipality, lang, recruiting, form.values(),
                         runtime.settings.consent_version, {"municipality": t("err_municipality", lang)},
                         status=422)
    page = render(request, "applied.html", lang, 201 if created else 200, region=region, municipality=municipality,
                  confirm_by=long_date(applied.confirm_by.astimezone(HELSINKI).date(), lang)
                  if applied.confirm_by else None)
    return framed_by_municipality(page, municipality)


@router.get("/confirm")
async def confirm_page(request: Request, token: str = "", lang: str | None = None) -> HTMLResponse:
    """The link in the mail shows a button: a mail scanner that opens links must not confirm for the person."""
    chosen = pick_lang(lang, [])
    return render(request, "confirm.html", chosen, token=token[:100])


@router.post("/confirm")
async def confirm_submit(request: Request, runtime: NetworkRuntimeDep, token: Annotated[str, Form()] = "",
                         lang: Annotated[str, Form()] = "") -> HTMLResponse:
    chosen = pick_lang(lang, [])
    async with unit_of_work(runtime) as uow:
        try:
            await service.confirm(uow=uow, settings=runtime.settings, token=token)
        except NotFound:
            return render(request, "info.html", chosen, 404, title=t("link_invalid_title", chosen),
                          paragraphs=[t("link_invalid_body", chosen)])
    return render(request, "info.html", chosen, title=t("confirmed_title", chosen),
                  paragraphs=[t("confirmed_body", chosen)])
