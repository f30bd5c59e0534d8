"""A case with its whole history, and every action on it as a form."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from services.routing import directory_picker, link_queries, queries, service, template_service
from services.routing.absences import absent_today
from services.routing.accounts import StaffSession
from services.routing.callback_plan import error_text_key
from services.routing.decisions import AssigneeAbsent, is_command_name
from services.routing.directory import helsinki_today
from services.routing.i18n import t
from services.routing.link_commands import UnknownReference
from services.routing.links import LinkRefused
from services.routing.pages.callback_view import CallSection, call_section, span_of
from services.routing.pages.render import TOPICS, page_lang, render
from services.routing.queries import CaseView
from services.routing.reply_templates import by_language
from services.routing.settings import RoutingSettings
from services.routing.web import QueuePage, RuntimeDep
from shared.app import UnitOfWork, UnitOfWorkDep
from shared.businessdays import HELSINKI, add_business_days
from shared.errors import Conflict, InvalidCommand, NotFound, ServiceUnavailable
from shared.http import same_token
from shared.i18n import pick_lang, short_date
from shared.replytemplates import ReplyTemplateRecord
from shared.runtime import ServiceRuntime
from shared.staff import Absence
from shared.text import is_control_character_error

router = APIRouter(include_in_schema=False)
# A refused form names its fields by the labels the page shows them with, never by the code's names.
CALL_FIELDS = {"day": "cb_field_day", "start": "cb_field_start", "end": "cb_field_end", "caller": "cb_field_caller"}
FIELD_LABELS = {**CALL_FIELDS, "assignee_kind": "field_assignee", "assignee_id": "field_assignee",
                "text": "field_text", "note": "field_note", "outcome": "field_outcome", "referred_to": "field_service",
                "service_id": "field_service", "channel": "field_channel", "result": "field_result",
                "topic": "field_topic", "urgency": "field_urgency", "how": "field_how",
                "kind": "link_field_kind", "other_reference": "link_field_reference", "consent": "field_consent"}


def field_label(field: str, lang: str) -> str:
    """The label a refused field has on the page."""
    return t(FIELD_LABELS[field], lang) if field in FIELD_LABELS else t("field_other", lang)


def refused_fields(exc: ValidationError, lang: str) -> str:
    """The refused fields by their labels; those holding a control or direction character say so."""
    labels = dict.fromkeys(field_label(str(e["loc"][-1]), lang) for e in exc.errors()
                           if e["loc"] and not is_control_character_error(e))
    control = dict.fromkeys(field_label(str(e["loc"][-1]), lang) for e in exc.errors()
                            if e["loc"] and is_control_character_error(e))
    parts = list(labels)
    if control:
        parts.append(t("control_chars_in", lang, fields=", ".join(control)))
    return ", ".join(parts)


async def _case_page(request: Request, session: StaffSession, uow: UnitOfWork,
                     runtime: ServiceRuntime[RoutingSettings], case_id: uuid.UUID, *, status: int = 200,
                     notice: str | None = None, notice_kind: str = "done", template: str | None = None,
                     kept: dict[str, str] | None = None, lang: str | None = None) -> Response:
    lang = lang or page_lang(request, session)
    region_id = session.account.region
    try:
        view, version = await service.open_case(uow=uow, staff=session, case_id=case_id, settings=runtime.settings,
                                                action="view", day=runtime.regions.working_day(region_id))
    except NotFound:
        return render(request, "message.html", session, 404, lang=lang, title=t("not_found", lang), active="queue")
    names = await queries.staff_names(uow.conn, region_id)
    pros = await queries.professionals(uow.conn, region_id)
    region = runtime.regions.by_id[region_id]
    team_names = {tm.id: tm.name.get(lang) for tm in region.teams}
    away = await absent_today(uow.conn, region_id, helsinki_today())

    def absent_mark(account_id: str) -> str:
        absence = away.get(account_id)
        return f", {t('absent_until', lang, until=short_date(absence.ends, lang))}" if absence else ""

    assignees = [(f"professional:{p['id']}", f"{p['display_name']} ({team_names.get(p['team_id'], p['team_id'])}"
                  f"{absent_mark(p['id'])})") for p in pros]
    covering = _covering(view, away, names, team_names, lang)
    team_word = t("team", lang)
    assignees += [(f"team:{team_id}", f"{name.get(lang) or team_id} ({team_word})")
                  for team_id, name in await queries.teams(uow.conn, region_id)]
    cw_due: date | None = None
    cw_limit: datetime | None = None
    if view.state.child_welfare_notified_at is not None:
        # 26 §: child welfare decides within seven business days of the notification (its Helsinki day).
        cw_due = add_business_days(view.state.child_welfare_notified_at.astimezone(HELSINKI).date(), 7)
    elif view.state.child_welfare_flagged_at is not None and view.state.child_welfare_concern:
        cw_limit = region.child_welfare.due(view.state.child_welfare_flagged_at, region.working_day)
    links = await link_queries.linked_cases(uow.conn, session.account, view.state)
    link_refs = await link_queries.references(uow.conn, view.item.region, (
        uuid.UUID(str(e.data["other_case_id"])) for e in view.timeline if e.type in LINK_EVENTS))
    offered = await template_service.offered_for_case(conn=uow.conn, staff=session, language=view.item.language,
                                                      topic=view.item.topic)
    service_q = (request.query_params.get("service_q") or "")[:100]
    service_picks = await directory_picker.picks(uow.conn, region, service_q, municipality=view.item.municipality,
                                                 language=view.item.language, lang=lang)
    referred = {str(e.data.get(k)) for e in view.timeline for k in ("service_id", "referred_to", "better_service_id")
                if e.data.get(k)}
    named_services = await directory_picker.service_names(uow.conn, region, referred, lang)
    return render(request, "case.html", session, status, lang=lang, view=view, version=version, names=names,
                  assignees=assignees, topics=TOPICS, service_q=service_q, service_picks=service_picks,
                  referred_channels=await directory_picker.service_channels(uow.conn, region, view.state.referred_to,
                                                                            lang),
                  named_services=named_services,
                  notice=notice, notice_kind=notice_kind, cw_decision_due=cw_due, cw_limit=cw_limit, active="queue",
                  templates=offered, template_groups=by_language(offered), chosen=chosen_template(offered, template),
                  call=_call(view, runtime, lang), callers=[(p["id"], p["display_name"]) for p in pros],
                  call_span=lambda starts, ends: span_of(starts, ends, lang), kept=kept or {},
                  anyone_absent=any(p["id"] in away for p in pros), covering=covering,
                  links=links, link_refs=link_refs)


LINK_EVENTS = ("case.linked", "case.unlinked")


def _covering(view: CaseView, away: dict[str, Absence], names: Mapping[str, str], team_names: Mapping[str, str | None],
              lang: str) -> str | None:
    """'Pekka is away until 18.12.; Liisa covers': when the professional who has the case is absent today."""
    if view.item.assignee_kind != "professional" or view.item.assignee_id not in away:
        return None
    absence = away[view.item.assignee_id]
    who = names.get(view.item.assignee_id, view.item.assignee_id)
    if absence.substitute_kind == "professional" and absence.substitute_id:
        substitute = names.get(absence.substitute_id, absence.substitute_id)
    elif absence.substitute_id:
        substitute = team_names.get(absence.substitute_id) or absence.substitute_id
    else:
        substitute = team_names.get(view.item.team_id or "") or t("team", lang)
    return t("assignee_absent_covers", lang, name=who, until=short_date(absence.ends, lang), substitute=substitute)


def _call(view: CaseView, runtime: ServiceRuntime[RoutingSettings], lang: str) -> CallSection | None:
    """The "Call the family" section: the family's windows, the proposal counted from the last attempt."""
    last_attempt = max((e.at for e in view.timeline if e.type == "contact.attempted"), default=None)
    policy = runtime.regions.by_id[view.item.region].callbacks
    return call_section(view.state, view.call_windows, policy, now=datetime.now(UTC), last_attempt_at=last_attempt,
                        lang=lang)


def chosen_template(offered: list[ReplyTemplateRecord], asked: str | None) -> ReplyTemplateRecord | None:
    """The template the reply box was asked to start from (``?template=``), if it is one of those offered.

    Without JavaScript, choosing a template reloads the page with its text in the box; nothing is sent.
    """
    return next((tpl for tpl in offered if str(tpl.template_id) == (asked or "").strip().lower()), None)


@router.get("/cases/{case_id}")
async def case_page(request: Request, case_id: uuid.UUID, session: QueuePage, uow: UnitOfWorkDep,
                    runtime: RuntimeDep, done: bool = False) -> Response:
    notice = t("done", page_lang(request, session)) if done else None
    return await _case_page(request, session, uow, runtime, case_id, notice=notice,
                            template=request.query_params.get("template"))


@router.post("/cases/{case_id}/act")
async def act(request: Request, case_id: uuid.UUID, session: QueuePage, uow: UnitOfWorkDep,
              runtime: RuntimeDep) -> Response:
    form = await request.form()
    lang = pick_lang(str(form.get("lang", "")), [session.account.language])
    if not same_token(str(form.get("csrf", "")), session.csrf):
        return await _case_page(request, session, uow, runtime, case_id, status=403, notice_kind="error",
                                notice=t("csrf_failed", lang), lang=lang)

    # What the person wrote or chose stays in its box when the action is refused (a conflict included):
    # the page shows the case as it now is, beside what they meant to send.
    kept = {"command": str(form.get("command", "")),
            **{k: str(form.get(k, "")) for k in ("text", "note", "assignee", "other_reference", "kind")
               if isinstance(form.get(k), str)}}

    async def again(status: int, notice: str) -> Response:
        return await _case_page(request, session, uow, runtime, case_id, status=status, notice_kind="error",
                                notice=notice, kept=kept, lang=lang)

    name = str(form.get("command", ""))
    if not is_command_name(name):
        return await again(422, t("invalid", lang, detail=name))
    try:
        command = service.command_from_form(name, form)
        expected = int(str(form.get("expected_version", "-1")))
        await service.run_command(uow=uow, staff=session, case_id=case_id, expected_version=expected,
                                  command=command, regions=runtime.regions, settings=runtime.settings)
    except ValidationError as exc:
        return await again(422, t("invalid", lang, detail=refused_fields(exc, lang)))
    except Conflict:
        return await again(409, t("conflict_kept", lang))
    except AssigneeAbsent as exc:
        until = date.fromisoformat(str(exc.context["until"]))
        key = "assignee_absent_confirm" if name == "assign" else "assignee_absent_handoff"
        return await again(422, t(key, lang, until=short_date(until, lang)))
    except LinkRefused as exc:
        return await again(422, t("invalid", lang, detail=t("link_refused_" + exc.key, lang)))
    except UnknownReference:
        return await again(422, t("invalid", lang, detail=t("link_unknown_reference", lang)))
    except (InvalidCommand, ServiceUnavailable) as exc:
        known = error_text_key(exc.detail)
        detail = t(known[0], lang, **known[1]) if known else exc.detail
        return await again(exc.status_code, t("invalid", lang, detail=detail))
    return RedirectResponse(f"/cases/{case_id}?lang={lang}&done=1#notice", status_code=303)
