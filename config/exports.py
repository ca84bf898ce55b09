"""Tables as CSV and XLSX, the same cells in both, safe to open in a spreadsheet program.

Used by the evaluation's and the analysis's exports. Text that a spreadsheet would run as a
formula (names and addresses come from admins, imports and the public) gets a leading
apostrophe; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

Cell = str | int | float | Decimal | date | datetime | None
NO_VALUE = "—"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(value: object) -> object:
    """Text that starts like a formula gets a leading apostrophe; anything else as it is."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and value != NO_VALUE:
        return "'" + value
    return value


def _plain(value: Cell) -> str | int | float:
    """How a cell reads: local "YYYY-MM-DD HH:mm" for moments, "—" for no value."""
    if value is None:
        return NO_VALUE
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def csv_text(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """UTF-8 with a BOM, so spreadsheet programs read the Chinese."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([inert(h) for h in headers])
    writer.writerows([inert(_plain(cell)) for cell in row] for row in rows)
    return out.getvalue()


def xlsx_bytes(title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True)
    sheet.append(list(headers))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([inert(_plain(cell)) for cell in row])
    sheet.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
