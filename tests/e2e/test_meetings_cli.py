"""`bontot meetings import` and `bontot meetings check`, end to end on a real file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_audit_cli import add_actor, as_actor
from tests.support.cli import Cli

#: Chi bộ thôn 1 (12 members) in the first quarter of 2024, as the e-handbook exports it:
#: February's regular meeting runs 80 minutes with one member away without reason.
EXPORT = (
    "Mã tổ chức,Ngày,Loại,Thời lượng (phút),Có mặt,Vắng có lý do,Vắng không lý do,"
    "Số ý kiến,DS vắng có lý do,DS vắng không lý do\n"
    "CB-THON1,08/01/2024,Thường kỳ,95,12,0,0,5,,\n"
    "CB-THON1,05/02/2024,Thường kỳ,80,11,0,1,4,,DV-07\n"
    "CB-THON1,22/02/2024,Chuyên đề,100,12,0,0,6,,\n"
    "CB-THON1,04/03/2024,Thường kỳ,90,12,0,0,3,,\n"
)


@pytest.fixture
def cli(cli: Cli) -> Cli:
    """The five units (tests/e2e/conftest.py), and the meeting book's export beside them."""
    (cli.folder / "so-tay.csv").write_text(EXPORT, encoding="utf-8-sig")
    return cli


def test_import_then_check_lists_every_breach_with_its_date(cli: Cli) -> None:
    done = cli("meetings", "import", "so-tay.csv")
    assert "4 new" in done.stdout
    again = cli("meetings", "import", "so-tay.csv")
    assert "0 new, 0 updated, 4 unchanged" in again.stdout
    assert cli.rows("SELECT COUNT(*) FROM meeting") == [(4,)]
    events = cli.rows("SELECT kind, detail FROM audit_event WHERE kind = 'meetings_import'")
    assert len(events) == 2 and '"rows":4' in events[0][1]

    report = cli.json(
        "meetings", "check", "--year", "2024", "--unit", "CB-THON1", "--through", "31/03/2024"
    )
    (unit,) = report["units"]
    assert unit["unit"] == "CB-THON1" and unit["meetings"] == 4
    found = {(b["key"], b["held_on"], tuple(b["members"])) for b in unit["breaches"]}
    # 12 members: speakers from 5, 90 minutes, nobody away without a reason
    assert found == {
        ("absent_unexcused", "05/02/2024", ("DV-07",)),
        ("duration", "05/02/2024", ()),
        ("speakers", "05/02/2024", ()),
        ("speakers", "04/03/2024", ()),
    }

    text_vi = cli("meetings", "check", "--year", "2024", "--unit", "CB-THON1")
    assert text_vi.returncode == 0  # breaches are a report, not a failure
    assert "05/02/2024 (thường kỳ) — Thời gian sinh hoạt (phút): 80 (yêu cầu ≥ 90)" in (
        text_vi.stdout
    )
    assert "tháng 04/2024" in text_vi.stdout  # the year is over: April had no meeting
    assert "quý 2/2024" in text_vi.stdout
    text_en = cli("meetings", "check", "--year", "2024", "--under", "X01", "--lang", "en")
    assert "05/02/2024 (regular) — Duration (minutes): 80 (required ≥ 90)" in text_en.stdout
    assert "DB-TRUONG-1" in text_en.stdout  # a cell with no register at all
    assert "DB-TRUONG " not in text_en.stdout  # a grassroots committee is not a cell
    assert cli("audit", "verify").returncode == 0


def test_a_bad_row_names_row_and_column_and_imports_nothing(cli: Cli, tmp_path: Path) -> None:
    bad = EXPORT + "CB-THON1,30/02/2024,Thường kỳ,95,12,0,0,5,,\n"
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    done = cli("meetings", "import", "bad.csv", ok=False)
    assert done.returncode == 1
    assert "dòng 6, cột «Ngày»: «30/02/2024» không phải ngày (dd/mm/yyyy)" in done.stderr
    assert cli.rows("SELECT COUNT(*) FROM meeting") == [(0,)]
    assert cli.rows("SELECT COUNT(*) FROM audit_event WHERE kind = 'meetings_import'") == [(0,)]


def test_bad_check_input_exits_non_zero(cli: Cli) -> None:
    both = cli(
        "meetings", "check", "--year", "2024", "--unit", "CB-THON1", "--under", "X01", ok=False
    )
    assert both.returncode != 0 and "một trong --unit" in both.stderr
    unknown = cli("meetings", "check", "--year", "2024", "--unit", "CB-NOWHERE", ok=False)
    assert unknown.returncode != 0 and "CB-NOWHERE" in unknown.stderr
    bad_date = cli(
        "meetings",
        "check",
        "--year",
        "2024",
        "--unit",
        "CB-THON1",
        "--through",
        "31/02/2024",
        ok=False,
    )
    assert bad_date.returncode != 0 and "--through" in bad_date.stderr


def test_a_secretary_imports_only_the_own_units_meetings(cli: Cli, tmp_path: Path) -> None:
    admin = add_actor(cli, "quantri", "--role", "administrator")
    secretary = add_actor(
        cli, "bithu.thon1", "--role", "unit_secretary", "--scope", "CB-THON1",
        "--by", "quantri", token=admin,
    )  # fmt: skip
    other = add_actor(
        cli, "bithu.toan", "--role", "unit_secretary", "--scope", "DB-TRUONG-1",
        "--by", "quantri", token=admin,
    )  # fmt: skip
    without = cli("meetings", "import", "so-tay.csv", "--actor", "bithu.thon1", ok=False)
    assert without.returncode == 3
    refused = as_actor(
        cli, other, "meetings", "import", "so-tay.csv", "--actor", "bithu.toan", ok=False
    )
    assert refused.returncode == 3 and "dòng 2: CB-THON1 không phải DB-TRUONG-1" in refused.stderr
    assert cli.rows("SELECT COUNT(*) FROM meeting") == [(0,)]
    as_actor(cli, secretary, "meetings", "import", "so-tay.csv", "--actor", "bithu.thon1")
    assert cli.rows("SELECT COUNT(*) FROM meeting") == [(4,)]
    assert cli.rows("SELECT actor, role FROM audit_event WHERE kind = 'meetings_import'") == [
        ("bithu.thon1", "unit_secretary")
    ]
