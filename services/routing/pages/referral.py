"""The receiving service's page behind its signed link: no sign-in, the link is the key (referral_service.py).

GET shows which service the referral is for and asks the reader's name; nothing of the family is on it, so a mail
client that fetches links to preview them discloses nothing. POST ``/open`` discloses and logs; POST ``/answer``
records accept, decline or done.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError

from services.routing import referral_service
from services.routing.i18n import t
from services.routing.pages.render import render
from services.routing.referral_domain import Answer
from services.routing.web import RuntimeDep
from shared.app import ConnDep, UnitOfWorkDep
from shared.democlock import DemoTimeDep
from shared.errors import DomainError
from shared.i18n import LANG_NAMES, LANGS, pick_lang

router = APIRouter(include_in_schema=False)
ANSWER: TypeAdapter[Answer] = TypeAdapter(Answer)
# Answer fields as the form names them; an empty one is left out (its default, or 'missing').
FIELDS = ("answer", "reason", "better_service_id", "outcome")


def _links(token: str) -> list[tuple[str, str, str]]:
    """The language links: always to the link's first page (a form's answer cannot be fetched again)."""
    return [(code, LANG_NAMES[code], f"/referral/{token}?lang={code}") for code in LANGS]


def _show(request: Request, token: str, template: str, status: int = 200, **context: Any) -> Response:
    return render(request, template, None, status, lang_links=_links(token), token=token, **context)


def _lang(request: Request, form: Any = None) -> str:
    asked = str(form.get("lang", "")) if form is not None else request.query_params.get("lang")
    return pick_lang(asked, [])


def _refused(request: Request, token: str, lang: str, exc: DomainError) -> Response:
    title, body = (("referral_erased_title", "referral_erased") if isinstance(exc, referral_service.ReferralErased)
                   else ("referral_link_not_valid_title", "referral_link_not_valid"))
    return _show(request, token, "referral_message.html", exc.status_code, lang=lang, title=t(title, lang),
                 body=t(body, lang))


def _field_problem(exc: ValidationError) -> tuple[str, str]:
    """The first field the input got wrong, as the form names it, and the text key that says what to do."""
    error = exc.errors()[0]
    loc = [str(p) for p in error["loc"] if str(p) in (*FIELDS, "name")]
    name = loc[-1] if loc else ("better_service_id" if "better" in error["msg"] else "answer")
    return name, f"referral_field_{name}"


@router.get("/referral/{token}")
async def referral_page(request: Request, token: str, conn: ConnDep, runtime: RuntimeDep) -> Response:
    lang = _lang(request)
    try:
        page = await referral_service.peek(conn=conn, token=token, keyring=runtime.settings.keyring,
                                           regions=runtime.regions)
    except DomainError as exc:
        return _refused(request, token, lang, exc)
    return _show(request, token, "referral.html", lang=lang, page=page, opened=False)


@router.post("/referral/{token}/open")
async def open_referral(request: Request, token: str, uow: UnitOfWorkDep, runtime: RuntimeDep,
                        at: DemoTimeDep) -> Response:
    form = await request.form()
    lang = _lang(request, form)
    try:
        reader = referral_service.Reader(name=str(form.get("name", "")))
    except ValidationError:
        page = await _peek_or_none(request, token, uow.conn, runtime, at)
        if page is None:
            return _refused(request, token, lang, referral_service.LinkNotValid("not valid"))
        return _show(request, token, "referral.html", 422, lang=lang, page=page, opened=False,
                     error_field="name", error=t("referral_field_name", lang))
    try:
        page = await referral_service.open_referral(uow=uow, token=token, reader=reader,
                                                    keyring=runtime.settings.keyring, regions=runtime.regions,
                                                    topic_prefix=runtime.settings.topic_prefix, now=at)
    except DomainError as exc:
        return _refused(request, token, lang, exc)
    return _show(request, token, "referral.html", lang=lang, page=page, opened=True,
                 reader=reader.name)


async def _peek_or_none(request: Request, token: str, conn: Any, runtime: Any,
                        at: datetime | None = None) -> referral_service.ReferralPage | None:
    try:
        return await referral_service.peek(conn=conn, token=token, keyring=runtime.settings.keyring,
                                           regions=runtime.regions, now=at)
    except DomainError:
        return None


@router.post("/referral/{token}/answer")
async def answer_referral(request: Request, token: str, uow: UnitOfWorkDep, runtime: RuntimeDep,
                          at: DemoTimeDep) -> Response:
    form = await request.form()
    lang = _lang(request, form)
    page = await _peek_or_none(request, token, uow.conn, runtime, at)
    if page is None:
        return _refused(request, token, lang, referral_service.LinkNotValid("not valid"))
    try:
        reader = referral_service.Reader(name=str(form.get("name", "")))
        answer = ANSWER.validate_python({k: str(form[k]) for k in FIELDS if form.get(k)})
    except ValidationError as exc:
        field, key = _field_problem(exc)
        return _show(request, token, "referral.html", 422, lang=lang, page=page, opened=False,
                     error_field=field, error=t(key, lang))
    try:
        _, referral = await referral_service.answer_referral(
            uow=uow, token=token, reader=reader, answer=answer, keyring=runtime.settings.keyring,
            regions=runtime.regions, topic_prefix=runtime.settings.topic_prefix, now=at)
    except DomainError as exc:
        if isinstance(exc, referral_service.LinkNotValid | referral_service.ReferralErased):
            return _refused(request, token, lang, exc)
        problem = t("referral_already_answered", lang) if exc.status_code == 409 else t("referral_field_answer", lang)
        return _show(request, token, "referral.html", exc.status_code, lang=lang, page=page, opened=False,
                     error_field="answer", error=problem)
    return _show(request, token, "referral_message.html", lang=lang, title=t("referral_saved_title", lang),
                 body=t(f"referral_saved_{referral.status}", lang))
