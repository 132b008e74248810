"""Text in the files the project writes stays text: OWASP's CSV-injection starts (`=`,
`+`, `-`, `@`, tab, CR) are escaped in csv and xlsx, control characters never break an
xlsx, numbers and dates are left alone."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from adapters.documents.lists import Table, csv_bytes, xlsx_bytes

HOSTILE = ['=HYPERLINK("http://x","bấm")', "+84912345678", "-1+2", "@SUM(A1)", "\tx", "\rx"]


def csv_cells(table: Table) -> list[list[str]]:
    text = csv_bytes(table).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def xlsx_rows(table: Table) -> list[list[object]]:
    book = load_workbook(io.BytesIO(xlsx_bytes(table, "x")))
    sheet = book.worksheets[0]
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    return [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_name_that_starts_like_a_formula_is_escaped_in_csv(name: str) -> None:
    rows = csv_cells(Table(["Tên", "Số"], [[name, -3]]))
    assert rows[1] == ["'" + name, "-3"]  # the number is a number, not escaped


@pytest.mark.parametrize("name", HOSTILE)
def test_a_name_that_starts_like_a_formula_stays_text_in_xlsx(name: str) -> None:
    assert xlsx_rows(Table(["Tên", "Số", "Ngày"], [[name, -3, date(2025, 3, 1)]]))[0][:2] == [
        name,
        -3,
    ]


def test_a_control_character_in_a_name_never_breaks_the_workbook() -> None:
    rows = xlsx_rows(Table(["Tên"], [["Chi bộ\x01\x0b thôn 1"], ["Chi bộ\x00"]]))
    assert rows == [["Chi bộ\ufffd\ufffd thôn 1"], ["Chi bộ\ufffd"]]


@given(st.text(max_size=30))
def test_any_text_round_trips_through_csv_as_text(name: str) -> None:
    cell = csv_cells(Table(["Tên"], [[name]]))[1:] or [[""]]
    written = cell[0][0] if cell[0] else ""
    assert not written.startswith(("=", "+", "-", "@", "\t", "\r"))
