"""`bontot units move | merge | split | rename | dissolve | reorganise` as a province's
secretariat types them: each with a decision number, an effective day and --dry-run;
the tree as it stood on a day with `units list --on`."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from tests.support.cli import Cli

UNITS = """code,name,kind,type,parent_code,member_count
T01,Tỉnh ủy mẫu,committee,other,,0
H01,Huyện ủy Đông Hưng,committee,other,T01,0
CB-A1,Chi bộ thôn Đông,grassroots_cell,village,H01,12
CB-A2,Chi bộ thôn Bắc,grassroots_cell,village,H01,9
DB-B,Đảng bộ Trường THPT,grassroots_committee,administrative,H01,20
DB-B-1,Chi bộ Tổ Toán,subordinate_cell,administrative,DB-B,10
DB-B-2,Chi bộ Tổ Văn,subordinate_cell,administrative,DB-B,10
X01,Đảng ủy xã Đông Hưng,committee,village,T01,0
X02,Đảng ủy xã Đông Hà,committee,village,T01,0
X03,Đảng ủy xã Đông Quang,committee,village,T01,0
X04,Đảng ủy xã Đông Phong,committee,village,T01,0
"""
ON_THE_DAY = ("--decision", "1234-QĐ/TU", "--effective", "01/07/2025", "--now", "2025-07-01T08:00")


def province(tmp_path: Path, db_url: str) -> Cli:
    cli = Cli(tmp_path, db_url)
    cli("init")
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    cli("units", "import", "units.csv")
    cli("cycle", "open", "--year", "2025", "--now", "2025-01-05T08:00")
    return cli


def annex(path: Path) -> Path:
    """The decision's annex as a province writes it: one row per unit, today's codes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "new_code", "new_parent", "action"])
    sheet.append(["H01", None, None, "dissolve"])
    sheet.append(["CB-A1", None, "X01", None])
    sheet.append(["CB-A2", None, "X02", None])
    sheet.append(["DB-B", None, "X03", None])
    sheet.append(["X04", "X03", None, None])
    book.save(path)
    return path


def test_a_dry_run_says_what_the_real_run_then_does(tmp_path: Path, db_url: str) -> None:
    cli = province(tmp_path, db_url)
    mapping = annex(tmp_path / "phu-luc-qd-1234.xlsx")
    planned = cli.json("units", "reorganise", str(mapping), *ON_THE_DAY, "--dry-run")
    assert "H01" in [u["code"] for u in cli.json("units", "list")]  # nothing changed yet
    done = cli.json("units", "reorganise", str(mapping), *ON_THE_DAY)
    assert planned.pop("dry_run") is True and done.pop("dry_run") is False
    assert planned == done
    assert (done["moved"], done["ended"], done["cycles"]) == (3, 2, 5)
    listed = {u["code"]: u["parent_code"] for u in cli.json("units", "list")}
    assert listed == {
        "T01": None, "X01": "T01", "CB-A1": "X01", "X02": "T01", "CB-A2": "X02",
        "X03": "T01", "DB-B": "X03", "DB-B-1": "DB-B", "DB-B-2": "DB-B",
    }  # fmt: skip
    then = {u["code"]: u["parent_code"] for u in
            cli.json("units", "list", "--on", "30/06/2025")}  # fmt: skip
    assert then["CB-A1"] == "H01" and then["X04"] == "T01"
    assert "đã thực hiện" not in cli("audit", "verify").stdout  # (its own words)
    assert cli("audit", "verify").returncode == 0
    history = cli("history", "CB-A1", "--year", "2025").stdout
    assert "reorganise" in history


def test_each_command_takes_a_decision_and_refuses_what_it_cannot_do(
    tmp_path: Path, db_url: str
) -> None:
    cli = province(tmp_path, db_url)
    said = cli("units", "move", "CB-A1", "--to", "X01", *ON_THE_DAY, "--dry-run").stdout
    assert "quyết định 1234-QĐ/TU, hiệu lực từ 01/07/2025: chuyển 1 đơn vị" in said
    assert "CB-A1: H01 → X01" in said and "chạy thử: chưa thay đổi gì" in said
    english = cli("units", "move", "CB-A1", "--to", "X01", *ON_THE_DAY, "--lang", "en").stdout
    assert "decision 1234-QĐ/TU, in effect from 01/07/2025: 1 units moved" in english
    cli("units", "rename", "X04", "XA-DONGPHONG", *ON_THE_DAY)
    split = cli("units", "split", "DB-B", "--into", "X03", "--child", "DB-B-2=X03",
                *ON_THE_DAY, ok=False)  # fmt: skip
    assert "DB-B is a grassroots_committee and X03 a committee" in split.stderr
    refused = cli("units", "dissolve", "H01", *ON_THE_DAY, ok=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "H01 still has units under it (CB-A2, DB-B)" in refused.stderr
    early = cli("units", "merge", "CB-A2", "--into", "CB-A1", "--decision", "9-QĐ/TU",
                "--effective", "02/07/2025", "--now", "2025-07-01T08:00", ok=False)  # fmt: skip
    assert "record it on or after that day" in early.stderr
    both = cli("units", "merge", "CB-A2", "--into", "CB-A1", *ON_THE_DAY, ok=False)
    assert "CB-A2's 2025 cycle of bon-tot cannot go to CB-A1, which has its own" in both.stderr
    codes = [u["code"] for u in cli.json("units", "list")]
    assert "XA-DONGPHONG" in codes and "X04" not in codes and "H01" in codes
    assert cli("audit", "verify").returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("code,new_parent\nCB-A2,\n", encoding="utf-8")
    row = cli("units", "reorganise", str(bad), *ON_THE_DAY, ok=False)
    assert "dòng 2, cột «new_parent»: không có gì để làm" in row.stderr
