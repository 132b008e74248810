"""Imports as a secretariat really makes them, from the command line against each backend:
the files Vietnamese Excel saves are read, bad ones are refused with their row and column
(never a traceback) and change nothing, and what an import wrote is safe in the reports."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from adapters.persistence.db import make_engine
from tests.support import hostile_files as hf
from tests.support.cli import Cli

UNITS_VI = (
    "Mã tổ chức;Tên;Loại;Loại hình;Mã cấp trên;Số đảng viên;Liên hệ unit_secretary;"
    "contact_contact_superior_org_board\r\n"
    "T01;Tỉnh ủy mẫu;committee;other;;0;;\r\n"
    "X01;Đảng ủy xã Tân Lập;committee;village;T01;0;;ban@x.vn\r\n"
    "CB-THON1;Chi bộ thôn 1;grassroots_cell;village;X01;12;bt@x.vn;\r\n"
)
RATINGS_HEADER = ["ma_to_chuc", "ma_dang_vien", "ho_ten", "xep_loai", "giai_doan", "ngay_xep_loai"]


@pytest.fixture
def cli(tmp_path: Path, db_url: str) -> Cli:
    runner = Cli(tmp_path, db_url)
    runner("init")
    return runner


def units(cli: Cli) -> list[tuple[str, str]]:
    return sorted((code, name) for code, name in cli.rows("SELECT code, name FROM unit"))


def refused(cli: Cli, *args: str) -> str:
    done = cli(*args, ok=False)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    return done.stderr


def test_a_units_file_saved_by_vietnamese_excel_imports_and_warns_of_a_misspelt_contact(
    cli: Cli,
) -> None:
    (cli.folder / "don-vi.csv").write_bytes(UNITS_VI.encode("utf-8-sig"))
    done = cli("units", "import", "don-vi.csv")
    assert "đã nhập 3" in done.stdout
    assert "contact_contact_superior_org_board" in done.stderr
    assert "cảnh báo" in done.stderr
    contacts = dict(cli.rows("SELECT code, contacts FROM unit"))
    assert json.loads(contacts["CB-THON1"]) == {"unit_secretary": "bt@x.vn"}
    assert json.loads(contacts["X01"]) == {}  # the misspelt column was read by nobody


def test_the_same_units_as_an_xlsx(cli: Cli) -> None:
    lines = list(csv.reader(io.StringIO(UNITS_VI), delimiter=";"))
    hf.workbook(cli.folder / "don-vi.xlsx", lines)
    assert "đã nhập 3" in cli("units", "import", "don-vi.xlsx").stdout
    assert [c for c, _ in units(cli)] == ["CB-THON1", "T01", "X01"]


def test_a_windows_1258_file_is_refused_naming_how_to_save_it_and_imports_nothing(
    cli: Cli,
) -> None:
    (cli.folder / "don-vi.csv").write_bytes(
        b"ma_to_chuc,ten,loai,ma_cap_tren\r\nX01,\xd0a\xf2ng u\xf4y,committee,\r\n"
    )
    said = refused(cli, "units", "import", "don-vi.csv")
    assert "Windows-1258" in said and "CSV UTF-8" in said
    assert units(cli) == []


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("Tên", "Chi bộ\x00thôn 2"),  # PostgreSQL cannot store a NUL: refused first
        ("Tên", "x" * 200_000),
        ("Số đảng viên", "9" * 5000),
        ("Số đảng viên", "²"),
        ("Mã tổ chức", "CB\x07"),
    ],
)
def test_a_bad_cell_is_named_by_row_and_column_and_nothing_is_imported(
    cli: Cli, column: str, value: str
) -> None:
    header = ["Mã tổ chức", "Tên", "Loại", "Mã cấp trên", "Số đảng viên"]
    good = ["X01", "Đảng ủy xã", "committee", "", "0"]
    bad = dict(zip(header, ["CB2", "Chi bộ thôn 2", "grassroots_cell", "X01", "3"], strict=True))
    bad[column] = value
    body = ";".join(header) + "\n" + ";".join(good) + "\n" + ";".join(bad.values()) + "\n"
    (cli.folder / "don-vi.csv").write_text(body, encoding="utf-8")
    said = refused(cli, "units", "import", "don-vi.csv")
    assert "dòng 3" in said and f"«{column}»" in said
    assert units(cli) == []


def test_a_ratings_sheet_of_formulas_never_computed_erases_nothing(cli: Cli) -> None:
    (cli.folder / "don-vi.csv").write_bytes(UNITS_VI.encode("utf-8-sig"))
    cli("units", "import", "don-vi.csv")
    rows = [RATINGS_HEADER, ["CB-THON1", "DV1", "A", "Tốt", "Chính thức", "12/01/2026"],
            ["CB-THON1", "DV2", "B", "Xuất sắc", "Chính thức", "12/01/2026"]]  # fmt: skip
    hf.workbook(cli.folder / "xep-loai.xlsx", rows)
    assert "đã nhập 2" in cli("ratings", "import", "xep-loai.xlsx", "--year", "2025").stdout
    before = cli.rows("SELECT * FROM rating")
    # the same register written by a program: the levels are formulas with no value
    formulas = [rows[0]] + [[*r[:3], f'=IF(TRUE,"{r[3]}")', *r[4:]] for r in rows[1:]]
    hf.workbook(cli.folder / "xep-loai-2.xlsx", formulas)
    said = refused(cli, "ratings", "import", "xep-loai-2.xlsx", "--year", "2025")
    assert "dòng 2" in said and "dòng 3" in said and "«xep_loai»" in said
    assert cli.rows("SELECT * FROM rating") == before


def test_names_that_look_like_formulas_stay_text_in_the_reports(cli: Cli) -> None:
    names = {"X01": '=HYPERLINK("http://evil.example","bấm")', "CB-1": "+1", "CB-2": "@SUM(A1)",
             "CB-3": "-2+3"}  # fmt: skip
    lines = ["code,name,kind,parent_code,member_count", "X01,x,committee,,0"]
    lines += [f"{code},n,grassroots_cell,X01,5" for code in names if code != "X01"]
    (cli.folder / "units.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cli("units", "import", "units.csv")
    engine = make_engine(cli.url)
    with engine.begin() as connection:
        for code, name in names.items():
            connection.execute(text("UPDATE unit SET name = :n WHERE code = :c"),
                               {"n": name, "c": code})  # fmt: skip
        # a control character that an older import let in: the workbook is still written
        connection.execute(text("UPDATE unit SET name = :n WHERE code = 'CB-1'"),
                           {"n": "+1\x07 chuông"})  # fmt: skip
    engine.dispose()
    cli("cycle", "open", "--year", "2025", "--now", "2025-01-05")

    cli("report", "--year", "2025", "--format", "csv", "--output", "r.csv", "--now", "2025-02-01")
    written = (cli.folder / "r.csv").read_text(encoding="utf-8-sig")
    cells = [c for line in csv.reader(io.StringIO(written), delimiter=";") for c in line]
    # the csv holds the cells' rows; the committee's name is in the workbook's summary
    assert {"'@SUM(A1)", "'-2+3", "'+1\ufffd chuông"} <= set(cells)
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]

    cli("report", "--year", "2025", "--output", "r.xlsx", "--now", "2025-02-01")
    book = load_workbook(cli.folder / "r.xlsx")
    found = {
        c.value: c
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for c in row
        if isinstance(c.value, str)
    }
    assert not [c for c in found.values() if c.data_type == "f"]
    assert found[names["X01"]].quotePrefix
    assert "+1\ufffd chuông" in found


def test_fifteen_hundred_committees_child_first_import_and_a_chain_too_deep_is_refused(
    cli: Cli,
) -> None:
    tree = ["code,name,kind,parent_code"] + [
        f"C{i},Ủy ban {i},committee," + (f"C{i // 2}" if i > 1 else "") for i in range(1500, 0, -1)
    ]
    (cli.folder / "tree.csv").write_text("\n".join(tree) + "\n", encoding="utf-8")
    assert "đã nhập 1500" in cli("units", "import", "tree.csv").stdout
    # a chain of 1,500 levels: PostgreSQL could not index its paths; refused by row
    chain = ["code,name,kind,parent_code"] + [
        f"D{i},Chuỗi {i},committee," + (f"D{i - 1}" if i else "") for i in range(1499, -1, -1)
    ]
    (cli.folder / "chain.csv").write_text("\n".join(chain) + "\n", encoding="utf-8")
    said = refused(cli, "units", "import", "chain.csv")
    assert "D100 sẽ nằm sâu 101 cấp; tối đa 100" in said
    assert len(units(cli)) == 1500
