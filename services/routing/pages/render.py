"""How the staff's pages are drawn: the templates, the page's language, and the names shown for ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.routing.accounts import StaffSession
from services.routing.i18n import t
from shared.app import get_runtime
from shared.events import Topic
from shared.i18n import language_links, long_date, pick_lang, short_datetime
from shared.phones import EXPLANATIONS
from shared.regions import Region

SERVICE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES = Jinja2Templates(directory=SERVICE_DIR / "templates")
TOPICS: tuple[str, ...] = Topic.__args__  # type: ignore[attr-defined]
RECIPIENTS = ("family", "coordinators")
# notify's reasons for a failed message, by how they begin: what a worker can do about each differs.
FAILURES = (("the family", "family"), ("no ", "configuration"), ("the staff member", "staff"),
            ("the mail server", "delivery"), ("SMTP", "delivery"), ("SMS gateway", "delivery"),
            # Refused by the region's rule for numbers (shared/phones.py) or its daily cap, never sent.
            *((f"number refused ({problem})", f"number_{problem}") for problem in EXPLANATIONS),
            ("daily cap", "daily_cap"))


def failure_kind(reason: str) -> str:
    """The kind of a failed message's reason: the family's contact, the configuration, the delivery, other."""
    return next((kind for start, kind in FAILURES if reason.startswith(start)), "other")


def page_lang(request: Request, session: StaffSession | None) -> str:
    """The page's language: asked for in the query, else the person's own."""
    return pick_lang(request.query_params.get("lang"), [session.account.language] if session else [])


def render(request: Request, template: str, session: StaffSession | None, status: int = 200,
           **context: Any) -> HTMLResponse:
    """A page in its language, with the helpers every template uses."""
    lang = context.pop("lang", None) or page_lang(request, session)
    runtime = get_runtime(request)
    region: Region | None = runtime.regions.by_id.get(session.account.region) if session else None
    query = {k: v for k, v in request.query_params.items() if k not in ("lang", "fragment")}
    names = context.pop("names", {})

    def municipality_name(mid: str) -> str:
        return region.municipality(mid).name.get(lang) if region else mid

    def assignee_name(item: Any) -> str:
        kind = item["assignee_kind"] if isinstance(item, dict) else item.assignee_kind
        ident = item["assignee_id"] if isinstance(item, dict) else item.assignee_id
        if kind == "team" and region and any(tm.id == ident for tm in region.teams):
            return team_label(ident)
        return str(names.get(ident, ident))

    def actor_name(actor: str) -> str:
        if actor == "family":
            return t("by_family", lang)
        if actor.startswith("staff:"):
            return str(names.get(actor[6:], actor[6:]))
        return t("by_system", lang)

    def service_name(sid: str) -> str:
        # A page that names directory services passes their names (named_services); the YAML's are known here.
        named = context.get("named_services") or {}
        if sid in named:
            return str(named[sid])
        return next((s.name.get(lang) for s in region.local_services if s.id == sid), sid) if region else sid

    def team_name(team_id: str | None) -> str:
        return next((tm.name.get(lang) for tm in region.teams if tm.id == team_id), team_id or "") if region else ""

    def team_label(team_id: str) -> str:
        """A team as an assignee or a recipient reads: its name and the word for a team."""
        return f"{team_name(team_id)} ({t('team', lang)})"

    def recipient_name(recipient: str) -> str:
        """Who a notification went to, in words: never 'family' or 'team:<id>'."""
        kind, _, ident = recipient.partition(":")
        if kind == "staff":
            return str(names.get(ident, ident))
        if kind == "team":
            return team_label(ident)
        if kind == "service":  # a referral's receiving service, at its referral mailbox
            return service_name(ident)
        return t("recipient_" + kind, lang) if kind in RECIPIENTS else recipient

    def notification_line(data: dict[str, Any]) -> str:
        """'Receipt, to: the family' or, failed, with why in words; notify's own reasons are English."""
        line = t("notification_to", lang, template=t("message_" + str(data.get("template")), lang),
                 recipient=recipient_name(str(data.get("recipient", ""))))
        reason = data.get("reason")
        return f"{line}: {t('failure_' + failure_kind(str(reason)), lang)}" if reason else line

    return TEMPLATES.TemplateResponse(request, template, status_code=status, context={
        "lang": lang, "t": lambda key, **values: t(key, lang, **values), "session": session,
        "region_name": region.name.get(lang) if region else None,
        "lang_links": language_links(request.url.path, request.query_params.multi_items(), drop=("fragment",)),
        "query": urlencode({**query, "lang": lang}), "municipality_name": municipality_name,
        "assignee_name": assignee_name, "actor_name": actor_name, "service_name": service_name,
        "team_name": team_name, "notification_line": notification_line,
        "long_date": lambda d: long_date(d, lang), "short_date": lambda d: d.strftime("%d.%m.%Y"),
        "when": lambda m: short_datetime(m, lang) if m else "", **context,
    })
