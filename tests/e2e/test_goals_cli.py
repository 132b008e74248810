"""Seed 004's two targets where a secretariat reads them: `targets show` says the goals
(not "target —; 0 short") and the Word and Excel reports show each goal with its gap in
units. 20 cells of one district, none a model cell yet, 17 rated good."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from openpyxl import load_workbook

from tests.e2e.test_cli import Cli

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
