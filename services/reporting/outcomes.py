"""The outcome tables: how cases ended, where families were referred, what followed, and their feedback."""

from __future__ import annotations

from services.reporting.filters import Filters
from services.reporting.i18n import t
from services.reporting.labels import distribution
from services.reporting.model import Cell, Chart, Column, Group, Table
from services.reporting.privacy import share
from services.reporting.rollup import counts, tally, whole
from shared.db import Conn
from shared.events import Outcome

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


async def referrals(conn: Conn, f: Filters, lang: str) -> Table:
    """Referrals by kind of service and by the region's services of each kind."""
    by_service = await counts(conn, f, "referral")
    kinds = await counts(conn, f, "referral_kind")
    referred = await whole(conn, f, "referral_kind")
    rows: list[list[Cell]] = []
    for kind in ("municipal", "county", "third_sector"):
        rows.append([t("kind_" + kind, lang), None, kinds.get(kind, Group()).count,
                     share(kinds.get(kind, Group()).count, referred.count)])
        for service in f.region.local_services:
            if service.kind == kind:
                n = by_service.get(service.id, Group()).count
                rows.append([t("kind_" + kind, lang), service.name.get(lang), n, share(n, referred.count)])
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
