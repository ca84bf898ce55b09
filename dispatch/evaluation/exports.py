"""One table for the page, the CSV and the XLSX: the same cells, so the figures agree."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from config.exports import NO_VALUE, inert
from dispatch.evaluation import formulas
from dispatch.evaluation.reports import Report
from dispatch.models import Group

Cell = str | int | Decimal | None


def report_headers(report: Report) -> list[str]:
    group = report.group
    from dispatch.evaluation.definitions import FIGURES, components_for

    headers = [_("Rank"), _("Name"), _("Code"), _("Score"), _("Grade")]
    headers += [_("Previous score"), _("Change")]
    for component in components_for(group, report.rules.weights if report.rules else {}):
        weight = report.rules.weights.get(component.key) if report.rules else None
        label = str(component.label)
        headers.append(f"{label} ({formulas.rounded(weight)}%)" if weight is not None else label)
    headers += [str(figure.label) for figure in FIGURES[group]]
    headers.append(_("Weight with data (%)"))
    return headers


def report_rows(report: Report) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for row in report.rows:
        cells: list[Cell] = [
            row.rank,
            row.name,
            row.subject,
            formulas.rounded(row.score),
            row.grade,
            formulas.rounded(row.previous_score),
            formulas.rounded(row.change),
        ]
        cells += [formulas.rounded(c.value) for c in row.components]
        cells += [
            f.value if isinstance(f.value, int) else formulas.rounded(f.value) for f in row.figures
        ]
        cells.append(formulas.rounded(row.coverage))
        rows.append(cells)
    return rows


def cell_text(value: Cell) -> str:
    """How a cell reads on the page and in the CSV."""
    if value is None:
        return NO_VALUE
    return str(value)


def report_table(report: Report) -> tuple[list[str], list[list[str]]]:
    return report_headers(report), [[cell_text(c) for c in r] for r in report_rows(report)]


def export_filename(report: Report, extension: str) -> str:
    return f"evaluation-{report.group}-{report.period.start}-{report.period.end}.{extension}"


def _title(report: Report) -> str:
    return f"{Group(report.group).label} · {report.period.label}"


def export_csv(report: Report) -> str:
    """UTF-8 with a BOM so spreadsheet programs read the Chinese names."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    headers, rows = report_table(report)
    writer.writerow(headers)
    raw = report_rows(report)
    # Text cells as written by the page, made inert; number cells exactly as on the page.
    writer.writerows(
        [
            inert(text) if isinstance(cell, str) else text
            for cell, text in zip(cells, row, strict=True)
        ]
        for cells, row in zip(raw, rows, strict=True)
    )
    return out.getvalue()


def export_xlsx(report: Report) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = str(report.group)[:31]
    sheet.append([_title(report)])
    sheet["A1"].font = Font(bold=True)
    headers = report_headers(report)
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for cells in report_rows(report):
        sheet.append(
            [
                float(c) if isinstance(c, Decimal) else NO_VALUE if c is None else inert(c)
                for c in cells
            ]
        )
    sheet.freeze_panes = "C3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
