"""The `bontot` command line, end to end against a real database (each
backend; the demo's fresh-file default is SQLite's own)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES, GOOD_EVALUATION
from tests.e2e.conftest import DemoRun, demo
from tests.support import backends
from tests.support.cli import UNITS_CSV, Cli

#: The member registry's export: Vietnamese headers, levels as people write them. Cell
#: thôn 1: 12 members, 2 excellent and 8 good (10 of 12: 83 %), 2 completed.
RATINGS_HEADER = (
    "ma_to_chuc,ma_dang_vien,ho_ten,tinh_trang,ngay_vao_dang,xep_loai,giai_doan,ngay_xep_loai\n"
)
RATINGS_CSV = RATINGS_HEADER + "".join(
    f"CB-THON1,DV{i:03d},Đảng viên {i},Đang sinh hoạt,01/03/2010,{level},Chính thức,12/01/2026\n"
    for i, level in enumerate(
        ["Hoàn thành xuất sắc nhiệm vụ"] * 2 + ["Hoàn thành tốt nhiệm vụ"] * 8
        + ["Hoàn thành nhiệm vụ"] * 2,
        start=1,
    )
) + "CB-THON1,,,,,Hoàn thành tốt nhiệm vụ,Chính thức,20/01/2026\n"


def test_a_unit_goes_through_the_whole_cycle_from_the_cli(cli: Cli) -> None:
    opened = cli("cycle", "open", "--year", "2025", "--now", "2025-01-05").stdout
    assert "đã mở 3 chu kỳ năm 2025" in opened
    evaluation = json.dumps(GOOD_EVALUATION)
    steps = [
        ("register", "bithu.thon1", "2025-02-20T09:00", ["--data", '{"plan": "KH-05/KH-CB"}']),
        ("start", "bithu.thon1", "2025-02-21T09:00", []),
        ("self_evaluate", "bithu.thon1", "2025-12-10T09:00", ["--data", evaluation]),
        ("propose", "bithu.thon1", "2025-12-28T15:30", []),
        ("appraise", "btc.x01", "2026-01-20T10:00", []),
        ("recognize", "btv.x01", "2026-03-02T14:00", ["--data", '{"decision": "125-QĐ/ĐU"}']),
        ("report", "btc.x01", "2026-03-13T08:00", []),
    ]
    (cli.folder / "xep-loai-2025.csv").write_text(RATINGS_CSV, encoding="utf-8-sig")
    imported = cli("ratings", "import", "xep-loai-2025.csv", "--year", "2025").stdout
    assert "đã nhập 13 kết quả xếp loại mới" in imported
    for event, actor, now, extra in steps:
        result = json.loads(
            cli(
                "fire",
                "CB-THON1",
                event,
                "--year",
                "2025",
                "--actor",
                actor,
                "--now",
                now,
                "--json",
                *extra,
            ).stdout
        )
        assert result["applied"] is True and result["event"] == event
    history = cli.json("history", "CB-THON1", "--year", "2025")
    assert [e["event"] for e in history["entries"]] == ["open"] + [s[0] for s in steps]
    assert [e["actor"] for e in history["entries"][1:]] == [s[1] for s in steps]
    assert history["entries"][5]["role"] == "superior_org_board"
    # 28/12/2025 15:30 in Vietnam is 08:30 UTC
    assert history["entries"][4]["at"] == "2025-12-28T08:30:00.000000Z"
    text = cli("history", "CB-THON1", "--year", "2025", "--now", "2026-03-20").stdout
    assert "28/12/2025 15:30" in text and "btc.x01 / Ban Tổ chức cấp ủy cấp trên" in text
    assert "Được công nhận" in text
    english = cli("history", "CB-THON1", "--year", "2025", "--lang", "en").stdout
    assert "Recognised" in english


def test_a_refusal_exits_non_zero_with_the_reason_and_changes_nothing(cli: Cli) -> None:
    cli("cycle", "open", "--year", "2025")
    before = cli.rows("SELECT * FROM cycle ORDER BY id") + cli.rows(
        "SELECT * FROM transition ORDER BY id"
    )
    wrong_state = cli("fire", "CB-THON1", "propose", "--year", "2025", "--actor", "bt", ok=False)
    assert wrong_state.returncode == 3
    assert "khi đang ở trạng thái «Chưa đăng ký»" in wrong_state.stderr
    wrong_role = cli(
        "fire",
        "CB-THON1",
        "register",
        "--year",
        "2025",
        "--actor",
        "x",
        "--role",
        "superior_org_board",
        "--data",
        '{"plan": "p"}',
        ok=False,
    )
    assert wrong_role.returncode == 3
    assert (
        "vai trò «Ban Tổ chức cấp ủy cấp trên» không được «Đăng ký xây dựng mô hình»"
        in wrong_role.stderr
    )
    assert '"event": "transition.refused"' in wrong_role.stderr  # the refusal is logged
    after = cli.rows("SELECT * FROM cycle ORDER BY id") + cli.rows(
        "SELECT * FROM transition ORDER BY id"
    )
    assert after == before


def test_a_stale_expected_version_is_refused(cli: Cli) -> None:
    cli("cycle", "open", "--year", "2025")
    cli(
        "fire", "CB-THON1", "register", "--year", "2025", "--actor", "bt", "--data", '{"plan": "p"}'
    )
    stale = cli(
        "fire",
        "CB-THON1",
        "start",
        "--year",
        "2025",
        "--actor",
        "bt",
        "--if-version",
        "1",
        ok=False,
    )
    assert stale.returncode == 3 and "chu kỳ vừa thay đổi" in stale.stderr


def test_a_bad_import_names_row_and_column_and_imports_nothing(cli: Cli) -> None:
    bad = cli.folder / "bad.csv"
    bad.write_text(
        UNITS_CSV.splitlines()[0] + "\n"
        "X02,Đảng ủy phường,committee,village,T01,0,\n"
        "CB-KP3,Chi bộ khu phố 3,grassroots_cell,village,X02,mười,\n"
        "CB-KP4,Chi bộ khu phố 4,grassroots_cel,village,X02,8,\n"
        "CB-KP5,Chi bộ khu phố 5,grassroots_cell,village,X99,8,\n",
        encoding="utf-8",
    )
    before = cli.rows("SELECT code FROM unit ORDER BY code")
    done = cli("units", "import", "bad.csv", ok=False)
    assert done.returncode == 1
    assert "dòng 3, cột «member_count»: «mười» không phải số nguyên" in done.stderr
    # the kinds by their labels, as the definition writes them
    assert "dòng 4, cột «kind»: «grassroots_cel» không phải loại đơn vị; ghi một trong: " \
        "Cấp ủy cấp trên cơ sở, Đảng bộ cơ sở, Chi bộ cơ sở, Chi bộ trực thuộc" in done.stderr
    assert "dòng 5, cột «parent_code»: không có đơn vị «X99»" in done.stderr
    assert cli.rows("SELECT code FROM unit ORDER BY code") == before  # not even the good X02 row


def test_status_and_units_speak_json_with_codes_and_parents(cli: Cli) -> None:
    cli("cycle", "open", "--year", "2025", "--under", "DB-TRUONG")
    units = cli.json("units", "list", "--under", "X01")
    assert {(u["code"], u["parent_code"]) for u in units} == {
        ("X01", "T01"),
        ("CB-THON1", "X01"),
        ("DB-TRUONG", "X01"),
        ("DB-TRUONG-1", "DB-TRUONG"),
    }
    board = cli.json("status", "--year", "2025")
    assert board["total"] == 2  # only the subtree was opened
    assert board["targets"]["bon-tot"]["counted"] == 1  # the grassroots committee
    assert board["targets"]["bon-tot"]["target"] == 50


def test_definitions_commands(cli: Cli) -> None:
    listed = cli.json("definitions", "list")
    assert {"bon-tot", "chi-bo-kieu-mau"} <= {d["id"] for d in listed}
    assert "stateDiagram" in cli("definitions", "diagram", "bon-tot").stdout
    shown = cli.json("definitions", "show", "bon-tot-003-province-2023")
    assert shown["targets"]["recognized_share"] == 90 and shown["extends"] == "bon-tot"
    good = cli("definitions", "validate", str(FIXTURES / "definitions" / "small.yaml"))
    assert "ok" in good.stdout
    broken = FIXTURES / "definitions" / "broken" / "impossible_date.yaml"
    refused = cli("definitions", "validate", str(broken), ok=False)
    assert refused.returncode == 1 and f"{broken}:19" in refused.stderr


def demo_figures(url: str) -> tuple[Any, dict[str, int], int, int]:
    """(grassroots count, recognised), states, returned for revision, proposed late."""
    grassroots = backends.rows(
        url,
        "SELECT COUNT(*), SUM(CASE WHEN outcome = 'recognized' THEN 1 ELSE 0 END) FROM cycle "
        "WHERE unit_kind IN ('grassroots_committee', 'grassroots_cell')",
    )[0]
    states = dict(backends.rows(url, "SELECT state, COUNT(*) FROM cycle GROUP BY state"))
    returned = backends.rows(
        url, "SELECT COUNT(*) FROM transition WHERE event = 'return_for_revision'"
    )[0][0]
    late = backends.rows(
        url, "SELECT COUNT(*) FROM deadline WHERE key = 'propose' AND met_at > due_at"
    )[0][0]
    return grassroots, states, returned, late


def check_demo(done: subprocess.CompletedProcess[str], url: str) -> None:
    assert done.returncode == 0, done.stderr
    grassroots, states, returned, late = demo_figures(url)
    assert 150 <= grassroots[0] <= 250  # about 200 grassroots organisations
    assert f"{grassroots[1]}/{grassroots[0]}" in done.stdout  # the printed share is the data's
    assert "chỉ tiêu 50 %" in done.stdout
    # the share as Vietnamese write it: a decimal comma
    share = f"{grassroots[1] * 100 / grassroots[0]:.1f}".replace(".", ",")
    assert f"{grassroots[1]}/{grassroots[0]} = {share} %" in done.stdout
    # the realistic mix: lapsed (never registered), returned, late, not recognised
    assert states.get("lapsed", 0) > 0 and returned > 0 and late > 0
    assert grassroots[1] < grassroots[0]
    # its summary speaks Vietnamese and names the definition by its title, not its id
    first = done.stdout.splitlines()[0]
    assert re.match(r"[\d.]+ đơn vị, [\d.]+ chu kỳ theo «Chi bộ bốn tốt", first), first
    assert "bon-tot" not in first and "units" not in first


def test_demo_drives_a_province_through_the_year(tmp_path: Path) -> None:
    """The README's command: no URL, a fresh SQLite file in the current folder (this
    default is SQLite's by design; the same demo on PostgreSQL is the next test)."""
    done = demo(tmp_path)
    db = tmp_path / "bontot-demo.db"
    assert db.exists()
    check_demo(done, f"sqlite:///{db}")
    # a second demo in the same folder goes to a new file
    again = demo(tmp_path)
    assert again.returncode == 0 and (tmp_path / "bontot-demo-2.db").exists()


def test_the_demo_on_each_backend(demo_run: DemoRun, tmp_path: Path) -> None:
    check_demo(demo_run.done, demo_run.url)
    again = demo(tmp_path, "--db", demo_run.url)  # a named database is never reused
    assert again.returncode != 0 and "already holds units" in again.stderr


def test_a_2025_rating_whose_level_and_score_disagree_imports_nothing(cli: Cli) -> None:
    header = "ma_to_chuc,ma_dang_vien,xep_loai,diem,giai_doan,ngay_xep_loai\n"
    rows = (
        "CB-THON1,DV001,,92,Chính thức,12/01/2026\n"
        "CB-THON1,DV002,Hoàn thành xuất sắc nhiệm vụ,88,Chính thức,12/01/2026\n"
    )
    (cli.folder / "diem-2025.csv").write_text(header + rows, encoding="utf-8-sig")
    refused = cli("ratings", "import", "diem-2025.csv", "--year", "2025", ok=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "dòng 3, cột «xep_loai»" in refused.stderr
    assert "«Hoàn thành xuất sắc nhiệm vụ» không khớp với điểm 88" in refused.stderr
    assert "88 điểm là hoàn thành tốt nhiệm vụ" in refused.stderr
    first = rows.splitlines(keepends=True)[0]  # 92 points: excellent, derived
    (cli.folder / "diem-2025.csv").write_text(header + first, encoding="utf-8-sig")
    imported = cli("ratings", "import", "diem-2025.csv", "--year", "2025").stdout
    assert "đã nhập 1 kết quả xếp loại mới" in imported


def test_status_and_targets_show_say_seed_004_s_two_targets(tmp_path: Path, db_url: str) -> None:
    """20 cells of one district, none a model cell yet, 17 rated good: over 20 % model
    cells needs 5 of 20, at least 90 % rated good needs 18 of 20 (gap 1)."""
    runner = Cli(tmp_path, db_url)
    runner("init")
    units = ["code,name,kind,type,parent_code,member_count",
             "T,Tỉnh ủy mẫu,committee,other,,0", "H,Huyện ủy mẫu,committee,other,T,0"]
    units += [f"CB{i:02d},Chi bộ {i},grassroots_cell,village,H,12" for i in range(1, 21)]
    (tmp_path / "units.csv").write_text("\n".join(units) + "\n", encoding="utf-8")
    runner("units", "import", "units.csv")
    runner("cycle", "open", "--year", "2025", "--definition", "chi-bo-kieu-mau",
           "--now", "2025-01-05")
    ratings = ["ma_to_chuc,ma_dang_vien,xep_loai,giai_doan,ngay_xep_loai"] + [
        f"CB{i:02d},,{'tot' if i <= 17 else 'hoan_thanh'},chinh_thuc,15/01/2026"
        for i in range(1, 21)
    ]
    (tmp_path / "r.csv").write_text("\n".join(ratings) + "\n", encoding="utf-8")
    runner("ratings", "import", "r.csv", "--year", "2025")
    status = runner("status", "--year", "2025", "--under", "H", "--now", "2026-03-20").stdout
    assert "Trên 20 % chi bộ đạt chi bộ kiểu mẫu: 0/20 = 0 % (yêu cầu > 20 %) — chưa đạt, " \
        "còn thiếu 5 đơn vị" in status
    assert "Từ 90 % chi bộ trở lên hoàn thành tốt nhiệm vụ: 17/20 = 85 % (yêu cầu ≥ 90 %) — " \
        "chưa đạt, còn thiếu 1 đơn vị" in status
    shown = runner.json("targets", "show", "--year", "2025", "--now", "2026-03-20")
    province = next(r for r in shown if r["unit"] == "T")
    goals = province["goals"]["chi-bo-kieu-mau"]
    assert [(g["meeting"], g["counted"], g["met"], g["gap_units"]) for g in goals] == [
        (0, 20, False, 5), (17, 20, False, 1)
    ]
    english = runner("status", "--year", "2025", "--now", "2026-03-20", "--lang", "en").stdout
    assert "At least 90 % of cells rated good or better: 17/20 = 85 % (required ≥ 90 %) — " \
        "not met, gap 1" in english


def test_a_units_file_may_name_kinds_by_their_labels(cli: Cli) -> None:
    """A secretariat writes "Chi bộ cơ sở", not grassroots_cell: the label (with or without
    accents) is the kind; a kind that cannot sit under its parent is said by labels."""
    (cli.folder / "labels.csv").write_text(
        UNITS_CSV.splitlines()[0] + "\n"
        "X05,Đảng ủy xã Tân Lập,Cấp ủy cấp trên cơ sở,administrative,T01,0,\n"
        "CB-TL1,Chi bộ thôn Tân Lập 1,chi bo co so,village,X05,14,\n",
        encoding="utf-8",
    )
    cli("units", "import", "labels.csv")
    kinds = dict(cli.rows("SELECT code, kind FROM unit WHERE code IN ('X05', 'CB-TL1')"))
    assert kinds == {"X05": "committee", "CB-TL1": "grassroots_cell"}
    (cli.folder / "under.csv").write_text(
        UNITS_CSV.splitlines()[0] + "\n"
        "CB-TL2,Chi bộ thôn Tân Lập 2,Chi bộ cơ sở,village,CB-TL1,9,\n",
        encoding="utf-8",
    )
    done = cli("units", "import", "under.csv", ok=False)
    assert done.returncode == 1
    assert "«Chi bộ cơ sở» không thể trực thuộc «Chi bộ cơ sở»; được phép: " in done.stderr
    assert "grassroots_cell" not in done.stderr
