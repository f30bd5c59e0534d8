"""The outcome tables: how cases ended, where families were referred, what followed, and their feedback."""

from __future__ import annotations

from services.reporting.filters import Filters
from services.reporting.i18n import t
from services.reporting.labels import distribution
from services.reporting.model import Cell, Chart, Column, Group, Table
from services.reporting.privacy import share
from services.reporting.referral_facts import ACCEPT_TIMES, ANSWERS
from services.reporting.rollup import counts, tally, whole
from shared.db import Conn
from shared.directory import DirectoryService
from shared.events import Outcome
from shared.events_referrals import DECLINE_REASONS

OUTCOMES: tuple[str, ...] = Outcome.__args__  # type: ignore[attr-defined]


async def outcomes(conn: Conn, f: Filters, lang: str) -> Table:
    """Closed cases by outcome."""
    found = await counts(conn, f, "outcome")
    closed = await whole(conn, f, "outcome")
    table_ = distribution("outcomes", t("tbl_outcomes", lang), t("col_outcome", lang), OUTCOMES,
                          lambda o: t("outcome_" + o, lang), found, closed, lang)
    return Table(table_.id, table_.title, table_.columns, table_.rows, chart=Chart("bar", ("contacts",),
                                                                                   horizontal=True),
                 total=[t("closed_total", lang), closed.count, None], note=t("note_outcomes", lang))


async def referable(conn: Conn, f: Filters, lang: str) -> dict[str, tuple[str, str]]:
    """Every service a referral may name, with its kind and its name in ``lang``: the region's whole YAML services,
    then its directory's (PTV's, and the YAML's own as synced), by name."""
    out = {s.id: (str(s.kind), s.name.get(lang)) for s in f.region.local_services}
    for r in await conn.fetch("SELECT service_id, kind, service FROM directory_services WHERE region = $1",
                              f.region.id):
        names = DirectoryService.model_validate_json(r["service"]).names
        out[r["service_id"]] = (r["kind"], names.get(lang) or r["service_id"])
    return dict(sorted(out.items(), key=lambda item: item[1][1].casefold()))


async def referrals(conn: Conn, f: Filters, lang: str) -> Table:
    """Referrals by kind of service and by the region's services of each kind."""
    by_service = await counts(conn, f, "referral")
    kinds = await counts(conn, f, "referral_kind")
    referred = await whole(conn, f, "referral_kind")
    rows: list[list[Cell]] = []
    services = await referable(conn, f, lang)
    local = {s.id for s in f.region.local_services}
    for kind in ("municipal", "county", "third_sector"):
        rows.append([t("kind_" + kind, lang), None, kinds.get(kind, Group()).count,
                     share(kinds.get(kind, Group()).count, referred.count)])
        for service_id, (service_kind, name) in services.items():
            # The YAML's services always (their row reads 0 when none was referred), the directory's when referred.
            if service_kind == kind and (service_id in by_service or service_id in local):
                n = by_service.get(service_id, Group()).count
                rows.append([t("kind_" + kind, lang), name, n, share(n, referred.count)])
    return Table("referrals", t("tbl_referrals", lang),
                 (Column("kind", t("col_service_kind", lang), "label"),
                  Column("service", t("col_service", lang), "label"),
                  Column("contacts", t("col_contacts", lang), "count"),
                  Column("percent", t("col_percent", lang), "percent")),
                 rows, total=[t("total", lang), None, referred.count, None], note=t("note_referrals", lang))


async def follow_up(conn: Conn, f: Filters, lang: str) -> Table:
    """How many cases were handed off, referred, reopened, notified to child welfare, or got feedback."""
    figures = {"fig_handed_off": "handed_off", "fig_referred": "referred", "fig_reopened": "reopened",
               "fig_child_welfare": "child_welfare_notified", "fig_feedback_given": "feedback_given"}
    found = (await tally(conn, f, "true", figures)).get(True, {})
    everyone = found.get("all", Group())
    rows: list[list[Cell]] = []
    for key in figures:
        n = found.get(key, Group()).count
        rows.append([t(key, lang), n, share(n, everyone.count)])
    return Table("follow_up", t("tbl_follow_up", lang),
                 (Column("figure", t("col_figure", lang), "label"),
                  Column("contacts", t("col_contacts", lang), "count"),
                  Column("percent", t("col_percent", lang), "percent")), rows,
                 total=[t("fig_contacts", lang), everyone.count, None])


async def feedback(conn: Conn, f: Filters, lang: str) -> Table:
    """The families' answers to how much it helped, 1 to 5."""
    found = await counts(conn, f, "feedback")
    given = await whole(conn, f, "feedback")
    rows: list[list[Cell]] = []
    for score in range(1, 6):
        n = found.get(score, Group()).count
        rows.append([t(f"score_{score}", lang), n, share(n, given.count)])
    return Table("feedback", t("tbl_feedback", lang),
                 (Column("score", t("col_score", lang), "label"), Column("answers", t("col_answers", lang), "count"),
                  Column("percent", t("col_percent", lang), "percent")),
                 rows, chart=Chart("bar", ("answers",)),
                 total=[t("total", lang), given.count, None], note=t("note_feedback", lang))


# Referrals answered through their link (referral_facts.py): each case by its latest referral.
async def referral_answers(conn: Conn, f: Filters, lang: str) -> Table:
    """How the services answered: waiting, accepted, declined, done; accepted and done make the acceptance rate."""
    found = await counts(conn, f, "referral_answer")
    sent = await whole(conn, f, "referral_answer")
    table_ = distribution("referral_answers", t("tbl_referral_answers", lang), t("col_referral_answer", lang),
                          ANSWERS, lambda a: t("referral_answer_" + a, lang), found, sent, lang)
    return Table(table_.id, table_.title, table_.columns, table_.rows, chart=table_.chart,
                 total=[t("total", lang), sent.count, None], note=t("note_referral_answers", lang))


async def referral_declines(conn: Conn, f: Filters, lang: str) -> Table:
    """The declined referrals by the service's reason."""
    found = await counts(conn, f, "referral_decline")
    declined = await whole(conn, f, "referral_decline")
    table_ = distribution("referral_declines", t("tbl_referral_declines", lang), t("col_decline_reason", lang),
                          DECLINE_REASONS, lambda r: t("decline_reason_" + r, lang), found, declined, lang)
    return Table(table_.id, table_.title, table_.columns, table_.rows, chart=table_.chart,
                 total=[t("total", lang), declined.count, None], note=t("note_referral_declines", lang))


async def referral_acceptance_time(conn: Conn, f: Filters, lang: str) -> Table:
    """How soon the services accepted, in working hours from sending (in groups), beside those not accepted."""
    found = await counts(conn, f, "referral_accept_time")
    sent = await whole(conn, f, "referral_accept_time")
    table_ = distribution("referral_acceptance_time", t("tbl_referral_acceptance_time", lang),
                          t("col_accept_time", lang), ACCEPT_TIMES, lambda a: t("accept_time_" + a, lang), found,
                          sent, lang)
    return Table(table_.id, table_.title, table_.columns, table_.rows, chart=table_.chart,
                 total=[t("total", lang), sent.count, None], note=t("note_referral_acceptance_time", lang))
