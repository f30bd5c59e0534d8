"""Tasks' pages: the coordinators publish and follow them (404 for anyone else); an agent opens theirs by the link
mailed to them, accepts it and reports back."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from services.network import tasks
from services.network.coordinators import CoordinatorDep
from services.network.deps import NetworkRuntimeDep
from services.network.i18n import long_date, pick_lang, t
from services.network.web import WRITES_GUARDED, render
from shared.app import ConnDep, unit_of_work
from shared.collation import sort_key
from shared.errors import Conflict, NotFound
from shared.network_events import SECTORS, THEMES, Segment

router = APIRouter(include_in_schema=False, dependencies=WRITES_GUARDED)
TASK_FIELDS = {"title_fi": "err_title", "title_sv": "err_title", "brief_fi": "err_brief", "brief_sv": "err_brief",
               "due": "err_due", "segment": "err_invalid"}
REPORT_ERROR_KEYS = {"reached": "err_reached", "note": "err_note"}


class TaskForm(BaseModel):
    lang: str = ""
    title_fi: str = ""
    title_sv: str = ""
    brief_fi: str = ""
    brief_sv: str = ""
    due: str = ""
    municipalities: list[str] = []
    sectors: list[str] = []
    themes: list[str] = []
    languages: list[str] = []


def _form_page(request: Request, runtime: Any, region_id: str, lang: str, values: dict[str, Any],
               errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    region = runtime.regions.by_id[region_id]
    key = sort_key(lang)
    municipalities = sorted(((m.id, m.name.get(lang)) for m in region.municipalities), key=lambda i: key(i[1]))
    return render(request, "task_new.html", lang, status, region=region, values=values, errors=errors or {},
                  municipalities=municipalities, sector_items=[(s, t(f"sector_{s}", lang)) for s in SECTORS],
                  theme_items=[(th, t(f"theme_{th}", lang)) for th in THEMES],
                  language_items=[(c, t(f"language_{c}", lang)) for c in ("fi", "sv", "en")])


@router.get("/tasks")
async def task_list(request: Request, who: CoordinatorDep, conn: ConnDep, runtime: NetworkRuntimeDep,
                    lang: str | None = None) -> HTMLResponse:
    chosen = pick_lang(lang, [who.language])
    found = await tasks.completion(conn, who.region)
    return render(request, "tasks.html", chosen, region=runtime.regions.by_id[who.region], tasks=found,
                  due_text=lambda day: long_date(day, chosen))


@router.get("/tasks/new")
async def task_new(request: Request, who: CoordinatorDep, runtime: NetworkRuntimeDep,
                   lang: str | None = None) -> HTMLResponse:
    chosen = pick_lang(lang, [who.language])
    return _form_page(request, runtime, who.region, chosen, TaskForm().model_dump())


@router.post("/tasks")
async def task_publish(request: Request, who: CoordinatorDep, runtime: NetworkRuntimeDep,
                       form: Annotated[TaskForm, Form()]) -> Response:
    lang = pick_lang(form.lang, [who.language])
    region = runtime.regions.by_id[who.region]
    known = {m.id for m in region.municipalities}
    try:
        body = tasks.NewTask.model_validate({
            "title_fi": form.title_fi, "title_sv": form.title_sv, "brief_fi": form.brief_fi,
            "brief_sv": form.brief_sv, "due": form.due or None,
            "segment": Segment.model_validate({"municipalities": [m for m in form.municipalities if m in known],
                                               "sectors": form.sectors, "themes": form.themes,
                                               "languages": form.languages})})
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "segment"
            errors.setdefault(field, t(TASK_FIELDS.get(field, "err_invalid"), lang))
        return _form_page(request, runtime, who.region, lang, form.model_dump(), errors, status=422)
    async with unit_of_work(runtime) as uow:
        task_id = await tasks.publish(uow=uow, settings=runtime.settings, region=who.region, by=who.account_id,
                                      task=body)
    return RedirectResponse(f"/tasks/{task_id}?lang={lang}", status_code=303)


@router.get("/tasks/{task_id}")
async def task_page(request: Request, task_id: uuid.UUID, who: CoordinatorDep, conn: ConnDep,
                    runtime: NetworkRuntimeDep, lang: str | None = None) -> HTMLResponse:
    chosen = pick_lang(lang, [who.language])
    found = next((task for task in await tasks.completion(conn, who.region) if task["task_id"] == task_id), None)
    if found is None:
        raise NotFound("no such task")
    region = runtime.regions.by_id[who.region]
    names = {m.id: m.name.get(chosen) for m in region.municipalities}
    return render(request, "task.html", chosen, region=region, task=found, names=names,
                  by_municipality=await tasks.completion_by(conn, task_id, who.region, "municipality"),
                  by_sector=await tasks.completion_by(conn, task_id, who.region, "sector"),
                  due_text=long_date(found["due"], chosen), sector_name=lambda s: t(f"sector_{s}", chosen))


@router.get("/t/{token}")
async def agent_task(request: Request, token: str, conn: ConnDep, lang: str | None = None,
                     done: str = "") -> HTMLResponse:
    chosen = pick_lang(lang, [])
    try:
        task = await tasks.agent_task(conn, token)
    except NotFound:
        return render(request, "info.html", chosen, 404, title=t("link_invalid_title", chosen),
                      paragraphs=[t("task_link_invalid", chosen)])
    return render(request, "agent_task.html", chosen, token=token, task=task, due_text=long_date(task.due, chosen),
                  flash=t("task_thanks", chosen) if done == "reported" else None, errors={})


@router.post("/t/{token}")
async def agent_task_act(request: Request, token: str, runtime: NetworkRuntimeDep,
                         action: Annotated[str, Form()] = "", lang: Annotated[str, Form()] = "",
                         reached: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "") -> Response:
    chosen = pick_lang(lang, [])
    async with unit_of_work(runtime) as uow:
        try:
            if action == "accept":
                await tasks.accept(uow=uow, settings=runtime.settings, token=token)
                return RedirectResponse(f"/t/{token}?lang={chosen}", status_code=303)
            try:
                body = tasks.Report.model_validate({"reached": reached.strip() or None, "note": note})
            except ValidationError as exc:
                field = str(exc.errors()[0]["loc"][0])
                message = REPORT_ERROR_KEYS.get(field, "err_invalid")
                task = await tasks.agent_task(uow.conn, token)
                return render(request, "agent_task.html", chosen, 422, token=token, task=task,
                              due_text=long_date(task.due, chosen), flash=None, values={"reached": reached,
                                                                                       "note": note},
                              errors={field: t(message, chosen)})
            await tasks.report(uow=uow, settings=runtime.settings, token=token, body=body)
        except NotFound:
            return render(request, "info.html", chosen, 404, title=t("link_invalid_title", chosen),
                          paragraphs=[t("task_link_invalid", chosen)])
        except Conflict:
            pass  # reported already: the page says so
    return RedirectResponse(f"/t/{token}?lang={chosen}&done=reported", status_code=303)
