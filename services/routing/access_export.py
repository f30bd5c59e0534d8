"""The access log as a file for one client's right to know who processed their data (client data act 703/2023).

The file is read by people, often in a spreadsheet program: times in Helsinki time with their offset, roles
and actions in the reader's language, the case's reference beside its id, and UTF-8 with a byte-order mark
(without one, Excel reads å, ä and ö as two characters each), like the region's statistics files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import datetime

from services.routing.i18n import t
from shared.businessdays import HELSINKI
from shared.spreadsheet import safe_row

# What a view was, as record_access writes it: a case page, the API, an erasure.
ACCESS_ACTIONS = ("view", "api_view", "erase", "view_denied", "api_view_denied",  # refused looks: service.py
                  "feedback_view",  # an accessibility feedback opened (feedback.py)
                  # A referral's content disclosed to the receiving service, and its answers (referral_commands.py).
                  "referral_disclosed", "referral_accept", "referral_decline", "referral_complete",
                  "search")  # a staff search: its kind of term and hits, never the term (search_service.py)


def action_label(action: str, lang: str) -> str:
    """An action in the reader's language; one this version does not know keeps its code, never a blank."""
    return t(f"access_action_{action}", lang) if action in ACCESS_ACTIONS else action


def search_label(term_kind: object, hits: object, lang: str) -> str:
    """What a search row of the log says beside its action: 'phone number, 2 found'; '' for other rows."""
    if not isinstance(term_kind, str) or not isinstance(hits, int):
        return ""
    return t("access_search_line", lang, kind=t(f"search_kind_{term_kind}", lang), count=hits)


def helsinki_iso(moment: datetime) -> str:
    """A moment as ISO 8601 in Helsinki time, with its offset (+02:00 or +03:00), to the second."""
    return moment.astimezone(HELSINKI).isoformat(timespec="seconds")


def access_csv(rows: Iterable[Mapping[str, object]], lang: str) -> bytes:
    """The rows as CSV in ``lang``: ';' between fields where a comma is the decimal sign, as in reporting's files."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="," if lang == "en" else ";", lineterminator="\r\n")
    writer.writerow([t("csv_at", lang), t("csv_account", lang), t("csv_name", lang), t("csv_role", lang),
                     t("csv_reference", lang), t("csv_case_id", lang), t("csv_action", lang),
                     t("csv_term_kind", lang), t("csv_hits", lang)])
    for r in rows:
        at = r["at"]
        # A name is whatever an admin typed: never a formula in the file (shared/spreadsheet.py).
        writer.writerow(safe_row([helsinki_iso(at) if isinstance(at, datetime) else "", r["account_id"],
                                  r["display_name"] or "", t(f"role_{r['role']}", lang), r["reference"] or "",
                                  r["case_id"] or "", action_label(str(r["action"]), lang),
                                  t(f"search_kind_{r['term_kind']}", lang) if r.get("term_kind") else "",
                                  "" if r.get("hits") is None else r["hits"]]))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
