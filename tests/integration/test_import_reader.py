"""The one reader of units, ratings and meetings files: what spreadsheets users really
save is read, what cannot be read exactly is refused with its reason, and a hostile
.xlsx is refused in bounded memory (a subprocess under RLIMIT_AS) without being opened."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path

import pytest

from adapters.tabular import read_sheet
from tests.support import hostile_files as hf
from workflow.errors import BontotError, ImportRefused
from workflow.units import check_units

UNITS_VI = [
    ["Mã tổ chức", "Tên", "Loại", "Loại hình", "Mã cấp trên", "Số đảng viên"],
    ["X01", "Đảng ủy xã Tân Lập", "committee", "village", "", "0"],
    ["CB-THON1", "Chi bộ thôn 1", "grassroots_cell", "village", "X01", "12"],
]


def csv_text(rows: list[list[str]], delimiter: str) -> str:
    return "".join(delimiter.join(line) + "\r\n" for line in rows)


def units_of(path: Path) -> list[tuple[str, str, int]]:
    header, rows = read_sheet(path)
    checked = check_units(path.name, header, rows, {})
    return [(u.code, u.name, u.member_count) for u in checked.units]


def windows_1258(text: str) -> bytes:
    """As Windows-1258 holds Vietnamese: a letter it has precomposed, else a base letter
    it has (â, ơ, ư...) and the combining tone mark."""
    out = b""
    for char in text:
        base, *marks = unicodedata.normalize("NFD", char)
        options = (
            [char]
            + [
                unicodedata.normalize("NFC", base + mark) + "".join(marks[:i] + marks[i + 1 :])
                for i, mark in enumerate(marks)
            ]
            + [base + "".join(marks)]
        )
        for option in options:
            try:
                out += option.encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            raise AssertionError(f"{char!r} has no Windows-1258 spelling")
    return out


EXPECTED = [("X01", "Đảng ủy xã Tân Lập", 0), ("CB-THON1", "Chi bộ thôn 1", 12)]


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [
        (";", "utf-8-sig"),  # a Vietnamese Excel's "CSV UTF-8"
        (",", "utf-8"),
        ("\t", "utf-16"),  # Excel's "Unicode Text": UTF-16 with a BOM, tab separated
        (",", "utf-16-le"),  # UTF-16 without a BOM
    ],
)
def test_a_units_file_is_read_whatever_the_delimiter_and_unicode_encoding(
    tmp_path: Path, delimiter: str, encoding: str
) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(csv_text(UNITS_VI, delimiter).encode(encoding))
    assert units_of(path) == EXPECTED


def test_the_same_units_file_as_xlsx_even_named_csv(tmp_path: Path) -> None:
    assert units_of(hf.workbook(tmp_path / "units.xlsx", UNITS_VI)) == EXPECTED
    # told by its content: an .xlsx saved under a .csv name is still a workbook
    renamed = tmp_path / "units.csv"
    renamed.write_bytes((tmp_path / "units.xlsx").read_bytes())
    assert units_of(renamed) == EXPECTED


def test_text_is_normalised_to_nfc(tmp_path: Path) -> None:
    decomposed = [[unicodedata.normalize("NFD", c) for c in line] for line in UNITS_VI]
    path = tmp_path / "units.csv"
    path.write_text(csv_text(decomposed, ","), encoding="utf-8")
    assert units_of(path) == EXPECTED


def test_a_windows_1258_file_is_refused_naming_the_encoding_to_save_as(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(windows_1258(csv_text(UNITS_VI, ",")))
    with pytest.raises(BontotError, match=r"Windows-1258.*CSV UTF-8") as caught:
        read_sheet(path)
    assert not isinstance(caught.value, ImportRefused)
    with pytest.raises(BontotError, match=r"not UTF-8 text .*CSV UTF-8"):
        read_sheet(path, lang="en")


def test_an_old_xls_is_refused_with_how_to_save_it(tmp_path: Path) -> None:
    path = tmp_path / "units.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(BontotError, match=r"97-2003.*xlsx"):
        read_sheet(path)


def test_a_200_kb_field_and_a_nul_are_named_by_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    rows = [*UNITS_VI, ["CB-2", "x" * 200_000, "grassroots_cell", "village", "X01", "1"]]
    path.write_text(csv_text(rows, ","), encoding="utf-8")
    with pytest.raises(ImportRefused) as caught:
        read_sheet(path)
    assert [p.row for p in caught.value.problems] == [4]

    nul = ["CB-3", "Chi\x00bộ", "grassroots_cell", "village", "X01", "1"]
    path.write_text(csv_text([*UNITS_VI, nul], ","), encoding="utf-8")
    with pytest.raises(ImportRefused) as caught:
        read_sheet(path)
    assert [(p.row, p.column) for p in caught.value.problems] == [(4, "Tên")]


def test_a_field_longer_than_the_limit_in_an_xlsx_is_named(tmp_path: Path) -> None:
    path = hf.workbook(tmp_path / "units.xlsx", [*UNITS_VI, ["CB-2", "y" * 20_000]])
    with pytest.raises(ImportRefused) as caught:
        read_sheet(path)
    assert [(p.row, p.column) for p in caught.value.problems] == [(4, "Tên")]


def test_a_formula_without_its_computed_value_is_a_row_error_not_an_empty_rating(
    tmp_path: Path,
) -> None:
    header = ["ma_to_chuc", "ma_dang_vien", "xep_loai", "giai_doan", "ngay_xep_loai"]
    path = hf.workbook(
        tmp_path / "xep-loai.xlsx",
        [header, ["CB1", "DV1", "Tốt", "Chính thức", "12/01/2026"],
         ["CB1", "DV2", '=IF(1,"Tốt","Khá")', "Chính thức", "12/01/2026"]],
    )  # fmt: skip
    with pytest.raises(ImportRefused, match=r"chưa có giá trị đã tính") as caught:
        read_sheet(path)
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, "xep_loai")]


def test_a_formula_with_its_cached_value_reads_as_the_value(tmp_path: Path) -> None:
    # as Excel saves it: <f> with the value it computed in <v>
    sheet = [
        hf.SHEET_HEAD,
        hf.header_row(["ma_to_chuc", "so_dang_vien"]),
        '<row r="2"><c r="A2" t="inlineStr"><is><t>CB1</t></is></c>'
        '<c r="B2"><f>6*2</f><v>12</v></c></row>',
        hf.SHEET_TAIL,
    ]
    _, rows = read_sheet(hf.raw_xlsx(tmp_path / "cached.xlsx", sheet))
    assert rows == [{"ma_to_chuc": "CB1", "so_dang_vien": "12"}]


# -- hostile workbooks, each read in a subprocess whose address space is capped -------------
LIMIT_BYTES = 1536 * 1024 * 1024
COLUMNS = ["ma_to_chuc", "ten", "loai", "ma_cap_tren"]


def read_capped(path: Path) -> str:
    """What the reader says about `path` in a process that may not grow past
    LIMIT_BYTES: 'rows N' or 'refused: ...'; a crash or a traceback fails the test."""
    script = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({LIMIT_BYTES}, {LIMIT_BYTES}))
        from pathlib import Path
        from adapters.tabular import read_sheet
        from workflow.errors import BontotError
        try:
            header, rows = read_sheet(Path(sys.argv[1]))
        except BontotError as exc:
            print("refused:", str(exc).splitlines()[0])
        else:
            print("rows", len(rows))
    """)
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout.strip()


def test_a_zip_bomb_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    path = hf.raw_xlsx(tmp_path / "bomb.xlsx", hf.bomb_sheet(COLUMNS, 400))
    assert path.stat().st_size < 2 * 1024 * 1024
    assert read_capped(path).startswith("refused:")


def test_a_sheet_of_a_million_empty_rows_is_refused(tmp_path: Path) -> None:
    path = hf.raw_xlsx(tmp_path / "empty.xlsx", hf.million_empty_rows(COLUMNS))
    assert read_capped(path).startswith("refused:")


def test_one_huge_shared_string_is_refused(tmp_path: Path) -> None:
    sheet, shared = hf.huge_shared_string(COLUMNS, 300)
    path = hf.raw_xlsx(tmp_path / "shared.xlsx", sheet, shared)
    assert read_capped(path).startswith("refused:")


def test_a_sheet_claiming_the_last_row_reads_in_bounds(tmp_path: Path) -> None:
    # a tiny file whose one data row is row 1,048,576: nothing real lies between
    sheet = [hf.SHEET_HEAD, hf.header_row(COLUMNS),
             '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>X</t></is></c></row>',
             hf.SHEET_TAIL]  # fmt: skip
    said = read_capped(hf.raw_xlsx(tmp_path / "far.xlsx", sheet))
    assert said.startswith("refused:") and "300000" in said
