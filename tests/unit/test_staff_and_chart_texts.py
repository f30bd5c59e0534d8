"""What people read in files and charts: the access log's CSV, a chart's axes and the sentence for a hidden one."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime

from services.reporting.model import Chart, Column, Table
from services.reporting.present import chart_view
from services.reporting.privacy import SUPPRESSED
from services.routing.access_export import access_csv, action_label


def _row(at: datetime, action: str, role: str = "coordinator") -> dict[str, object]:
    return {"at": at, "account_id": "katja", "display_name": "Katja Åberg", "role": role,
            "case_id": uuid.UUID(int=7), "reference": "K7M4-2Q9X", "action": action}


def test_the_access_csv_is_in_helsinki_time_and_the_readers_language() -> None:
    winter, summer = datetime(2026, 1, 15, 10, 0, tzinfo=UTC), datetime(2026, 7, 15, 10, 0, tzinfo=UTC)
    body = access_csv([_row(winter, "view"), _row(summer, "api_view", "admin")], "sv")
    assert body.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert [r["Tidpunkt"] for r in rows] == ["2026-01-15T12:00:00+02:00", "2026-07-15T13:00:00+03:00"]
    assert [r["Roll"] for r in rows] == ["koordinator", "administratör"]
    assert [r["Åtgärd"] for r in rows] == ["Öppnade kontakten", "Öppnade kontakten via gränssnittet"]
    assert {r["Referens"] for r in rows} == {"K7M4-2Q9X"} and rows[0]["Namn"] == "Katja Åberg"
    english = access_csv([_row(winter, "erase")], "en").decode("utf-8-sig")
    assert english.splitlines()[0].startswith("Time,") and "Erased the personal data" in english


def test_an_action_this_version_does_not_know_keeps_its_code() -> None:
    assert action_label("view", "fi") == "Avasi yhteydenoton"
    assert action_label("callback_view", "fi") == "callback_view"


def _municipalities(contacts: list[object], rates: list[object]) -> Table:
    columns = (Column("municipality", "Kunta", "label"), Column("contacts", "Yhteydenottoja", "count"),
               Column("per_1000", "1 000 lasta kohden", "rate"))
    rows: list[list[object]] = [[name, c, r] for name, c, r in zip(("Turku", "Aura"), contacts, rates, strict=True)]
    return Table("by_municipality", "Yhteydenotot kunnittain", columns, rows,  # type: ignore[arg-type]
                 chart=Chart("bar", ("contacts", "per_1000"), horizontal=True, alternatives=True))


def test_a_chart_names_its_axes_and_offers_its_alternatives() -> None:
    view = chart_view(_municipalities([319, SUPPRESSED], [12.5, None]), "fi")
    assert view is not None and view.drawn and view.reason is None
    spec = json.loads(view.spec)
    assert spec["category_title"] == "Kunta" and spec["alternatives"] and spec["initial"] == 0
    assert [s["axis"] for s in spec["series"]] == ["Lukumäärä (kpl)", "Yhteydenottoja 1 000:ta 0–17-vuotiasta kohden"]
    assert spec["series"][0]["data"] == [319, None]  # "<5" is a gap, never a zero
    assert [label for label, _ in view.choices] == ["Yhteydenottoja", "1 000 lasta kohden"]
    assert view.caption == "Kaaviossa: Yhteydenottoja – Lukumäärä (kpl)"


def test_a_chart_whose_every_value_is_hidden_is_a_sentence() -> None:
    view = chart_view(_municipalities([SUPPRESSED, SUPPRESSED], [None, None]), "sv")
    assert view is not None and not view.drawn
    assert view.reason is not None and "under fem" in view.reason
    assert chart_view(Table("t", "t", (Column("k", "k", "label"),), []), "fi") is None
