"""Evidence from the command line: the registry's Excel export imported, a verdict read,
a bulk appraisal tried dry then applied, a target set, and the year's report in Excel
holding the same figures as `status --json`."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from tests.conftest import GOOD_EVALUATION
from tests.support.cli import UNITS_CSV, Cli

HEADER = ["Mã tổ chức", "Mã đảng viên", "Họ tên", "Tình trạng", "Ngày vào Đảng", "Xếp loại",
          "Giai đoạn", "Ngày xếp loại"]


def registry_xlsx(path: Path) -> None:
    """As the member registry exports it: real date cells, Vietnamese headers and words."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    final = date(2026, 1, 12)
    levels = ["Hoàn thành xuất sắc nhiệm vụ"] * 2 + ["Hoàn thành tốt nhiệm vụ"] * 8 + [
        "Hoàn thành nhiệm vụ"
    ] * 2
    for i, level in enumerate(levels, start=1):  # thôn 1: 10 of 12 good
        sheet.append(["CB-THON1", f"DV{i:03d}", f"Đảng viên {i}", "Đang sinh hoạt",
                      date(2012, 3, 1), level, "Chính thức", final])
    # the school's maths cell: 6 of 10 good, one exempt from activities
    for i in range(1, 11):
        level = "Hoàn thành tốt nhiệm vụ" if i <= 6 else "Hoàn thành nhiệm vụ"
        sheet.append(["DB-TRUONG-1", f"TT{i:03d}", f"Giáo viên {i}", "Đang sinh hoạt",
                      date(2015, 9, 5), level, "Chính thức", final])
    sheet.append(["DB-TRUONG-1", "TT099", "Giáo viên nghỉ hưu", "Miễn sinh hoạt",
                  date(1980, 1, 1), None, "Chính thức", None])
    sheet.append(["DB-TRUONG-1", None, None, None, None, "Hoàn thành tốt nhiệm vụ",
                  "Chính thức", final])
    book.save(path)


def drive(cli: Cli, event: str, now: str, *extra: str) -> dict[str, Any]:
    done = cli("bulk", event, "--year", "2025", "--under", "X01", "--actor", "bithu",
               "--role", "unit_secretary", "--now", now, "--json", *extra)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def proposed(cli: Cli) -> Cli:
    """The five units (tests/e2e/conftest.py), their three cells proposed, the ratings in."""
    cli("cycle", "open", "--year", "2025", "--now", "2025-01-05")
    for event, now, extra in (
        ("register", "2025-02-20T09:00", ["--data", '{"plan": "KH-05"}']),
        ("start", "2025-02-21T09:00", []),
        ("self_evaluate", "2025-12-10T09:00", ["--data", json.dumps(GOOD_EVALUATION)]),
        ("propose", "2025-12-28T09:00", []),
    ):
        assert drive(cli, event, now, *extra)["counts"] == {"applied": 3}
    registry_xlsx(cli.folder / "xep-loai-2025.xlsx")
    out = cli("ratings", "import", "xep-loai-2025.xlsx", "--year", "2025").stdout
    assert "đã nhập 24 kết quả xếp loại mới" in out
    return cli


def test_bulk_appraisal_dry_then_real_and_the_report_in_excel(proposed: Cli) -> None:
    cli = proposed
    verdict = cli.json("verdict", "CB-THON1", "--year", "2025")
    assert verdict["passed"] is True
    maths = cli("verdict", "DB-TRUONG-1", "--year", "2025", "--lang", "en").stdout
    assert "FAILS" in maths and "Share of members rated good or better: 60 %" in maths

    tables = ("cycle", "transition", "audit_event", "deadline", "timer")
    before = {t: cli.rows(f"SELECT * FROM {t}") for t in tables}
    dry = json.loads(cli("bulk", "appraise", "--year", "2025", "--under", "X01", "--actor",
                         "btc.x01", "--role", "superior_org_board", "--now", "2026-01-20",
                         "--dry-run", "--json").stdout)
    assert {t: cli.rows(f"SELECT * FROM {t}") for t in tables} == before
    results = {i["unit"]: i["result"] for i in dry["items"]}
    # the committee has only one cell in this file, rated good: it passes on its cells
    assert results == {"CB-THON1": "would_apply", "DB-TRUONG": "would_apply",
                       "DB-TRUONG-1": "refused"}
    real = json.loads(cli("bulk", "appraise", "--year", "2025", "--under", "X01", "--actor",
                          "btc.x01", "--role", "superior_org_board", "--now", "2026-01-20",
                          "--json").stdout)
    assert {i["unit"]: i["result"] for i in real["items"]} == {
        "CB-THON1": "applied", "DB-TRUONG": "applied", "DB-TRUONG-1": "refused"
    }
    assert [i["failing_checks"] for i in real["items"]] == [
        i["failing_checks"] for i in dry["items"]
    ]
    recognised = json.loads(cli("bulk", "recognise", "--year", "2025", "--under", "X01",
                                "--actor", "btv.x01", "--role", "superior_standing_committee",
                                "--decision", "125-QĐ/ĐU", "--now", "2026-03-02",
                                "--json").stdout)
    assert recognised["counts"] == {"applied": 2}

    cli("targets", "set", "X01", "--year", "2025", "--share", "90", "--assigned-on",
        "20/01/2025", "--now", "2025-01-20")
    status = cli.json("status", "--year", "2025", "--under", "X01", "--now", "2026-03-20")
    assert status["targets"]["bon-tot"] == {"counted": 2, "recognized": 2, "share": 100.0,
                                            "target": 90.0, "gap_units": 0}

    cli("report", "--year", "2025", "--under", "X01", "--format", "xlsx", "--output",
        "bao-cao.xlsx", "--now", "2026-03-20")
    book = load_workbook(cli.folder / "bao-cao.xlsx")
    units = book["Đơn vị"]
    header = [c.value for c in units[5]]  # below the title block
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in units.iter_rows(min_row=6,
                                                                             values_only=True)
            if r[1] is not None}
    assert set(rows) == {"CB-THON1", "DB-TRUONG", "DB-TRUONG-1"}
    thon1 = rows["CB-THON1"]
    assert thon1["Giai đoạn"] == "Được công nhận"
    assert thon1["Loại tổ chức"] == "Chi bộ cơ sở"
    assert thon1["Ngày đề nghị công nhận"].date() == date(2025, 12, 28)
    date_column = header.index("Ngày đề nghị công nhận") + 1
    assert {units.cell(row=r, column=date_column).number_format for r in (7, 8, 9)} == {
        "DD/MM/YYYY"
    }
    assert thon1["Kết quả thẩm định theo tiêu chuẩn"] == "Đạt"
    maths_row = rows["DB-TRUONG-1"]
    assert maths_row["Kết quả thẩm định theo tiêu chuẩn"] is None  # refused: not appraised
    assert maths_row["Giai đoạn"] == "Đã đề nghị công nhận"

    summary = book["Tổng hợp"]
    s_header = [c.value for c in summary[5]]
    total = next(dict(zip(s_header, r, strict=True)) for r in summary.iter_rows(
        min_row=6, values_only=True) if r[0] == "Tổng cộng")
    # the same figures as `status --json`, per stage (outcomes are not split here)
    by_state: dict[str, int] = {}
    for row in status["states"]:
        label = row["label"]["vi"].split(" — ")[0]
        by_state[label] = by_state.get(label, 0) + row["count"]
    for label, count in by_state.items():
        assert total[label] == count
    assert total["Tổng số đơn vị"] == status["total"]
    figures = status["targets"]["bon-tot"]
    assert (total["Số tổ chức cơ sở đảng"], total["Được công nhận"], total["Tỷ lệ"] * 100,
            total["Chỉ tiêu"] * 100, total["Còn thiếu (đơn vị)"]) == (
        figures["counted"], figures["recognized"], figures["share"], figures["target"],
        figures["gap_units"])

    as_json = json.loads(cli("report", "--year", "2025", "--under", "X01", "--format", "json",
                             "--now", "2026-03-20").stdout)
    x01_json = next(s for s in as_json["superiors"] if s["unit"] == "X01")
    assert x01_json["targets"] == status["targets"]
    english = cli("report", "--year", "2025", "--under", "X01", "--format", "csv",
                  "--lang", "en", "--now", "2026-03-20").stdout
    lines = list(csv.DictReader(io.StringIO(english.lstrip("\ufeff")), delimiter=";"))
    assert {r["Unit code"]: r["Proposal (date)"] for r in lines}["CB-THON1"] == "28/12/2025"
    assert {r["Unit code"]: r["Kind"] for r in lines}["CB-THON1"] == "Grassroots party cell"


def test_a_bad_row_in_the_excel_export_names_it_and_imports_nothing(
    tmp_path: Path, db_url: str
) -> None:
    cli = Cli(tmp_path, db_url)
    cli("init")
    (tmp_path / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
    cli("units", "import", "units.csv")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(["CB-THON1", "DV1", "A", "", None, "Tốt", "Chính thức", date(2026, 1, 5)])
    sheet.append([None] * len(HEADER))  # a blank row: the bad one below is still row 4
    sheet.append(["CB-THON1", "DV2", "B", "", None, "Giỏi", "Chính thức", date(2026, 1, 5)])
    book.save(tmp_path / "xl.xlsx")
    done = cli("ratings", "import", "xl.xlsx", "--year", "2025", ok=False)
    assert done.returncode != 0
    assert "dòng 4, cột «Xếp loại»" in done.stderr and "không nhập dòng nào" in done.stderr
    assert cli.rows("SELECT COUNT(*) FROM rating") == [(0,)]
