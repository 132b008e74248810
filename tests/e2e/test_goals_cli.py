"""Seed 004's two targets where a secretariat reads them: `targets show` says the goals
(not "target —; 0 short") and the Word and Excel reports show each goal with its gap in
units. 20 cells of one district, none a model cell yet, 17 rated good."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from openpyxl import load_workbook

from tests.support.cli import Cli

NOW = "2026-03-20"


def district(tmp_path: Path, db_url: str) -> Cli:
    runner = Cli(tmp_path, db_url)
    runner("init")
    units = [
        "code,name,kind,type,parent_code,member_count",
        "T,Tỉnh ủy mẫu,committee,other,,0",
        "H,Huyện ủy mẫu,committee,other,T,0",
    ]
    units += [f"CB{i:02d},Chi bộ {i},grassroots_cell,village,H,12" for i in range(1, 21)]
    (tmp_path / "units.csv").write_text("\n".join(units) + "\n", encoding="utf-8")
    runner("units", "import", "units.csv")
    runner(
        "cycle", "open", "--year", "2025", "--definition", "chi-bo-kieu-mau", "--now", "2025-01-05"
    )
    ratings = ["ma_to_chuc,ma_dang_vien,xep_loai,giai_doan,ngay_xep_loai"] + [
        f"CB{i:02d},,{'tot' if i <= 17 else 'hoan_thanh'},chinh_thuc,15/01/2026"
        for i in range(1, 21)
    ]
    (tmp_path / "r.csv").write_text("\n".join(ratings) + "\n", encoding="utf-8")
    runner("ratings", "import", "r.csv", "--year", "2025")
    return runner  # fmt: skip


def test_goals_only_targets_are_said_as_goals_in_targets_show_and_status(
    tmp_path: Path, db_url: str
) -> None:
    cli = district(tmp_path, db_url)
    shown = cli("targets", "show", "--year", "2025", "--now", NOW).stdout
    assert "chỉ tiêu —" not in shown and "còn thiếu 0" not in shown
    assert "được công nhận (20 đơn vị quá hạn; chỉ tiêu theo từng mục dưới đây)" in shown
    assert "Trên 20 % chi bộ đạt chi bộ kiểu mẫu: 0/20" in shown
    status = cli("status", "--year", "2025", "--under", "H", "--now", NOW).stdout
    assert "(chỉ tiêu theo từng mục dưới đây)" in status
    english = cli("status", "--year", "2025", "--now", NOW, "--lang", "en").stdout
    assert "(target as listed below)" in english


def test_the_word_and_excel_reports_show_each_goal_with_its_gap(
    tmp_path: Path, db_url: str
) -> None:
    cli = district(tmp_path, db_url)
    cli("documents", "report", "--year", "2025", "--under", "H", "--output", "bc.docx",
        "--now", NOW)  # fmt: skip
    text = "\n".join(p.text for p in Document(str(tmp_path / "bc.docx")).paragraphs)
    assert "Số đơn vị: 20; được công nhận: 0" in text
    assert (
        "Trên 20 % chi bộ đạt chi bộ kiểu mẫu: 0/20 = 0,0 % (yêu cầu > 20 %) — chưa "
        "đạt, còn thiếu 5 đơn vị." in text
    )
    assert (
        "Từ 90 % chi bộ trở lên hoàn thành tốt nhiệm vụ: 17/20 = 85,0 % (yêu cầu ≥ 90 %)"
        " — chưa đạt, còn thiếu 1 đơn vị." in text
    )
    assert "chỉ tiêu —" not in text
    cli("report", "--year", "2025", "--under", "H", "--output", "bc.xlsx", "--now", NOW)
    sheet = load_workbook(tmp_path / "bc.xlsx")["Chỉ tiêu"]
    rows = [r for r in sheet.iter_rows(values_only=True) if r and isinstance(r[0], int)]
    assert [(r[1], r[4], r[5], r[6], r[7], r[8]) for r in rows] == [
        ("H", "> 20 %", 0, 20, "chưa đạt", 5),
        ("H", "≥ 90 %", 17, 20, "chưa đạt", 1),
    ]


def test_the_board_shows_seed_004_s_pilot_of_1_to_3_cells_per_type_per_district(
    tmp_path: Path, db_url: str
) -> None:
    """2022, one district: 5 village cells of which 2 pilot (within 1-3), 5 administrative
    cells (3 grassroots, 2 under a school's committee) of which 4 pilot (over 3)."""
    cli = Cli(tmp_path, db_url)
    cli("init")
    units = [
        "code,name,kind,type,parent_code,member_count",
        "T,Tỉnh ủy Thái Bình,committee,other,,0",
        "H,Huyện ủy Vũ Thư,committee,other,T,0",
        "DB,Đảng bộ Trường THPT,grassroots_committee,administrative,H,20",
    ]
    units += [f"TH{i},Chi bộ thôn {i},grassroots_cell,village,H,12" for i in range(1, 6)]
    units += [f"CQ{i},Chi bộ cơ quan {i},grassroots_cell,administrative,H,9" for i in (1, 2, 3)]
    units += [f"DB-{i},Chi bộ tổ {i},subordinate_cell,administrative,DB,10" for i in (1, 2)]
    (tmp_path / "units.csv").write_text("\n".join(units) + "\n", encoding="utf-8")
    cli("units", "import", "units.csv")
    cli("cycle", "open", "--year", "2022", "--definition", "chi-bo-kieu-mau", "--now", "2022-01-10")
    for code in ("TH1", "TH2", "CQ1", "CQ2", "CQ3", "DB-1"):
        cli(
            "fire",
            code,
            "register",
            "--year",
            "2022",
            "--actor",
            f"bithu.{code}",
            "--data",
            '{"plan": "KH-01"}',
            "--now",
            "2022-02-15T09:00",
        )
    status = cli("status", "--year", "2022", "--now", "2022-03-01").stdout
    assert (
        "Thí điểm từ đầu năm 2022: mỗi huyện chọn 1–3 chi bộ mỗi loại hình: 1/2 nhóm "
        "(cấp ủy × loại hình) đạt" in status
    )
    assert "H Huyện ủy Vũ Thư — cơ quan, đơn vị sự nghiệp: 4/5 chi bộ thí điểm (cần 1–3)" in status
    assert "thôn, tổ dân phố" not in status  # within bounds: not listed
    board = cli.json("status", "--year", "2022", "--now", "2022-03-01")
    assert [(r["org_type"], r["joined"], r["cells"], r["ok"])
            for r in board["pilot"]["chi-bo-kieu-mau"]] == [
        ("administrative", 4, 5, False), ("village", 2, 5, True)
    ]  # fmt: skip
    assert "Thí điểm" not in cli("status", "--year", "2023", "--now", "2023-03-01").stdout
