"""CSV and XLSX writers for tabular exports.

Every cell goes through `neutralise_cell`: a text cell that a spreadsheet program could read as
a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, or their
full-width forms) gets a leading apostrophe, so that it is shown as text and never evaluated
(OWASP "CSV injection"). Numbers, dates and booleans are written as they are.

CSV: UTF-8 with a byte-order mark (so that Excel detects the encoding), comma separated,
CRLF line ends (RFC 4180). XLSX: one sheet, a bold header row, every text cell stored as a
string (never as a formula).
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

Cell = str | int | float | Decimal | bool | dt.date | dt.datetime | None


@dataclass(frozen=True)
class Table:
    """A dataset ready to write: stable column names and rows in column order."""

    name: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]


def neutralise_cell(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_text(value: Cell) -> str:
    value = neutralise_cell(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_text(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_text(c) for c in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(tables: Table | Iterable[Table]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    tables = [tables] if isinstance(tables, Table) else list(tables)
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(title=table.name[:31])
        for col, name in enumerate(table.columns, start=1):
            cell = sheet.cell(row=1, column=col, value=name)
            cell.font = bold
        for r, row in enumerate(table.rows, start=2):
            for col, value in enumerate(row, start=1):
                value = neutralise_cell(value)
                if isinstance(value, dt.datetime) and value.tzinfo is not None:
                    # Excel has no time zones: local time of the installation (Europe/Helsinki)
                    value = timezone.localtime(value).replace(tzinfo=None)
                cell = sheet.cell(row=r, column=col)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text looks like
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
