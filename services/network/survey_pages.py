"""Surveys' pages: the coordinators write, publish and follow them, remind, and download the results as CSV or XLSX
(404 for anyone else); an agent answers once by the link mailed to them."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from openpyxl import Workbook
from pydantic import ValidationError

from services.network import surveys
from services.network.coordinators import CoordinatorDep
from services.network.deps import NetworkRuntimeDep
from services.network.i18n import long_date, pick_lang, t
from services.network.survey_rules import InvalidAnswer, NewSurvey, results
from services.network.web import WRITES_GUARDED, render
from shared.app import ConnDep, unit_of_work
from shared.collation import sort_key
from shared.downloads import attachment
from shared.errors import Conflict, NotFound
from shared.network_events import SECTORS, THEMES
from shared.spreadsheet import safe_row

router = APIRouter(include_in_schema=False, dependencies=WRITES_GUARDED)
QUESTION_SLOTS = 4
KINDS = ("single", "multiple", "scale", "number", "text")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _form_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {k: str(form.get(k, "")) for k in ("title_fi", "title_sv", "due", "anonymous")}
    for name in ("municipalities", "sectors", "themes", "languages"):
        values[name] = [str(v) for v in form.getlist(name)]
    values["questions"] = [{f: str(form.get(f"q{i}_{f}", "")) for f in
                            ("kind", "text_fi", "text_sv", "options_fi", "options_sv")} for i in range(QUESTION_SLOTS)]
    return values


async def _new_page(request: Request, runtime: Any, region_id: str, lang: str, values: dict[str, Any],
                    errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    region = runtime.regions.by_id[region_id]
    key = sort_key(lang)
    municipalities = sorted(((m.id, m.name.get(lang)) for m in region.municipalities), key=lambda i: key(i[1]))
    return render(request, "survey_new.html", lang, status, region=region, values=values, errors=errors or {},
                  municipalities=municipalities, kinds=KINDS, slots=range(QUESTION_SLOTS),
                  sector_items=[(s, t(f"sector_{s}", lang)) for s in SECTORS],
                  theme_items=[(th, t(f"theme_{th}", lang)) for th in THEMES],
                  language_items=[(c, t(f"language_{c}", lang)) for c in ("fi", "sv", "en")])


@router.get("/surveys")
async def survey_list(request: Request, who: CoordinatorDep, conn: ConnDep, runtime: NetworkRuntimeDep,
                      lang: str | None = None) -> HTMLResponse:
    chosen = pick_lang(lang, [who.language])
    return render(request, "surveys.html", chosen, region=runtime.regions.by_id[who.region],
                  items=await surveys.listing(conn, who.region), due_text=lambda day: long_date(day, chosen))


@router.get("/surveys/new")
async def survey_new(request: Request, who: CoordinatorDep, runtime: NetworkRuntimeDep,
                     lang: str | None = None) -> HTMLResponse:
    empty = {"title_fi": "", "title_sv": "", "due": "", "anonymous": "yes", "municipalities": [], "sectors": [],
             "themes": [], "languages": [], "questions": [dict.fromkeys(
                 ("kind", "text_fi", "text_sv", "options_fi", "options_sv"), "") for _ in range(QUESTION_SLOTS)]}
    return await _new_page(request, runtime, who.region, pick_lang(lang, [who.language]), empty)


@router.post("/surveys")
async def survey_publish(request: Request, who: CoordinatorDep, runtime: NetworkRuntimeDep) -> Response:
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [who.language])
    values = _form_values(form)
    known = {m.id for m in runtime.regions.by_id[who.region].municipalities}
    questions = [{"kind": q["kind"], "text_fi": q["text_fi"].strip(), "text_sv": q["text_sv"].strip(),
                  "options_fi": _lines(q["options_fi"]), "options_sv": _lines(q["options_sv"])}
                 for q in values["questions"] if q["kind"] or q["text_fi"].strip() or q["text_sv"].strip()]
    try:
        body = NewSurvey.model_validate({
            "title_fi": values["title_fi"].strip(), "title_sv": values["title_sv"].strip(),
            "anonymous": values["anonymous"] != "no", "due": values["due"] or None, "questions": questions,
            "segment": {"municipalities": [m for m in values["municipalities"] if m in known],
                        "sectors": values["sectors"], "themes": values["themes"], "languages": values["languages"]}})
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else "questions"
        keys = {"title_fi": "err_title", "title_sv": "err_title", "due": "err_due"}
        return await _new_page(request, runtime, who.region, lang, values,
                               {field: t(keys.get(field, "err_questions"), lang)}, status=422)
    async with unit_of_work(runtime) as uow:
        survey_id = await surveys.publish(uow=uow, settings=runtime.settings, region=who.region, by=who.account_id,
                                          survey=body)
    return RedirectResponse(f"/surveys/{survey_id}?lang={lang}", status_code=303)


@router.get("/surveys/{survey_id}")
async def survey_page(request: Request, survey_id: uuid.UUID, who: CoordinatorDep, conn: ConnDep,
                      runtime: NetworkRuntimeDep, lang: str | None = None, reminded: int | None = None) -> HTMLResponse:
    chosen = pick_lang(lang, [who.language])
    found = await surveys.survey_of(conn, survey_id, who.region, runtime.settings.keyring)
    return render(request, "survey.html", chosen, region=runtime.regions.by_id[who.region], survey=found,
                  items=results(found["questions"], found["answers"], chosen), due_text=long_date(found["due"], chosen),
                  reminded=reminded)


@router.post("/surveys/{survey_id}/remind")
async def survey_remind(survey_id: uuid.UUID, who: CoordinatorDep, runtime: NetworkRuntimeDep) -> Response:
    async with unit_of_work(runtime) as uow:
        count = await surveys.remind(uow=uow, settings=runtime.settings, survey_id=survey_id, region=who.region)
    return RedirectResponse(f"/surveys/{survey_id}?lang={who.language}&reminded={count}", status_code=303)


def _rows(found: dict[str, Any], lang: str) -> list[list[Any]]:
    rows: list[list[Any]] = [[t("survey_question", lang), t("survey_answer", lang), t("survey_count", lang)]]
    for item in results(found["questions"], found["answers"], lang):
        for label, count in item["rows"]:
            rows.append([item["question"], label, count])
        if "mean" in item:
            rows.append([item["question"], t("survey_mean", lang), item["mean"]])
        rows.extend([item["question"], text, ""] for text in item["texts"])
    return [safe_row(row) for row in rows]


@router.get("/surveys/{survey_id}/results.csv")
async def survey_csv(survey_id: uuid.UUID, who: CoordinatorDep, conn: ConnDep, runtime: NetworkRuntimeDep,
                     lang: str | None = None) -> Response:
    chosen = pick_lang(lang, [who.language])
    out = io.StringIO()
    found = await surveys.survey_of(conn, survey_id, who.region, runtime.settings.keyring)
    csv.writer(out).writerows(_rows(found, chosen))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=attachment(f"survey-{survey_id}.csv"))


@router.get("/surveys/{survey_id}/results.xlsx")
async def survey_xlsx(survey_id: uuid.UUID, who: CoordinatorDep, conn: ConnDep, runtime: NetworkRuntimeDep,
                      lang: str | None = None) -> Response:
    chosen = pick_lang(lang, [who.language])
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in _rows(await surveys.survey_of(conn, survey_id, who.region, runtime.settings.keyring), chosen):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return Response(out.getvalue(), headers=attachment(f"survey-{survey_id}.xlsx"),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _answer_page(request: Request, lang: str, token: str, inv: surveys.Invitation, status: int = 200,
                 error: int | None = None, flash: str | None = None) -> HTMLResponse:
    questions = [{"index": i, "kind": q.kind, "text": q.text_sv if inv.swedish else q.text_fi,
                  "options": list(q.options_sv if inv.swedish else q.options_fi)} for i, q in enumerate(inv.questions)]
    return render(request, "agent_survey.html", lang, status, token=token, inv=inv, questions=questions, error=error,
                  flash=flash, errors={f"a{error}": t("err_answer", lang)} if error is not None else {},
                  field_labels={f"a{q['index']}": q["text"] for q in questions})


@router.get("/s/{token}")
async def agent_survey(request: Request, token: str, conn: ConnDep, lang: str | None = None,
                       done: str = "") -> HTMLResponse:
    chosen = pick_lang(lang, [])
    try:
        inv = await surveys.invitation(conn, token)
    except NotFound:
        return render(request, "info.html", chosen, 404, title=t("link_invalid_title", chosen),
                      paragraphs=[t("survey_link_invalid", chosen)])
    return _answer_page(request, chosen, token, inv, flash=t("survey_thanks", chosen) if done else None)


@router.post("/s/{token}")
async def agent_answer(request: Request, token: str, runtime: NetworkRuntimeDep) -> Response:
    form = await request.form()
    chosen = pick_lang(str(form.get("lang", "")), [])
    given: dict[str, Any] = {}
    for name in form:
        if name.startswith("a") and name[1:].isdigit():
            values = [str(v) for v in form.getlist(name)]
            given[name[1:]] = values if len(values) > 1 else values[0]
    async with unit_of_work(runtime) as uow:
        try:
            await surveys.answer(uow=uow, settings=runtime.settings, token=token, given=given)
        except NotFound:
            return render(request, "info.html", chosen, 404, title=t("link_invalid_title", chosen),
                          paragraphs=[t("survey_link_invalid", chosen)])
        except InvalidAnswer as exc:
            return _answer_page(request, chosen, token, await surveys.invitation(uow.conn, token), 422, exc.index)
        except Conflict:
            pass  # answered already: the page says so
    return RedirectResponse(f"/s/{token}?lang={chosen}&done=1", status_code=303)

