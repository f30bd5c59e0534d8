"""Tables as CSV and XLSX: the same published cells as the page, hidden ones included; no text is ever a formula
(shared/spreadsheet.py)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from services.reporting.model import Cell, Table
from shared.spreadsheet import safe_row


def _rows(table: Table) -> list[list[Cell]]:
    return [*table.rows, *([table.total] if table.total else [])]


def to_csv(table: Table, heading: str, lang: str) -> bytes:
    """UTF-8 with a byte-order mark so spreadsheet programs read å, ä and ö; ';' where a comma is decimal."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="," if lang == "en" else ";", lineterminator="\r\n")
    writer.writerow(safe_row(c.label for c in table.columns))
    for row in _rows(table):
        writer.writerow(safe_row("" if v is None else (str(v).replace(".", ",") if isinstance(v, float) and lang != "en"
                                                       else v) for v in row))
    del heading  # the file name carries the filters; a CSV has one table and nothing else
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(tables: list[Table], heading: str, privacy_note: str) -> bytes:
    """One sheet per table: its title, the filters, the privacy note, then the table itself."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    used: set[str] = set()
    for table in tables:
        name = table.title[:31]
        for ch in "[]:*?/\\":
            name = name.replace(ch, " ")
        while name in used:
            name = name[:28] + f" {len(used)}"
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append(safe_row([table.title]))
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(safe_row([heading]))
        sheet.append(safe_row([privacy_note]))
        if table.note:
            sheet.append(safe_row([table.note]))
        sheet.append([])
        sheet.append(safe_row(c.label for c in table.columns))
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in _rows(table):
            sheet.append(safe_row(row))
        if table.total:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        for i, column in enumerate(table.columns, start=1):
            width = max([len(column.label)] + [len(str(r[i - 1] or "")) for r in _rows(table)])
            sheet.column_dimensions[get_column_letter(i)].width = min(60, max(10, width + 2))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
