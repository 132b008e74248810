"""The meeting register's import checks (pure): headers as the e-handbook export spells
them, and every bad row named by its row number and the file's own column header."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from workflow.errors import ImportRefused
from workflow.meeting_rows import check_meeting_rows, normalise, parse_date
from workflow.rules.meeting_record import Meeting

UNITS = {"CB-THON1", "CB-KP3"}
VI_HEADER = (
    "Mã tổ chức,Ngày,Loại,Thời lượng (phút),Có mặt,Vắng có lý do,Vắng không lý do,"
    "Số ý kiến,DS vắng có lý do,DS vắng không lý do"
)


def check(text: str) -> list[Meeting]:
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    return check_meeting_rows("so-tay.csv", list(reader.fieldnames or []), rows, UNITS)


def refused(text: str) -> list[tuple[int, str]]:
    with pytest.raises(ImportRefused) as caught:
        check(text)
    assert "so-tay.csv" in str(caught.value)
    return [(p.row, p.column) for p in caught.value.problems]


def test_vietnamese_headers_with_accents_are_read() -> None:
    (meeting,) = check(
        f"{VI_HEADER}\nCB-THON1,05/03/2025,Thường kỳ,95,10,1,1,4,DV-03,DV-07\n"
    )
    assert (meeting.unit_code, meeting.held_on, meeting.kind) == (
        "CB-THON1", date(2025, 3, 5), "regular"
    )
    assert (meeting.duration_min, meeting.present, meeting.speakers) == (95, 10, 4)
    assert meeting.absent_excused_ids == ("DV-03",)
    assert meeting.absent_unexcused_ids == ("DV-07",)


def test_english_aliases_and_kinds_are_accepted() -> None:
    text = (
        "unit,date,kind,duration_min,present,absent_excused,absent_unexcused,speakers\n"
        "CB-KP3,2025-04-10,combined,125,24,1,0,8\n"
        "CB-KP3,11/4/2025,thematic,90,25,0,0,7\n"
    )
    assert [m.kind for m in check(text)] == ["combined", "thematic"]


def test_normalise_drops_accents_case_and_punctuation() -> None:
    assert normalise("Thời lượng (phút)") == "thoi_luong_phut"
    assert normalise("  ĐS vắng KHÔNG lý do ") == "ds_vang_khong_ly_do"


@pytest.mark.parametrize("text", ["31/04/2025", "05/13/2025", "2025/03/05", "5-3-2025", ""])
def test_impossible_or_foreign_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_a_missing_required_column_is_named_on_row_1() -> None:
    text = "ma_to_chuc,ngay,loai,thoi_luong_phut,co_mat,vang_co_ly_do,so_y_kien\n"
    assert refused(text) == [(1, "vang_khong_ly_do")]


def test_each_bad_cell_is_named_by_row_and_column() -> None:
    text = (
        f"{VI_HEADER}\n"
        "CB-THON1,05/03/2025,Thường kỳ,95,10,1,1,4,DV-03,DV-07\n"
        "CB-THON9,31/02/2025,họp,-5,10,1,0,4,DV-03,\n"
        "CB-THON1,06/03/2025,chuyen_de,95,3,0,0,4,,\n"
        "CB-THON1,07/03/2025,chuyen_de,95,10,2,0,4,DV-03,\n"
        "CB-THON1,08/03/2025,chuyen_de,95,10,1,1,4,DV-03,DV-03\n"
    )
    assert refused(text) == [
        (3, "Mã tổ chức"),
        (3, "Ngày"),
        (3, "Loại"),
        (3, "Thời lượng (phút)"),
        (4, "Số ý kiến"),  # more speakers than members present
        (5, "DS vắng có lý do"),  # two absent with reason, one listed
        (6, "DS vắng không lý do"),  # absent both with and without a reason
    ]


def test_the_same_meeting_twice_in_a_file_is_refused() -> None:
    text = (
        f"{VI_HEADER}\n"
        "CB-THON1,05/03/2025,thuong_ky,95,10,1,1,4,DV-03,DV-07\n"
        "CB-THON1,5/3/2025,regular,100,11,1,0,5,DV-03,\n"
    )
    with pytest.raises(ImportRefused) as caught:
        check(text)
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (3, "Ngày")
    assert "row 2" in problem.message


def test_blank_lines_are_skipped_and_rows_keep_their_numbers() -> None:
    text = (
        f"{VI_HEADER}\n"
        ",,,,,,,,,\n"
        "CB-THON1,05/03/2025,thuong_ky,95,10,0,0,4,,\n"
        "CB-KP3,x,thuong_ky,95,10,0,0,4,,\n"
    )
    assert refused(text) == [(4, "Ngày")]
