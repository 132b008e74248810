"""Mutated units, ratings and meeting files fed to the import reader and the core's checks
(run by test_hostile_imports.py in a subprocess whose memory is capped).

Each example starts from a good file, as CSV or xlsx, and mutates it: hostile cells (NUL,
control characters, `²`, huge numbers, 200 KB fields, formulas, quotes, delimiters, BOMs),
lines dropped, repeated or cut, another encoding, bytes flipped. Whatever comes of it must
be an import that passes, or a refusal that locates itself: each bad cell by row and
column, or the file by name for what is wrong with it as a whole. Anything else (a
traceback, an error of another type) fails."""

from __future__ import annotations

import resource
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.tabular import read_sheet
from tests.support.hostile_files import workbook
from workflow.errors import BontotError, ImportRefused
from workflow.evidence.ratings import check_rating_rows
from workflow.meeting_rows import check_meeting_rows
from workflow.units import check_units

UNITS = [
    ["Mã tổ chức", "Tên", "Loại", "Loại hình", "Mã cấp trên", "Số đảng viên",
     "lien_he_unit_secretary"],
    ["X01", "Đảng ủy xã Tân Lập", "committee", "village", "", "0", ""],
    ["DB1", "Đảng bộ Trường", "grassroots_committee", "administrative", "X01", "30", ""],
    ["CB1", "Chi bộ Tổ Toán", "subordinate_cell", "administrative", "DB1", "10", "bt@x.vn"],
]  # fmt: skip
RATINGS = [
    ["ma_to_chuc", "ma_dang_vien", "ho_ten", "tinh_trang", "xep_loai", "giai_doan",
     "ngay_xep_loai"],
    ["CB1", "DV1", "Nguyễn Văn A", "Đang sinh hoạt", "Tốt", "Chính thức", "12/01/2026"],
    ["CB1", "DV2", "Trần Thị B", "Đang sinh hoạt", "Xuất sắc", "Tạm thời", "2025-12-20"],
    ["CB1", "", "", "", "Hoàn thành tốt nhiệm vụ", "Chính thức", "20/01/2026"],
]  # fmt: skip
MEETINGS = [
    ["ma_to_chuc", "ngay", "loai", "thoi_luong_phut", "co_mat", "vang_co_ly_do",
     "vang_khong_ly_do", "so_y_kien", "ds_vang_co_ly_do"],
    ["CB1", "05/03/2025", "thuong_ky", "90", "9", "1", "0", "4", "DV7"],
    ["CB1", "2025-04-05", "chuyen_de", "120", "10", "0", "0", "6", ""],
]  # fmt: skip
KNOWN = {"X01": "committee", "DB1": "grassroots_committee", "CB1": "subordinate_cell"}


def check(kind: str, header: list[str], rows: list[dict[str, str]]) -> object:
    if kind == "units":
        return check_units("f", header, rows, {}, {"unit_secretary": "unit_secretary"})
    if kind == "ratings":
        return check_rating_rows("f", header, rows, KNOWN, 2025)
    return check_meeting_rows("f", header, rows, KNOWN)


SEEDS = {"units": UNITS, "ratings": RATINGS, "meetings": MEETINGS}
HOSTILE = [
    "\x00", "\x07", "\r", "\n", "\t", '"', ",", ";", "²", "١٢", "9" * 5000, "-1", "1e309",
    "NaN", "=SUM(A1:A9)", '=HYPERLINK("http://x","y")', "@x", "+1", "\ufeff", "\u0301",
    "x" * 200_000, "31/02/2025", "0001-01-01", "99/99/9999", "CB1", "", " ", "\u2028",
    "Đ" * 3000, "a\u0000b",
]  # fmt: skip


@st.composite
def table(draw: Any) -> tuple[str, list[list[str]]]:
    kind = draw(st.sampled_from(sorted(SEEDS)))
    rows = [list(line) for line in SEEDS[kind]]
    for _ in range(draw(st.integers(0, 6))):
        line = draw(st.integers(0, len(rows) - 1))
        if not rows[line]:
            continue
        column = draw(st.integers(0, len(rows[line]) - 1))
        what = draw(st.sampled_from(["replace", "append", "drop_line", "repeat_line", "cut"]))
        token = draw(st.sampled_from(HOSTILE) | st.text(max_size=12))
        if what == "replace":
            rows[line][column] = token
        elif what == "append":
            rows[line][column] += token
        elif what == "drop_line" and len(rows) > 1:
            rows.pop(line)
        elif what == "repeat_line":
            rows.insert(line, list(rows[line]))
        else:
            rows[line] = rows[line][:column]
    return kind, rows


def as_csv(rows: list[list[str]], delimiter: str) -> str:
    def quoted(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in '",;\t\r\n') else cell

    return "".join(delimiter.join(quoted(c) for c in line) + "\r\n" for line in rows)


def encoded(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


@given(
    table(),
    st.sampled_from(["csv", "xlsx"]),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "cp1258"]),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=3),
    st.integers(0, 10**6) | st.none(),
)
@settings(
    max_examples=int(sys.argv[1]) if len(sys.argv) > 1 else 60,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def imports_cleanly(
    drawn: tuple[str, list[list[str]]],
    fmt: str,
    delimiter: str,
    encoding: str,
    flips: list[tuple[int, int]],
    cut: int | None,
) -> None:
    kind, rows = drawn
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"file.{fmt}"
        if fmt == "xlsx":
            try:
                workbook(path, rows)
            except Exception:  # openpyxl will not write some cells (control characters)
                return
            data = bytearray(path.read_bytes())
        else:
            data = bytearray(encoded(as_csv(rows, delimiter), encoding))
        for at, value in flips:
            if data:
                data[at % len(data)] = value
        if cut is not None and data:
            data = data[: cut % len(data)]
        path.write_bytes(bytes(data))
        outcome(lambda: check(kind, *read_sheet(path, name="file")))


def outcome(attempt: Callable[[], object]) -> None:
    try:
        attempt()
    except ImportRefused as refused:
        assert refused.problems, "a refusal names its rows"
        for problem in refused.problems:
            assert problem.row >= 1 and problem.column, problem
    except BontotError as exc:
        assert str(exc).startswith(("file:", "f:")), exc  # names the file


def main() -> None:
    limit = 1024 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    imports_cleanly()
    print("ok")


if __name__ == "__main__":
    main()
