"""CSV/XLSX writers: formula injection is neutralised, columns are stable."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from polku.reports.exporting import Table, neutralise_cell, write_csv, write_xlsx


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+358401234567", "'+358401234567"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("＝1+1", "'＝1+1"),
        ("safe = text", "safe = text"),
        ("", ""),
        ("Kaveri mukaan", "Kaveri mukaan"),
        (-5, -5),
        (3.5, 3.5),
        (None, None),
    ],
)
def test_neutralise_cell(value, expected):
    assert neutralise_cell(value) == expected


TABLE = Table(
    "things",
    ["id", "title", "when", "ok"],
    [
        [1, '=HYPERLINK("http://evil","x")', dt.date(2026, 2, 1), True],
        [2, "Tavallinen, teksti", None, False],
        [3, "@cmd", dt.date(2026, 2, 2), None],
    ],
)


def test_csv_has_bom_header_and_neutralised_cells():
    content = write_csv(TABLE).decode("utf-8")
    assert content == (
        "\ufeffid,title,when,ok\r\n"
        '1,"\'=HYPERLINK(""http://evil"",""x"")",2026-02-01,true\r\n'
        '2,"Tavallinen, teksti",,false\r\n'
        "3,'@cmd,2026-02-02,\r\n"
    )


def test_xlsx_stores_formula_lookalikes_as_text():
    workbook = load_workbook(io.BytesIO(write_xlsx(TABLE)))
    sheet = workbook["things"]
    assert [c.value for c in sheet[1]] == ["id", "title", "when", "ok"]
    cell = sheet["B2"]
    assert cell.value == '\'=HYPERLINK("http://evil","x")'
    assert cell.data_type == "s"
    assert sheet["B4"].value == "'@cmd"
    assert sheet["A3"].value == 2
    assert sheet["C2"].value == dt.datetime(2026, 2, 1)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
